"""A partner's flag is resolved once by the operator's desk, with a note, audited, over the API and
on the operator's partner page, which lists the partner's open and recently resolved flags.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from partnerdesk.access.principal import principal_for
from partnerdesk.audit.models import AuditEvent
from partnerdesk.support import flags
from partnerdesk.support.models import PartnerFlag
from partnerdesk.testing import database_state

pytestmark = pytest.mark.django_db


def flag(world, partner=None, reason="A password reset was escalated.") -> PartnerFlag:
    return flags.flag_partner(
        principal_for(world.user("operator.support_engineer")),
        partner or world.partner_a,
        reason=reason,
        remediation="Train the helpdesk.",
    )


def test_the_operator_resolves_a_flag_over_the_api_with_a_note(api, world):
    open_flag = flag(world)

    resolved = api("operator.support_engineer").post(
        f"/partner-flags/{open_flag.pk}/resolve", {"note": "Training done on 3 March."}
    )

    assert resolved.status_code == 200
    assert resolved.json_body["resolution_note"] == "Training done on 3 March."
    assert resolved.json_body["resolved_by"]["email"] == world.user("operator.support_engineer").email
    stored = PartnerFlag.objects.get(pk=open_flag.pk)
    assert stored.resolved_at is not None
    assert stored.resolved_by == world.user("operator.support_engineer")
    event = AuditEvent.objects.get(action="partner.flag_resolved")
    assert event.organization == world.partner_a
    assert event.after == {"resolved": True, "note": "Training done on 3 March."}
    listed = api("a.admin_agent").get("/partner-flags").json_body["items"]
    assert listed[0]["resolution_note"] == "Training done on 3 March."


def test_a_flag_is_resolved_only_once(api, world):
    open_flag = flag(world)
    client = api("operator.support_engineer")
    assert client.post(f"/partner-flags/{open_flag.pk}/resolve", {"note": "Done."}).status_code == 200
    before = database_state()

    again = client.post(f"/partner-flags/{open_flag.pk}/resolve", {"note": "Done again."})

    assert again.status_code == 409
    assert again.json_body["error"]["code"] == "flag_already_resolved"
    assert database_state() == before


@pytest.mark.parametrize(
    ("key", "status"),
    [
        ("a.partner_global_admin", 403),  # the flagged partner may read its flag, never resolve it
        ("a1.global_admin", 403),
        ("operator.catalog_manager", 403),
        ("b.admin_agent", 403),
    ],
)
def test_no_one_but_the_operator_desk_resolves_a_flag(api, world, key, status):
    open_flag = flag(world)
    before = database_state()

    refused = api(key).post(f"/partner-flags/{open_flag.pk}/resolve", {"note": "Mine now."})

    assert refused.status_code == status
    assert database_state() == before


def test_the_partner_page_lists_open_and_recently_resolved_flags(web, world):
    flag(world, reason="Open: a licence question.")
    done = flag(world, reason="Resolved: a password reset.")
    old = flag(world, reason="Resolved long ago.")
    flag(world, partner=world.partner_b, reason="Another partner's flag.")
    flags.resolve_flag(principal_for(world.user("operator.support_engineer")), done, note="Trained.")
    flags.resolve_flag(principal_for(world.user("operator.support_engineer")), old, note="Old.")
    PartnerFlag.objects.filter(pk=old.pk).update(resolved_at=timezone.now() - timedelta(days=200))

    html = web("operator.support_engineer").get(f"/operator/partners/{world.partner_a.pk}/").content.decode()

    assert "Open: a licence question." in html
    assert "Resolved: a password reset." in html and "Trained." in html
    assert "Resolved long ago." not in html
    assert "Another partner&#x27;s flag." not in html and "Another partner's flag." not in html
    assert f"/operator/partner-flags/{done.pk}/resolve/" not in html  # resolved: no form any more
    assert "/resolve/" in html


def test_the_operator_resolves_a_flag_from_the_partner_page(web, world):
    open_flag = flag(world)
    client = web("operator.support_engineer")

    answer = client.post(f"/operator/partner-flags/{open_flag.pk}/resolve/", {"note": "Trained."})

    assert answer.status_code == 302
    assert answer["Location"] == f"/operator/partners/{world.partner_a.pk}/"
    assert PartnerFlag.objects.get(pk=open_flag.pk).resolution_note == "Trained."
    assert AuditEvent.objects.filter(action="partner.flag_resolved").count() == 1


def test_a_reader_sees_flags_without_the_resolve_form(web, world):
    flag(world, reason="Open: a licence question.")

    html = web("operator.auditor").get(f"/operator/partners/{world.partner_a.pk}/").content.decode()

    assert "Open: a licence question." in html
    assert "/resolve/" not in html


@pytest.mark.parametrize(("key", "status"), [("operator.auditor", 403), ("a.partner_global_admin", 403)])
def test_a_wrong_role_or_outsider_cannot_resolve_from_the_page(web, world, key, status):
    open_flag = flag(world)
    before = database_state()

    refused = web(key).post(f"/operator/partner-flags/{open_flag.pk}/resolve/", {"note": "Mine."})

    assert refused.status_code == status
    assert database_state() == before


def test_a_resolved_flag_leaves_the_partners_warning_banner(web, world):
    open_flag = flag(world, reason="Escalated a password reset.")
    flags.resolve_flag(principal_for(world.user("operator.support_engineer")), open_flag, note="Done.")

    html = web("a.admin_agent").get("/partner/service-requests/").content.decode()

    assert "Escalated a password reset." not in html
