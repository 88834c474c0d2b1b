"""The audit log: append-only, written with the change, scoped per portal, on-behalf-of recorded."""

from __future__ import annotations

import pytest
from django.db import transaction

from partnerdesk.access.principal import delegated_principal, principal_for
from partnerdesk.audit import services as audit
from partnerdesk.audit.models import AppendOnlyError, AuditEvent


def _on_behalf_event(world):
    agent = principal_for(world.user("a.admin_agent"), channel="web")
    acting = delegated_principal(agent, world.customer_a1.pk)
    with transaction.atomic():
        return audit.record(
            acting,
            action="user.blocked",
            target=world.user("a1.user"),
            organization=world.customer_a1,
            before={"blocked": False},
            after={"blocked": True},
        )


def test_an_on_behalf_event_names_the_partner_user_the_partner_and_the_customer(world):
    event = _on_behalf_event(world)

    assert event.actor_email == "admin_agent@fabrikam.test"
    assert event.actor_organization_id == world.partner_a.pk
    assert event.on_behalf_of_id == world.customer_a1.pk
    assert event.organization_id == world.customer_a1.pk
    assert event.partner_id == world.partner_a.pk
    assert event.role == "admin_agent as global_admin,user_admin"
    assert event.channel == "web"


def test_the_customer_and_its_partner_see_the_event_but_no_one_else(api, world):
    event = _on_behalf_event(world)

    def ids(key):
        response = api(key).get("/audit-events?action=user.blocked")
        return (
            [e["id"] for e in response.json_body["items"]]
            if response.status_code == 200
            else response.status_code
        )

    assert ids("a1.global_admin") == [event.id]
    assert ids("a.partner_global_admin") == [event.id]
    assert ids("operator.auditor") == [event.id]
    assert ids("b.partner_global_admin") == []
    assert ids("a2.global_admin") == []
    assert ids("a1.user_admin") == 403  # holds no audit.view
    assert ids("a.sales_agent") == 403


def test_events_cannot_be_edited_or_deleted(world):
    event = _on_behalf_event(world)

    with pytest.raises(AppendOnlyError):
        event.reason = "rewritten"
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).update(reason="rewritten")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()


@pytest.mark.django_db(transaction=True)
def test_recording_outside_a_transaction_is_refused(world):
    with pytest.raises(RuntimeError):
        audit.record(None, action="x", target=world.operator, organization=world.operator)


def test_the_api_filters_by_actor_and_pages(api, world):
    client = api("operator.operator_admin")
    client.patch(f"/partners/{world.partner_a.pk}", {"phone": "1"})
    client.patch(f"/partners/{world.partner_a.pk}", {"phone": "2"})

    first = client.get("/audit-events?actor=operator_admin@operator.test&limit=1").json_body
    second = client.get(
        f"/audit-events?actor=operator_admin@operator.test&limit=1&cursor={first['next_cursor']}"
    ).json_body

    assert [e["after"] for e in first["items"]] == [{"phone": "2"}]
    assert [e["after"] for e in second["items"]] == [{"phone": "1"}]
    assert second["next_cursor"] is None
