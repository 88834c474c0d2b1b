"""In real chromium and over real HTTP: a partner's admin registers an app, the app signs in with it.

The admin registers the app on the partner center's Apps page and reads the secret shown once; a
plain HTTP client (the integration) then asks the live server's token endpoint for a token and calls
the API with it; the audit log names the app. Rotating the secret on the page ends that token.
"""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

import pytest

pytestmark = pytest.mark.browser


def _http(url: str, *, data: bytes | None = None, headers: dict[str, str] | None = None) -> tuple[int, Any]:
    request = urllib.request.Request(url, data=data, headers=headers or {})  # noqa: S310 (the live server)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_an_admin_registers_an_app_and_the_app_calls_the_api(browsing: Any) -> None:
    world = browsing.world
    admin = browsing.sign_in_as("a.partner_global_admin")
    admin.goto("/partner/apps/")
    admin.fill("input[name=name]", "PSA sync")
    admin.check("input[name=scopes][value=tenancy]")
    with admin.expect_navigation():
        admin.click("[data-testid=app-form] button[type=submit]")
    client_id = admin.inner_text("[data-testid=client-id]")
    secret = admin.inner_text("[data-testid=client-secret]")
    assert client_id.startswith("pdc_") and secret.startswith("pdcs_")

    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    status, token = _http(
        f"{browsing.base_url}/api/v1/oauth/token",
        data=urllib.parse.urlencode({"grant_type": "client_credentials"}).encode(),
        headers={"Authorization": f"Basic {basic}", "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert status == 200, token
    bearer = {"Authorization": f"Bearer {token['access_token']}", "Content-Type": "application/json"}
    status, customers = _http(f"{browsing.base_url}/api/v1/customers", headers=bearer)
    assert status == 200
    assert world.customer_a1.name in {item["name"] for item in customers["items"]}
    patch = urllib.request.Request(  # noqa: S310
        f"{browsing.base_url}/api/v1/customers/{world.customer_a1.pk}",
        data=json.dumps({"phone": "+1 555 0100"}).encode(),
        headers=bearer,
        method="PATCH",
    )
    with urllib.request.urlopen(patch, timeout=10) as response:  # noqa: S310
        assert response.status == 200

    admin.goto("/partner/audit/")
    assert "The app PSA sync (Fabrikam)" in admin.inner_text("main")

    # Rotating the secret asks first, then ends the token at once.
    admin.goto("/partner/apps/")
    with admin.expect_navigation():
        admin.click("text=Rotate secret")
    with admin.expect_navigation():
        admin.click("[data-testid=confirmation] ~ form button[type=submit]")
    assert admin.inner_text("[data-testid=client-secret]") != secret
    status, _body = _http(f"{browsing.base_url}/api/v1/customers", headers=bearer)
    assert status == 401
