"""A real OpenID Connect provider (the npm package oidc-provider) on a loopback port, for every SSO test.

`make test` installs it (`npm ci` in tools/oidc-provider). The session fixture starts
`node provider.js`, waits until its discovery document answers, and stops it at the end. Its
development login form accepts any login with any password, and the login is the account's e-mail
(verified unless it contains "+unverified"): see tools/oidc-provider/provider.js.
"""

from __future__ import annotations

import json
import re
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
import requests

from partnerdesk.access.principal import principal_for
from partnerdesk.directory.models import Domain
from partnerdesk.sso import services
from partnerdesk.sso.models import SsoConnection
from partnerdesk.testing import World

PROVIDER_DIR = Path(__file__).resolve().parents[3] / "tools" / "oidc-provider"
CLIENT_ID = "partnerdesk"
CLIENT_SECRET = "partnerdesk-test-secret"
CALLBACK_PATH = "/account/sso/callback/"


@dataclass
class Provider:
    issuer: str

    def log_in(self, authorization_url: str, login: str) -> str:
        """Go through the provider's login form as `login` without a browser; return the callback URL.

        Follows the provider's own redirects, fills its development login form, and stops at the
        first redirect that leaves the provider: Partnerdesk's callback with the code and state.
        """
        session = requests.Session()
        url = authorization_url
        for _ in range(10):
            response = session.get(url, allow_redirects=False, timeout=10)
            if response.status_code == 200 and 'name="login"' in response.text:
                action = re.search(r'<form[^>]*action="([^"]+)"', response.text)
                assert action, response.text
                response = session.post(
                    urljoin(url, action.group(1)),
                    data={"prompt": "login", "login": login, "password": "any"},
                    allow_redirects=False,
                    timeout=10,
                )
            assert response.status_code in (302, 303), (response.status_code, response.text[:500])
            url = urljoin(url, response.headers["Location"])
            if not url.startswith(self.issuer):
                return url
        raise AssertionError("the provider never sent the browser back")


@pytest.fixture(scope="session")
def oidc_provider() -> Iterator[Provider]:
    if not (PROVIDER_DIR / "node_modules" / "oidc-provider").exists():
        pytest.fail(f"the test provider is not installed: run `make test-provider` ({PROVIDER_DIR})")
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(
            ["node", "provider.js", "0"], cwd=PROVIDER_DIR, stdout=subprocess.PIPE, stderr=errors, text=True
        )
        try:
            assert process.stdout is not None
            line = process.stdout.readline()
            if not line:
                errors.seek(0)
                pytest.fail(f"the test provider did not start: {errors.read().decode()[-2000:]}")
            issuer = json.loads(line)["issuer"]
            deadline = time.monotonic() + 15
            while True:
                try:
                    if requests.get(f"{issuer}/.well-known/openid-configuration", timeout=2).ok:
                        break
                except requests.RequestException:
                    pass
                if time.monotonic() > deadline:
                    pytest.fail("the test provider's discovery document never answered")
                time.sleep(0.05)
            yield Provider(issuer)
        finally:
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()


@pytest.fixture(autouse=True)
def _loopback_provider_allowed(settings: Any) -> None:
    settings.SSO_ALLOW_INSECURE_LOOPBACK = True


def verify_domain(organization: Any, name: str) -> Domain:
    """A domain the organization proved in DNS (the directory's tests prove the proving)."""
    return Domain.objects.create(organization=organization, name=name, status=Domain.Status.VERIFIED)


def connect(world: World, provider: Provider, key: str = "a1.global_admin", **choices: Any) -> SsoConnection:
    """Connect the provider for the organization of `key`, through the service (real discovery)."""
    return services.save_connection(
        principal_for(world.user(key)),
        issuer=provider.issuer,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        **choices,
    )


@pytest.fixture
def contoso(world: World) -> World:
    """Contoso (customer A1) has verified contoso.test, where its users' names are."""
    verify_domain(world.customer_a1, "contoso.test")
    return world


def callback_path(url: str) -> str:
    parts = urlsplit(url)
    assert parts.path == CALLBACK_PATH, url
    return f"{parts.path}?{parts.query}"
