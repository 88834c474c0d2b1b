"""Signing in through the organization's identity provider: a real provider on loopback, end to end."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from partnerdesk.access.permissions import Role
from partnerdesk.accounts.models import RoleAssignment, User
from partnerdesk.audit.models import AuditEvent
from partnerdesk.directory.models import SignInEvent
from partnerdesk.mfa.models import OrganizationPolicy, Requirement
from partnerdesk.sso.tests.conftest import Provider, callback_path, connect
from partnerdesk.testing import PASSWORD, World, database_state, make_user

pytestmark = pytest.mark.django_db


def start(client: Client, email: str, **extra: str) -> str:
    """The sign-in page's first step with the e-mail alone; return the provider's authorization URL."""
    response = client.post("/account/signin/", {"email": email, "password": "", **extra})
    assert response.status_code == 302, response.content[:300]
    page = client.get(response["Location"])
    assert page.status_code == 200, page.content[:500]
    url: str = page.context["authorization_url"]
    return url


def through_provider(client: Client, provider: Provider, email: str, *, login: str | None = None) -> Any:
    """Sign in as `email` at the provider (as `login` there); return Partnerdesk's answer to the callback."""
    url = start(client, email)
    return client.get(callback_path(provider.log_in(url, login or email)))


def signed_in_as(client: Client) -> str | None:
    response = client.get("/api/v1/me")
    return response.json()["user"]["email"] if response.status_code == 200 else None


def test_the_e_mail_of_a_domain_with_a_provider_goes_to_it_with_pkce_state_and_nonce(
    contoso: World, oidc_provider: Provider
) -> None:
    connect(contoso, oidc_provider)
    url = start(Client(), "user@contoso.test")
    assert url.startswith(f"{oidc_provider.issuer}/auth?")
    for parameter in ("code_challenge=", "code_challenge_method=S256", "state=", "nonce=", "login_hint=user"):
        assert parameter in url


def test_an_e_mail_of_another_domain_is_asked_its_password(contoso: World, oidc_provider: Provider) -> None:
    connect(contoso, oidc_provider)
    response = Client().post("/account/signin/", {"email": "admin@adatum.test", "password": ""})
    assert response.status_code == 400
    assert "Enter your password." in response.content.decode()
    assert (
        Client().post("/account/signin/", {"email": "admin@adatum.test", "password": PASSWORD}).status_code
        == 302
    )


def test_an_existing_user_signs_in_through_the_provider_audited_and_logged(
    contoso: World, oidc_provider: Provider
) -> None:
    connect(contoso, oidc_provider)
    client = Client()
    response = through_provider(client, oidc_provider, "user@contoso.test")
    assert response.status_code == 302 and response["Location"] == "/"
    assert signed_in_as(client) == "user@contoso.test"
    user = contoso.user("a1.user")
    event = AuditEvent.objects.get(action="user.signed_in", object_id=str(user.pk))
    assert event.after == {"method": "sso", "issuer": oidc_provider.issuer}
    logged = SignInEvent.objects.get(user=user)
    assert (logged.result, logged.method) == ("success", "sso")
    assert client.session["signed_in_with"] == "sso"


def test_the_next_page_is_kept_through_the_provider(contoso: World, oidc_provider: Provider) -> None:
    connect(contoso, oidc_provider)
    client = Client()
    url = start(client, "global_admin@contoso.test", next="/admin/users/")
    response = client.get(callback_path(oidc_provider.log_in(url, "global_admin@contoso.test")))
    assert response["Location"] == "/admin/users/"


def test_just_in_time_creates_a_plain_user_without_a_password(
    contoso: World, oidc_provider: Provider
) -> None:
    connect(contoso, oidc_provider, just_in_time=True)
    client = Client()
    response = through_provider(client, oidc_provider, "new.person@contoso.test")
    assert response.status_code == 302
    created = User.objects.get(email="new.person@contoso.test")
    assert created.organization == contoso.customer_a1
    assert list(RoleAssignment.objects.filter(user=created).values_list("role", flat=True)) == [Role.USER]
    assert not created.has_usable_password() and not created.must_change_password
    assert signed_in_as(client) == "new.person@contoso.test"
    event = AuditEvent.objects.get(action="user.created", object_id=str(created.pk))
    assert event.reason == "sso.just_in_time" and event.actor_user is None
    assert SignInEvent.objects.get(user=created).reason == "sso_just_in_time"
    # The second time the same user is matched, not created again.
    again = through_provider(Client(), oidc_provider, "new.person@contoso.test")
    assert again.status_code == 302 and User.objects.filter(email="new.person@contoso.test").count() == 1


def test_without_just_in_time_an_unknown_person_is_refused_and_nothing_is_created(
    contoso: World, oidc_provider: Provider
) -> None:
    connect(contoso, oidc_provider)
    client = Client()
    url = start(client, "new.person@contoso.test")
    back = callback_path(oidc_provider.log_in(url, "new.person@contoso.test"))
    before = database_state()
    response = client.get(back)
    assert response.status_code == 403
    assert 'data-code="sso_no_account"' in response.content.decode()
    assert "Ask an admin" in response.content.decode()
    assert database_state() == before
    assert signed_in_as(client) is None


def test_a_user_blocked_in_partnerdesk_is_refused_whatever_the_provider_says(
    contoso: World, oidc_provider: Provider
) -> None:
    connect(contoso, oidc_provider)
    User.objects.filter(email="user@contoso.test").update(blocked=True)
    client = Client()
    response = through_provider(client, oidc_provider, "user@contoso.test")
    assert response.status_code == 403 and 'data-code="account_blocked"' in response.content.decode()
    assert signed_in_as(client) is None
    logged = SignInEvent.objects.get(email="user@contoso.test")
    assert (logged.result, logged.method) == ("blocked", "sso")


def test_an_e_mail_on_a_domain_the_organization_did_not_verify_is_refused(
    contoso: World, oidc_provider: Provider
) -> None:
    connect(contoso, oidc_provider, just_in_time=True)
    client = Client()
    # The provider vouches for someone of another domain (its own users are not only Contoso's).
    response = through_provider(client, oidc_provider, "user@contoso.test", login="mallory@elsewhere.test")
    assert response.status_code == 403 and 'data-code="sso_domain_not_verified"' in response.content.decode()
    assert not User.objects.filter(email="mallory@elsewhere.test").exists()
    assert signed_in_as(client) is None


def test_a_user_of_another_organization_is_not_reached_through_this_provider(
    contoso: World, oidc_provider: Provider
) -> None:
    connect(contoso, oidc_provider, just_in_time=True)
    # A name from before the domain rules (ADR 0004): Adatum's user on Contoso's domain.
    make_user(contoso.customer_a2, "old.name@contoso.test", [Role.USER])
    client = Client()
    response = through_provider(client, oidc_provider, "old.name@contoso.test")
    assert response.status_code == 403 and 'data-code="sso_other_organization"' in response.content.decode()
    assert signed_in_as(client) is None


def test_an_e_mail_the_provider_did_not_verify_is_refused(contoso: World, oidc_provider: Provider) -> None:
    connect(contoso, oidc_provider, just_in_time=True)
    client = Client()
    response = through_provider(
        client, oidc_provider, "user@contoso.test", login="pat+unverified@contoso.test"
    )
    assert response.status_code == 403 and 'data-code="sso_email_unverified"' in response.content.decode()
    assert signed_in_as(client) is None


def test_a_callback_this_browser_did_not_start_is_refused(contoso: World, oidc_provider: Provider) -> None:
    connect(contoso, oidc_provider)
    url = start(Client(), "user@contoso.test")
    back = callback_path(oidc_provider.log_in(url, "user@contoso.test"))
    stranger = Client()  # another browser: no state, nonce or PKCE verifier in its session
    response = stranger.get(back)
    assert response.status_code == 403 and 'data-code="sso_state_invalid"' in response.content.decode()
    assert signed_in_as(stranger) is None


def test_a_code_is_used_once(contoso: World, oidc_provider: Provider) -> None:
    connect(contoso, oidc_provider)
    client = Client()
    url = start(client, "user@contoso.test")
    back = callback_path(oidc_provider.log_in(url, "user@contoso.test"))
    assert client.get(back).status_code == 302
    client.post("/account/signout/")
    assert client.get(back).status_code == 403


def test_a_wrong_client_secret_is_refused_by_the_provider_at_the_token_exchange(
    contoso: World, oidc_provider: Provider
) -> None:
    from partnerdesk import encryption
    from partnerdesk.sso.models import SsoConnection
    from partnerdesk.sso.services import SECRET_PURPOSE

    connect(contoso, oidc_provider)
    SsoConnection.objects.update(client_secret_sealed=encryption.seal(SECRET_PURPOSE, b"not-the-secret"))
    client = Client()
    response = through_provider(client, oidc_provider, "user@contoso.test")
    assert response.status_code == 400 and 'data-code="sso_provider_refused"' in response.content.decode()
    assert signed_in_as(client) is None


def test_a_temporary_password_is_not_asked_of_someone_the_provider_signed_in(
    contoso: World, oidc_provider: Provider
) -> None:
    connect(contoso, oidc_provider)
    User.objects.filter(email="user@contoso.test").update(must_change_password=True)
    client = Client()
    assert through_provider(client, oidc_provider, "user@contoso.test").status_code == 302
    assert client.get("/account/profile/").status_code == 200


def test_a_second_factor_is_not_asked_of_someone_the_provider_signed_in(
    contoso: World, oidc_provider: Provider
) -> None:
    # The provider is responsible for the second factor (ADR 0011): a policy requiring one sends
    # password users to enrol, never someone the organization's provider signed in.
    connect(contoso, oidc_provider)
    OrganizationPolicy.objects.update_or_create(
        organization=contoso.customer_a1, defaults={"requirement": Requirement.EVERYONE}
    )
    client = Client()
    assert through_provider(client, oidc_provider, "user@contoso.test").status_code == 302
    assert client.get("/account/profile/").status_code == 200
    assert signed_in_as(client) == "user@contoso.test"
