"""Single sign-on in real chromium against the real local OpenID Connect provider (oidc-provider).

A customer's global admin connects the provider on the admin center's page; a user of its verified
domain types only the e-mail on Partnerdesk's sign-in page, goes through the provider's login form
and comes back signed in; with "require SSO" the password is refused on the same page.
"""

from __future__ import annotations

from typing import Any

import pytest

from partnerdesk.directory.models import SignInEvent
from partnerdesk.sso.models import SsoConnection
from partnerdesk.sso.tests.conftest import CLIENT_ID, CLIENT_SECRET, Provider, verify_domain
from partnerdesk.testing import PASSWORD

pytestmark = pytest.mark.browser


def submit(page: Any, selector: str = "main form button[type=submit]") -> None:
    with page.expect_navigation():
        page.click(selector)


@pytest.fixture
def site(settings: Any, live_server: Any) -> None:
    # The provider sends the browser back to the callback on the live server.
    settings.SITE_URL = live_server.url


def test_a_user_signs_in_through_the_organizations_provider(
    browsing: Any, oidc_provider: Provider, site: None
) -> None:
    world = browsing.world
    verify_domain(world.customer_a1, "contoso.test")

    admin = browsing.sign_in_as("a1.global_admin")
    admin.goto("/admin/settings/")
    submit(admin, "main a:has-text('Single sign-on')")
    assert "contoso.test" in admin.locator("[data-testid=sso-domains]").inner_text()
    admin.fill("input[name=issuer]", oidc_provider.issuer)
    admin.fill("input[name=client_id]", CLIENT_ID)
    admin.fill("input[name=client_secret]", CLIENT_SECRET)
    submit(admin, "[data-testid=sso-form] button[type=submit]")
    assert "The identity provider was saved." in admin.content()
    assert SsoConnection.objects.get().issuer == oidc_provider.issuer

    page = browsing.page()
    page.goto("/account/signin/")
    page.fill("input[name=email]", "user@contoso.test")
    page.click("main form button[type=submit]")
    # Partnerdesk's page sends the browser on to the provider's own login form.
    page.wait_for_url(f"{oidc_provider.issuer}/**")
    page.wait_for_selector("input[name=login]")
    page.fill("input[name=login]", "user@contoso.test")
    page.fill("input[name=password]", "whatever the provider asks")
    page.click("button[type=submit]")
    page.wait_for_url(f"{browsing.base_url}/**")
    assert page.locator("[data-testid=org-name]").inner_text() == "Contoso"
    logged = SignInEvent.objects.get(email="user@contoso.test")
    assert (logged.result, logged.method) == ("success", "sso")


def test_require_sso_refuses_the_password_on_the_sign_in_page(
    browsing: Any, oidc_provider: Provider, site: None
) -> None:
    world = browsing.world
    verify_domain(world.customer_a1, "contoso.test")
    admin = browsing.sign_in_as("a1.global_admin")
    admin.goto("/admin/settings/single-sign-on/")
    admin.fill("input[name=issuer]", oidc_provider.issuer)
    admin.fill("input[name=client_id]", CLIENT_ID)
    admin.fill("input[name=client_secret]", CLIENT_SECRET)
    admin.check("input[name=require_sso]")
    submit(admin, "[data-testid=sso-form] button[type=submit]")
    assert SsoConnection.objects.get().require_sso

    page = browsing.sign_in("user@contoso.test", PASSWORD)
    assert page.url.endswith("/account/signin/")
    assert "signs in through its own identity provider" in page.locator("main .form-errors").inner_text()
