"""The second step after the password, recovery codes, and the rate limit on wrong codes (web)."""

from __future__ import annotations

from django.test import Client

from partnerdesk.accounts.models import UserSession
from partnerdesk.audit.models import AuditEvent
from partnerdesk.mfa import services
from partnerdesk.mfa.models import RecoveryCode
from partnerdesk.mfa.tests.conftest import SECRET, code, wrong
from partnerdesk.testing import PASSWORD

EMAIL = "admin_agent@fabrikam.test"


def password_step(client: Client, email: str = EMAIL):
    return client.post(
        "/account/signin/", {"email": email, "password": PASSWORD, "next": "/partner/customers/"}
    )


def test_a_correct_password_alone_does_not_sign_a_user_with_a_factor_in(world):
    services.add_confirmed_totp(world.user("a.admin_agent"), SECRET)
    client = Client()

    response = password_step(client)

    assert response.status_code == 302 and response["Location"] == "/account/signin/verify/"
    assert client.get("/partner/").status_code == 302
    assert "/account/signin/" in client.get("/partner/")["Location"]
    assert client.get("/api/v1/me").status_code == 401
    assert not UserSession.objects.filter(user=world.user("a.admin_agent")).exists()


def test_the_code_completes_the_sign_in_and_goes_where_the_user_was_going(world):
    services.add_confirmed_totp(world.user("a.admin_agent"), SECRET)
    client = Client()
    password_step(client)

    response = client.post("/account/signin/verify/", {"code": code()})

    assert response.status_code == 302 and response["Location"] == "/partner/customers/"
    assert client.get("/partner/").status_code == 200
    assert AuditEvent.objects.filter(action="user.signed_in", after={"second_factor": True}).exists()


def test_a_code_is_accepted_once(world):
    user = world.user("a.admin_agent")
    services.add_confirmed_totp(user, SECRET)
    first = Client()
    password_step(first)
    assert first.post("/account/signin/verify/", {"code": code()}).status_code == 302

    second = Client()
    password_step(second)
    replayed = second.post("/account/signin/verify/", {"code": code()})

    assert replayed.status_code == 400
    assert b"That code is not right." in replayed.content


def test_a_recovery_code_works_once(world):
    user = world.user("a.admin_agent")
    services.add_confirmed_totp(user, SECRET)
    from partnerdesk.access.principal import principal_for

    codes = services.new_recovery_codes(principal_for(user), user)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert not RecoveryCode.objects.filter(code_hash__in=codes).exists()  # kept hashed only

    first = Client()
    password_step(first)
    assert first.post("/account/signin/verify/", {"code": codes[3].upper()}).status_code == 302
    again = Client()
    password_step(again)
    refused = again.post("/account/signin/verify/", {"code": codes[3]})

    assert refused.status_code == 400
    assert again.get("/partner/").status_code == 302
    assert services.unused_recovery_codes(user) == 9


def test_the_second_step_without_a_password_first_goes_back_to_sign_in(world):
    response = Client().post("/account/signin/verify/", {"code": "123456"})

    assert response.status_code == 302 and response["Location"] == "/account/signin/"


def test_wrong_codes_are_rate_limited_with_a_form_message(world, settings):
    settings.MFA_FAILURES_PER_ACCOUNT = 3
    services.add_confirmed_totp(world.user("a.admin_agent"), SECRET)
    client = Client()
    password_step(client)
    statuses = [client.post("/account/signin/verify/", {"code": wrong()}).status_code for _ in range(3)]

    refused = client.post("/account/signin/verify/", {"code": code()})

    assert statuses == [400, 400, 400]
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert b"Too many wrong codes" in refused.content
    assert client.get("/partner/").status_code == 302
