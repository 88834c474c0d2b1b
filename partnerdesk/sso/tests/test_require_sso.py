"""'Require SSO' turns passwords off for the organization's people, and the break-glass way back in."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from partnerdesk.access.permissions import Role
from partnerdesk.audit.models import AuditEvent
from partnerdesk.notifications.models import OutboxMessage
from partnerdesk.sso.models import SsoConnection
from partnerdesk.sso.tests.conftest import Provider, connect
from partnerdesk.sso.tests.test_sign_in import signed_in_as, through_provider
from partnerdesk.testing import PASSWORD, World, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def required(contoso: World, oidc_provider: Provider) -> SsoConnection:
    return connect(contoso, oidc_provider, require_sso=True)


def _password_form(email: str, password: str = PASSWORD) -> tuple[int, str]:
    response = Client().post("/account/signin/", {"email": email, "password": password})
    return response.status_code, response.content.decode()


def test_the_password_form_refuses_known_and_unknown_accounts_of_the_domain_alike(
    required: SsoConnection,
) -> None:
    known_right = _password_form("global_admin@contoso.test")
    known_wrong = _password_form("global_admin@contoso.test", "wrong-password-1")
    unknown = _password_form("nobody@contoso.test")
    assert known_right[0] == known_wrong[0] == unknown[0] == 400
    for _status, page in (known_right, known_wrong, unknown):
        assert "signs in through its own identity provider" in page
    # Another organization's people keep their passwords.
    assert _password_form("admin@adatum.test")[0] == 302


def test_the_api_token_exchange_refuses_the_password_the_same_way(required: SsoConnection, api) -> None:
    anonymous = api(None)
    answers = [
        anonymous.post("/auth/tokens", {"email": email, "password": password})
        for email, password in (
            ("global_admin@contoso.test", PASSWORD),
            ("global_admin@contoso.test", "wrong-password-1"),
            ("nobody@contoso.test", PASSWORD),
        )
    ]
    assert {(a.status_code, a.json_body["error"]["code"]) for a in answers} == {(403, "sso_required")}
    assert {a.json_body["error"]["message"] for a in answers} == {answers[0].json_body["error"]["message"]}
    password_change = anonymous.post(
        "/auth/password",
        {
            "email": "global_admin@contoso.test",
            "current_password": PASSWORD,
            "new_password": "Another-pass-77",
        },
    )
    assert password_change.status_code == 403


def test_a_user_of_the_organization_on_another_domain_is_refused_like_a_wrong_password(
    required: SsoConnection, api
) -> None:
    make_user(required.organization, "legacy@old-name.test", [Role.USER])
    answer = api(None).post("/auth/tokens", {"email": "legacy@old-name.test", "password": PASSWORD})
    unknown = api(None).post("/auth/tokens", {"email": "nobody@old-name.test", "password": PASSWORD})
    assert (answer.status_code, answer.json_body) == (unknown.status_code, unknown.json_body)
    assert answer.status_code == 401


def test_password_reset_sends_nothing_and_says_the_same(required: SsoConnection) -> None:
    known = Client().post("/account/password/reset/", {"email": "global_admin@contoso.test"})
    unknown = Client().post("/account/password/reset/", {"email": "nobody@contoso.test"})
    assert known.status_code == unknown.status_code == 200
    assert OutboxMessage.objects.count() == 0


def test_sign_in_through_the_provider_still_works(required: SsoConnection, oidc_provider: Provider) -> None:
    client = Client()
    assert through_provider(client, oidc_provider, "user@contoso.test").status_code == 302
    assert signed_in_as(client) == "user@contoso.test"


def test_break_glass_lets_one_named_global_admin_use_the_password_once(required: SsoConnection) -> None:
    out = StringIO()
    call_command(
        "sso_break_glass",
        organization="contoso.test",
        email="global_admin@contoso.test",
        reason="IdP down",
        stdout=out,
    )
    assert "may sign in to Contoso with their password once" in out.getvalue()
    granted = AuditEvent.objects.get(action="sso.break_glass_granted")
    assert granted.reason == "IdP down" and granted.after["admin"] == "global_admin@contoso.test"
    # Another person of the organization is still refused.
    assert _password_form("user@contoso.test")[0] == 400
    assert _password_form("global_admin@contoso.test")[0] == 302
    assert AuditEvent.objects.filter(action="sso.break_glass_used").count() == 1
    # Once.
    assert _password_form("global_admin@contoso.test")[0] == 400


def test_break_glass_can_turn_require_sso_off_for_everyone(required: SsoConnection) -> None:
    call_command(
        "sso_break_glass",
        organization=str(required.organization.pk),
        email="global_admin@contoso.test",
        turn_off_require_sso=True,
        stdout=StringIO(),
    )
    required.refresh_from_db()
    assert not required.require_sso
    assert _password_form("user@contoso.test")[0] == 302


def test_break_glass_is_only_for_a_global_admin_of_that_organization(required: SsoConnection) -> None:
    for email in ("user_admin@contoso.test", "admin@adatum.test", "nobody@contoso.test"):
        with pytest.raises(CommandError, match="is not an active global admin"):
            call_command("sso_break_glass", organization="Contoso", email=email, stdout=StringIO())
    with pytest.raises(CommandError, match="No single organization"):
        call_command("sso_break_glass", organization="nowhere.test", email="x@y.test", stdout=StringIO())
    assert not AuditEvent.objects.filter(action="sso.break_glass_granted").exists()
