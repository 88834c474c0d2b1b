"""Admins reset another user's factors (audited, sessions and tokens end); sensitive actions want a
fresh second factor, on pages and in the API."""

from __future__ import annotations

from datetime import timedelta

from django.test import Client
from django.utils import timezone

from partnerdesk.accounts.models import ApiToken, UserSession
from partnerdesk.audit.models import AuditEvent
from partnerdesk.conftest import fresh
from partnerdesk.mfa import services
from partnerdesk.mfa.models import Factor
from partnerdesk.mfa.tests.conftest import SECRET, code
from partnerdesk.testing import PASSWORD, database_state


def test_an_admin_resets_a_users_factors_which_ends_their_sessions_and_tokens(web, api, world):
    person = world.user("a.helpdesk_agent")
    services.add_confirmed_totp(person, SECRET)
    their_browser = web("a.helpdesk_agent")
    their_api = api("a.helpdesk_agent")
    assert their_api.get("/me").status_code == 200
    admin = web("a.partner_global_admin")  # no factor of their own: nothing to make fresh

    response = admin.post(f"/partner/team/{person.pk}/mfa/reset/", {"confirmed": "1"})

    assert response.status_code == 302
    assert not Factor.objects.filter(user=person).exists()
    assert their_browser.get("/partner/").status_code == 302
    assert their_api.get("/me").status_code == 401
    assert not UserSession.objects.filter(user=person).exists()
    assert fresh(person).session_generation == person.session_generation + 1
    event = AuditEvent.objects.get(action="user.mfa_reset")
    assert event.before == {"factors": 1} and "secret" not in str(event.after)


def test_the_reset_confirms_first(web, world):
    person = world.user("a.helpdesk_agent")
    services.add_confirmed_totp(person, SECRET)

    response = web("a.partner_global_admin").post(f"/partner/team/{person.pk}/mfa/reset/")

    assert response.status_code == 200 and b"confirmed" in response.content
    assert Factor.objects.filter(user=person).exists()


def test_another_organizations_user_is_not_found_and_nothing_changes(web, api, world):
    person = world.user("b.partner_global_admin")
    customer = world.user("b1.global_admin")
    services.add_confirmed_totp(person, SECRET)
    services.add_confirmed_totp(customer, SECRET)
    before = database_state()

    pages = [
        web("a.partner_global_admin").post(f"/partner/team/{person.pk}/mfa/reset/", {"confirmed": "1"}),
        web("operator.operator_admin").post(f"/operator/team/{person.pk}/mfa/reset/", {"confirmed": "1"}),
        web("a1.global_admin").post(f"/admin/users/{customer.pk}/mfa/reset/", {"confirmed": "1"}),
    ]
    calls = [
        api("a.partner_global_admin").post(f"/users/{person.pk}/mfa/reset"),
        api("operator.operator_admin").post(f"/users/{customer.pk}/mfa/reset"),
    ]

    assert [page.status_code for page in pages] == [404, 404, 404]
    assert [call.status_code for call in calls] == [404, 404]
    assert database_state() == before


def test_a_role_without_team_management_cannot_reset(web, api, world):
    person = world.user("a.helpdesk_agent")
    services.add_confirmed_totp(person, SECRET)
    before = database_state()

    page = web("a.admin_agent").post(f"/partner/team/{person.pk}/mfa/reset/", {"confirmed": "1"})
    call = api("a.admin_agent").post(f"/users/{person.pk}/mfa/reset")

    assert page.status_code == 403 and call.status_code == 403
    assert database_state() == before


# --- Fresh second factor -----------------------------------------------------------------------------


def test_a_page_asks_for_a_code_before_a_sensitive_action_then_carries_on(web, world):
    user = world.user("a1.global_admin")
    services.add_confirmed_totp(user, SECRET)
    client = web("a1.global_admin")  # signed in without a second step in this session
    before = database_state()

    asked = client.post("/account/tokens/", {"name": "nightly export"})
    assert asked.status_code == 403
    assert b'name="fresh_mfa_code"' in asked.content and b'value="nightly export"' in asked.content
    assert database_state() == before
    wrong = client.post("/account/tokens/", {"name": "nightly export", "fresh_mfa_code": "000000"})
    assert wrong.status_code == 400 and b"That code is not right." in wrong.content

    done = client.post("/account/tokens/", {"name": "nightly export", "fresh_mfa_code": code()})

    assert done.status_code == 302
    token = ApiToken.objects.get(name="nightly export")
    assert token.mfa_verified_at is not None
    # Within the window the next sensitive action does not ask again.
    assert client.post("/account/tokens/", {"name": "second"}).status_code == 302


def test_the_api_answers_mfa_fresh_required_to_a_token_not_exchanged_with_a_code(api, world):
    user = world.user("a.admin_agent")
    services.add_confirmed_totp(user, SECRET)
    before = database_state()

    refused = api("a.admin_agent").post("/tokens", {"name": "more"})

    assert refused.status_code == 403
    assert refused.json_body["error"]["code"] == "mfa_fresh_required"
    assert database_state() == before

    exchanged = api(None).post(
        "/auth/tokens", {"email": user.email, "password": PASSWORD, "otp": code(), "name": "fresh"}
    )
    assert exchanged.status_code == 201
    from partnerdesk.conftest import ApiClient

    fresh_client = ApiClient(exchanged.json_body["token"])
    assert fresh_client.post("/tokens", {"name": "more"}).status_code == 201
    # Past the window the same token is no longer fresh.
    ApiToken.objects.filter(name="fresh").update(mfa_verified_at=timezone.now() - timedelta(hours=1))
    stale = fresh_client.post("/tokens", {"name": "again"})
    assert stale.status_code == 403 and stale.json_body["error"]["code"] == "mfa_fresh_required"


def test_ending_a_delegated_relationship_wants_a_fresh_code(world):
    customer_admin = world.user("a1.global_admin")
    services.add_confirmed_totp(customer_admin, SECRET)
    client = Client()
    client.force_login(customer_admin, backend="partnerdesk.accounts.backends.EmailBackend")
    relationship = world.relationship_a1
    before = database_state()

    response = client.post(f"/admin/relationships/{relationship.pk}/end/", {"confirmed": "1"})

    assert response.status_code == 403 and b"fresh_mfa_code" in response.content
    assert database_state() == before
