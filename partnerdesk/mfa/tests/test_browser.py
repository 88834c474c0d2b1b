"""Multi-factor authentication in real chromium: an authenticator app, recovery codes, a required
policy, and a security key (Chromium's virtual WebAuthn authenticator through the DevTools protocol)."""

from __future__ import annotations

import pyotp
import pytest

from partnerdesk.access.principal import principal_for
from partnerdesk.mfa import services
from partnerdesk.mfa.models import Factor, OrganizationPolicy
from partnerdesk.mfa.tests.conftest import SECRET, code
from partnerdesk.testing import PASSWORD

pytestmark = pytest.mark.browser


def second_step(page, value: str) -> None:
    assert page.url.endswith("/account/signin/verify/")
    page.fill("input[name=code]", value)
    with page.expect_navigation():
        page.click("[data-testid=second-step] button[type=submit]")


def sign_out(page) -> None:
    with page.expect_navigation():
        page.click("header form button:has-text('Sign out')")


def test_enrol_an_authenticator_app_then_sign_in_with_it(browsing):
    page = browsing.sign_in_as("a1.global_admin")
    page.goto("/account/profile/")
    page.click("[data-testid=second-factors]")
    with page.expect_navigation():
        page.click("[data-testid=add-totp]")
    secret = page.inner_text("[data-testid=totp-secret]")
    assert page.inner_text("[data-testid=totp-uri]").startswith("otpauth://totp/")
    assert page.locator("[data-testid=totp-qr] svg").count() == 1
    page.fill("input[name=code]", pyotp.TOTP(secret).now())
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    assert page.locator("[data-testid=recovery-codes] li").count() == 10
    assert page.locator("[data-testid=factors] input[name=name]").input_value() == "Authenticator app"
    sign_out(page)

    browsing.sign_in_as("a1.global_admin", page=page)
    assert page.url.endswith("/account/signin/verify/")
    second_step(page, code(secret, steps_ahead=1))

    assert page.url.endswith("/admin/")


def test_a_recovery_code_signs_in_once(browsing):
    user = browsing.world.user("a.admin_agent")
    services.add_confirmed_totp(user, SECRET)
    recovery = services.new_recovery_codes(principal_for(user), user)[0]

    page = browsing.sign_in_as("a.admin_agent")
    second_step(page, recovery)
    assert page.url.endswith("/partner/")

    again = browsing.sign_in_as("a.admin_agent")
    second_step(again, recovery)
    assert again.url.endswith("/account/signin/verify/")
    assert "That code is not right." in again.inner_text("main")


def test_a_user_under_a_required_policy_reaches_no_page_before_enrolling(browsing):
    OrganizationPolicy.objects.filter(organization=browsing.world.partner_a).delete()  # the default
    page = browsing.sign_in_as("a.helpdesk_agent")
    assert page.url.endswith("/account/mfa/")

    for path in ("/", "/partner/", "/partner/customers/", "/partner/team/", "/account/profile/", "/admin/"):
        page.goto(path)
        assert page.url.endswith("/account/mfa/"), path
        assert page.locator("[data-testid=enrolment-required]").is_visible()

    with page.expect_navigation():
        page.click("[data-testid=add-totp]")
    page.fill("input[name=code]", pyotp.TOTP(page.inner_text("[data-testid=totp-secret]")).now())
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    page.goto("/partner/customers/")
    assert page.url.endswith("/partner/customers/")


def test_a_security_key_enrols_and_signs_in(browsing):
    page = browsing.page()
    devtools = page.context.new_cdp_session(page)
    devtools.send("WebAuthn.enable")
    devtools.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
            }
        },
    )
    browsing.sign_in_as("a1.global_admin", page=page)
    page.goto("/account/mfa/")
    page.fill("[data-webauthn-name]", "Laptop passkey")
    with page.expect_navigation():
        page.click("[data-testid=add-security-key]")
    assert page.locator("[data-testid=factors] input[name=name]").input_value() == "Laptop passkey"
    assert page.locator("[data-testid=recovery-codes] li").count() == 10
    factor = Factor.objects.get(user=browsing.world.user("a1.global_admin"))
    assert factor.kind == "webauthn" and factor.credential_id
    sign_out(page)

    page.goto("/account/signin/")
    page.fill("input[name=email]", browsing.world.user("a1.global_admin").email)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    assert page.url.endswith("/account/signin/verify/")
    with page.expect_navigation():
        page.click("[data-testid=use-security-key]")

    assert page.url.endswith("/admin/")
    assert Factor.objects.get(pk=factor.pk).last_used_at is not None
