"""The API without a browser: enrol with an enrolment token, then exchange with a code."""

from __future__ import annotations

import io

import pyotp
from django.core.management import call_command

from partnerdesk.accounts.models import User
from partnerdesk.conftest import ApiClient
from partnerdesk.mfa import services
from partnerdesk.mfa.demo import DEMO_TOTP_SECRET
from partnerdesk.mfa.models import OrganizationPolicy
from partnerdesk.mfa.tests.conftest import SECRET, code, wrong
from partnerdesk.testing import PASSWORD, database_state

EMAIL = "sales_agent@fabrikam.test"


def exchange(**extra):
    return ApiClient(None).post("/auth/tokens", {"email": EMAIL, "password": PASSWORD, **extra})


def test_a_user_who_must_enrol_gets_an_enrolment_token_that_can_only_enrol(world):
    OrganizationPolicy.objects.filter(organization=world.partner_a).delete()  # the default: required

    refused = exchange()

    assert refused.status_code == 403
    assert refused.json_body["error"]["code"] == "mfa_enrollment_required"
    enrolling = ApiClient(refused.json_body["enrollment_token"])
    assert enrolling.get("/me").status_code == 401
    assert enrolling.get("/customers").status_code == 401
    assert enrolling.post("/tokens", {"name": "sneaky"}).status_code == 401

    started = enrolling.post("/auth/mfa/totp")
    assert started.status_code == 201
    secret = started.json_body["secret"]
    assert started.json_body["otpauth_uri"].startswith("otpauth://totp/")
    assert enrolling.post("/auth/mfa/totp/confirm", {"code": wrong(secret)}).status_code == 400
    confirmed = enrolling.post("/auth/mfa/totp/confirm", {"code": pyotp.TOTP(secret).now()})
    assert confirmed.status_code == 200
    assert len(confirmed.json_body["recovery_codes"]) == 10

    # Spent: the enrolment token enrols nothing more.
    assert enrolling.post("/auth/mfa/totp").status_code == 401
    # From now on the exchange wants a code.
    assert exchange().json_body["error"]["code"] == "mfa_required"
    assert exchange().status_code == 403
    assert exchange(otp=code(secret, steps_ahead=1)).status_code == 201


def test_a_wrong_code_is_answered_like_a_wrong_password(world):
    services.add_confirmed_totp(world.user("a.sales_agent"), SECRET)
    before = database_state()

    bad_code = exchange(otp=wrong())
    bad_password = ApiClient(None).post("/auth/tokens", {"email": EMAIL, "password": "nope", "otp": code()})

    assert bad_code.status_code == bad_password.status_code == 401
    assert (
        bad_code.json_body["error"]["code"]
        == bad_password.json_body["error"]["code"]
        == "invalid_credentials"
    )
    assert set(bad_code.json_body) == set(bad_password.json_body) == {"error"}
    assert database_state() == before


def test_a_recovery_code_exchanges_once(world):
    user = world.user("a.sales_agent")
    services.add_confirmed_totp(user, SECRET)
    from partnerdesk.access.principal import principal_for

    recovery = services.new_recovery_codes(principal_for(user), user)[0]

    assert exchange(otp=recovery).status_code == 201
    assert exchange(otp=recovery).status_code == 401


def test_wrong_codes_in_the_exchange_are_rate_limited(world, settings):
    settings.MFA_FAILURES_PER_ACCOUNT = 4
    services.add_confirmed_totp(world.user("a.sales_agent"), SECRET)

    statuses = [exchange(otp=wrong()).status_code for _ in range(4)]
    refused = exchange(otp=code())

    assert statuses == [401, 401, 401, 401]
    assert refused.status_code == 429
    assert refused.json_body["error"]["code"] == "rate_limited"
    assert int(refused["Retry-After"]) > 0


def test_the_enrolment_token_dies_with_a_password_change(world):
    OrganizationPolicy.objects.filter(organization=world.partner_a).delete()
    token = exchange().json_body["enrollment_token"]
    user = world.user("a.sales_agent")
    user.set_password("Another-battery-horse-7")
    user.save()

    assert ApiClient(token).post("/auth/mfa/totp").status_code == 401


def test_a_signed_in_user_with_a_factor_adds_another_only_with_a_fresh_one(api, world):
    services.add_confirmed_totp(world.user("a.sales_agent"), SECRET)

    response = api("a.sales_agent").post("/auth/mfa/totp")

    assert response.status_code == 403 and response.json_body["error"]["code"] == "mfa_fresh_required"


def test_create_operator_admin_bootstraps_an_admin_with_a_totp_secret(db):
    call_command(
        "create_operator_admin",
        "--email=root@operator.test",
        "--password=Bootstrap-horse-battery-8",
        f"--totp-secret={SECRET}",
        stdout=io.StringIO(),
    )
    user = User.objects.get(email="root@operator.test")

    assert services.has_second_factor(user)
    credentials = {"email": user.email, "password": "Bootstrap-horse-battery-8"}
    assert ApiClient(None).post("/auth/tokens", credentials).json_body["error"]["code"] == "mfa_required"
    assert ApiClient(None).post("/auth/tokens", {**credentials, "otp": code()}).status_code == 201


def test_demo_totp_prints_the_demo_code(db):
    out = io.StringIO()

    call_command("demo_totp", stdout=out)

    assert out.getvalue().strip() == pyotp.TOTP(DEMO_TOTP_SECRET).now()
