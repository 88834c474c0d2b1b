"""Enrolling an authenticator app, managing one's factors, and who must have one (web)."""

from __future__ import annotations

import re

import pyotp
import pytest

from partnerdesk.audit.models import AuditEvent
from partnerdesk.mfa import services
from partnerdesk.mfa.models import Factor, OrganizationPolicy, RecoveryCode, Requirement
from partnerdesk.mfa.tests.conftest import SECRET, code
from partnerdesk.testing import database_state


def enrol(client) -> str:
    """Enrol an authenticator app through the pages; return its secret."""
    assert client.post("/account/mfa/totp/").status_code == 302
    page = client.get("/account/mfa/totp/confirm/")
    assert page.status_code == 200
    secret = re.search(rb'data-testid="totp-secret">([A-Z2-7]+)<', page.content).group(1).decode()
    assert b"otpauth://totp/" in page.content and b"<svg" in page.content
    done = client.post("/account/mfa/totp/confirm/", {"code": pyotp.TOTP(secret).now()})
    assert done.status_code == 302 and done["Location"] == "/account/mfa/"
    return secret


def test_a_user_enrols_an_authenticator_app_and_sees_recovery_codes_once(web, world):
    client = web("a1.global_admin")

    secret = enrol(client)

    factor = Factor.objects.get(user=world.user("a1.global_admin"))
    assert factor.is_confirmed and secret not in factor.secret  # kept encrypted
    shown = client.get("/account/mfa/")
    assert shown.content.count(b"<li><code>") == 10
    assert client.get("/account/mfa/").content.count(b"<li><code>") == 0
    assert RecoveryCode.objects.filter(user=world.user("a1.global_admin")).count() == 10
    assert AuditEvent.objects.filter(action="user.mfa_factor_added").exists()


def test_a_wrong_first_code_does_not_confirm(web, world):
    client = web("a1.global_admin")
    client.post("/account/mfa/totp/")

    response = client.post("/account/mfa/totp/confirm/", {"code": "000000"})

    assert response.status_code == 400
    assert not services.has_second_factor(world.user("a1.global_admin"))


def test_rename_and_remove_a_factor_after_a_fresh_code(web, world):
    user = world.user("a1.global_admin")
    factor = services.add_confirmed_totp(user, SECRET)
    client = web("a1.global_admin")

    client.post(f"/account/mfa/{factor.pk}/rename/", {"name": "Work phone"})
    assert Factor.objects.get(pk=factor.pk).name == "Work phone"
    asked = client.post(f"/account/mfa/{factor.pk}/remove/", {"confirmed": "1"})
    removed = client.post(f"/account/mfa/{factor.pk}/remove/", {"confirmed": "1", "fresh_mfa_code": code()})

    assert asked.status_code == 403 and b"Confirm it is you" in asked.content
    assert removed.status_code == 302
    assert not Factor.objects.filter(user=user).exists()


def test_another_users_factor_is_not_found_and_nothing_changes(web, world):
    factor = services.add_confirmed_totp(world.user("a1.user_admin"), SECRET)
    client = web("a1.global_admin")
    before = database_state()

    renamed = client.post(f"/account/mfa/{factor.pk}/rename/", {"name": "Mine now"})
    removed = client.post(f"/account/mfa/{factor.pk}/remove/", {"confirmed": "1"})

    assert renamed.status_code == 404 and removed.status_code == 404
    assert database_state() == before


def test_the_last_factor_cannot_be_removed_while_the_policy_requires_one(web, world):
    user = world.user("a1.global_admin")
    OrganizationPolicy.objects.create(organization=world.customer_a1, requirement=Requirement.EVERYONE)
    factor = services.add_confirmed_totp(user, SECRET)
    client = web("a1.global_admin")
    client.post(f"/account/mfa/{factor.pk}/remove/", {"confirmed": "1", "fresh_mfa_code": code()})

    assert Factor.objects.filter(pk=factor.pk).exists()


# --- Who must have a second factor --------------------------------------------------------------


def test_operator_and_partner_organizations_require_a_second_factor_by_default(world):
    OrganizationPolicy.objects.all().delete()  # the tiny world relaxed them; this is an install's default

    assert services.must_enrol(world.user("operator.auditor"))
    assert services.must_enrol(world.user("a.sales_agent"))
    assert services.must_enrol(world.user("b.admin_agent"))
    assert not services.must_enrol(world.user("a1.global_admin"))


def test_required_for_admins_spares_the_others(world):
    OrganizationPolicy.objects.create(organization=world.customer_a1, requirement=Requirement.ADMINS)

    assert services.must_enrol(world.user("a1.global_admin"))
    assert services.must_enrol(world.user("a1.user_admin"))
    assert not services.must_enrol(world.user("a1.message_center_reader"))
    assert not services.must_enrol(world.user("a1.user"))


@pytest.mark.parametrize(
    "path",
    ["/", "/partner/", "/partner/customers/", "/account/profile/", "/partner/team/", "/account/password/"],
)
def test_a_user_who_must_enrol_reaches_no_page_before_enrolling(web, world, path):
    OrganizationPolicy.objects.filter(organization=world.partner_a).delete()
    client = web("a.partner_global_admin")

    response = client.get(path)

    assert response.status_code == 302 and response["Location"] == "/account/mfa/"
    assert client.get("/account/mfa/").status_code == 200
    assert client.get("/api/v1/me").status_code == 401  # the session reaches no API either
    enrol(client)
    assert client.get(path).status_code in (200, 302) and client.get(path).get("Location") != "/account/mfa/"


def test_the_operator_relaxes_a_partners_requirement_after_a_fresh_code(web, world):
    admin = world.user("operator.operator_admin")
    services.add_confirmed_totp(admin, SECRET)
    client = web("operator.operator_admin")
    url = f"/operator/partners/{world.partner_b.pk}/mfa/"
    OrganizationPolicy.objects.filter(organization=world.partner_b).delete()

    asked = client.post(url, {"requirement": "admins"})
    done = client.post(url, {"requirement": "admins", "fresh_mfa_code": code()})

    assert asked.status_code == 403
    assert done.status_code == 302
    assert OrganizationPolicy.objects.get(organization=world.partner_b).requirement == "admins"
    event = AuditEvent.objects.get(action="organization.mfa_policy_changed")
    assert event.before == {"requirement": "everyone"} and event.after == {"requirement": "admins"}


def test_a_partner_cannot_relax_its_own_requirement(web, world):
    before = database_state()

    response = web("a.partner_global_admin").post(
        f"/operator/partners/{world.partner_a.pk}/mfa/", {"requirement": "not_required"}
    )
    from_admin_center = web("a.partner_global_admin").post("/admin/settings/mfa/", {"requirement": "x"})

    assert response.status_code == 403 and from_admin_center.status_code == 403
    assert database_state() == before


def test_a_customer_chooses_its_own_requirement_and_others_cannot(web, world):
    before = database_state()
    refused = web("a1.user_admin").post("/admin/settings/mfa/", {"requirement": "everyone"})
    assert refused.status_code == 403 and database_state() == before

    web("a1.global_admin").post("/admin/settings/mfa/", {"requirement": "everyone"})

    assert OrganizationPolicy.objects.get(organization=world.customer_a1).requirement == "everyone"
    assert not OrganizationPolicy.objects.filter(organization=world.customer_a2).exists()
    assert services.must_enrol(world.user("a1.user"))


def test_an_operator_role_without_partner_management_cannot_change_a_partners_requirement(web, world):
    before = database_state()

    response = web("operator.auditor").post(
        f"/operator/partners/{world.partner_a.pk}/mfa/", {"requirement": "not_required"}
    )
    anonymous = web(None).post(f"/operator/partners/{world.partner_a.pk}/mfa/", {"requirement": "admins"})

    assert response.status_code == 403
    assert anonymous.status_code == 302 and "/account/signin/" in anonymous["Location"]
    assert database_state() == before


def test_enrolment_pages_and_operations_refuse_the_anonymous(web, api, world):
    client = web(None)
    before = database_state()

    pages = [
        client.get("/account/mfa/"),
        client.post("/account/mfa/totp/"),
        client.post("/account/mfa/recovery-codes/"),
    ]
    calls = [api(None).post("/auth/mfa/totp"), api(None).post("/auth/mfa/totp/confirm", {"code": "123456"})]

    assert all(page.status_code == 302 and "/account/signin/" in page["Location"] for page in pages)
    assert [call.status_code for call in calls] == [401, 401]
    assert database_state() == before
