"""Each portal's Apps page: register (the secret shown once), rotate and delete, with confirmation."""

from __future__ import annotations

import re
from typing import Any

import pytest

from partnerdesk.access.principal import principal_for
from partnerdesk.audit.models import AuditEvent
from partnerdesk.integrations import services
from partnerdesk.integrations.models import OAuthAccessToken, OAuthApp
from partnerdesk.testing import World, database_state

pytestmark = pytest.mark.django_db

PORTALS = [
    ("operator", "operator.operator_admin", "entitlements"),
    ("partner", "a.partner_global_admin", "support"),
    ("admin", "a1.global_admin", "directory"),
]


@pytest.mark.parametrize(("portal", "key", "scope"), PORTALS)
def test_an_admin_registers_an_app_and_sees_the_secret_once(
    web: Any, world: World, portal: str, key: str, scope: str
) -> None:
    client = web(key)
    page = client.get(f"/{portal}/apps/")
    assert page.status_code == 200
    assert b'data-testid="app-form"' in page.content
    response = client.post(f"/{portal}/apps/", {"name": "My integration", "scopes": [scope]}, follow=True)
    assert response.status_code == 200
    secret = re.search(rb'data-testid="client-secret">(pdcs_[^<]+)<', response.content)
    assert secret is not None
    app = OAuthApp.objects.get()
    assert app.scopes == [scope] and app.organization == world.user(key).organization
    # Shown once: the next visit shows the app, not its secret.
    again = client.get(f"/{portal}/apps/")
    assert secret.group(1) not in again.content
    assert b"My integration" in again.content


def test_an_invalid_registration_is_refused_with_the_form(web: Any) -> None:
    before = database_state()
    response = web("a.partner_global_admin").post("/partner/apps/", {"name": "x", "scopes": ["entitlements"]})
    assert response.status_code == 400
    assert database_state() == before


def _app(world: World, key: str = "a.partner_global_admin") -> services.NewSecret:
    return services.register_app(principal_for(world.user(key)), name="PSA", scopes=["support"])


def test_rotating_asks_first_then_shows_the_new_secret(web: Any, world: World) -> None:
    new = _app(world)
    OAuthAccessToken.objects.create(app=new.app, token_hash="x" * 64, expires_at=new.app.created_at)
    client = web("a.partner_global_admin")
    url = f"/partner/apps/{new.app.pk}/rotate/"
    before = database_state()
    asked = client.post(url, {"etag": new.app.etag})
    assert b'data-testid="confirmation"' in asked.content
    assert database_state() == before
    done = client.post(url, {"etag": new.app.etag, "confirmed": "1"}, follow=True)
    assert b'data-testid="client-secret"' in done.content
    assert not OAuthAccessToken.objects.exists()
    assert AuditEvent.objects.filter(action="oauth_app.secret_rotated").count() == 1


def test_a_stale_form_changes_nothing(web: Any, world: World) -> None:
    new = _app(world)
    before = database_state()
    response = web("a.partner_global_admin").post(
        f"/partner/apps/{new.app.pk}/delete/", {"etag": '"99"', "confirmed": "1"}, follow=True
    )
    assert response.status_code == 200
    assert database_state() == before


def test_deleting_asks_first(web: Any, world: World) -> None:
    new = _app(world)
    client = web("a.partner_global_admin")
    url = f"/partner/apps/{new.app.pk}/delete/"
    assert b'data-testid="confirmation"' in client.post(url, {"etag": new.app.etag}).content
    assert OAuthApp.objects.exists()
    client.post(url, {"etag": new.app.etag, "confirmed": "1"})
    assert not OAuthApp.objects.exists()


@pytest.mark.parametrize(
    ("key", "portal"),
    [("a.admin_agent", "partner"), ("a1.user_admin", "admin"), ("operator.support_engineer", "operator")],
)
def test_other_roles_are_refused_and_nothing_changes(web: Any, world: World, key: str, portal: str) -> None:
    owner = {
        "partner": "a.partner_global_admin",
        "admin": "a1.global_admin",
        "operator": "operator.operator_admin",
    }
    new = _app(world, owner[portal])
    client = web(key)
    before = database_state()
    assert client.get(f"/{portal}/apps/").status_code == 403
    assert client.post(f"/{portal}/apps/", {"name": "x", "scopes": ["read"]}).status_code == 403
    assert client.post(f"/{portal}/apps/{new.app.pk}/delete/", {"confirmed": "1"}).status_code == 403
    assert client.post(f"/{portal}/apps/{new.app.pk}/rotate/", {"confirmed": "1"}).status_code == 403
    assert database_state() == before


def test_the_auditor_sees_the_list_without_the_buttons(web: Any, world: World) -> None:
    _app(world, "operator.operator_admin")
    page = web("operator.auditor").get("/operator/apps/")
    assert page.status_code == 200
    assert b"PSA" in page.content
    assert b"Rotate secret" not in page.content and b'data-testid="app-form"' not in page.content


def test_another_organizations_app_is_not_found(web: Any, world: World) -> None:
    new = _app(world)
    client = web("b.partner_global_admin")
    before = database_state()
    assert client.post(f"/partner/apps/{new.app.pk}/delete/", {"confirmed": "1"}).status_code == 404
    assert client.post(f"/partner/apps/{new.app.pk}/rotate/", {"confirmed": "1"}).status_code == 404
    assert b"Your organization has no apps." in client.get("/partner/apps/").content
    assert database_state() == before
