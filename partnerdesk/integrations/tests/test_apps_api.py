"""`/api/v1/oauth-apps`: an organization's admins register, list, rotate and delete its apps."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from partnerdesk.access.principal import principal_for
from partnerdesk.integrations import services
from partnerdesk.integrations.models import OAuthApp
from partnerdesk.testing import World, database_state

pytestmark = pytest.mark.django_db


def test_an_admin_registers_an_app_and_sees_its_secret_once(api: Any, world: World) -> None:
    admin = api("a.partner_global_admin")
    created = admin.post("/oauth-apps", {"name": "PSA sync", "scopes": ["support", "read"]})
    assert created.status_code == 201, created.json_body
    body = created.json_body
    assert body["client_id"].startswith("pdc_")
    assert body["client_secret"].startswith("pdcs_")
    assert body["scopes"] == ["read", "support"]
    assert body["token_url"] == "/api/v1/oauth/token"
    assert created["ETag"]
    app = OAuthApp.objects.get()
    assert app.organization == world.partner_a
    assert body["client_secret"] not in (app.secret_hash, app.secret_prefix)

    listed = admin.get("/oauth-apps")
    assert [item["name"] for item in listed.json_body["items"]] == ["PSA sync"]
    assert "client_secret" not in listed.json_body["items"][0]
    one = admin.get(f"/oauth-apps/{app.pk}")
    assert one.status_code == 200
    assert one["ETag"] == created["ETag"]


def test_registering_honours_the_idempotency_key(api: Any) -> None:
    admin = api("a1.global_admin")
    headers = {"Idempotency-Key": "register-psa-1"}
    first = admin.post("/oauth-apps", {"name": "Script", "scopes": ["directory"]}, headers=headers)
    again = admin.post("/oauth-apps", {"name": "Script", "scopes": ["directory"]}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.json_body == first.json_body
    assert OAuthApp.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"name": "x", "scopes": []}, 422, "validation_error"),
        ({"name": "", "scopes": ["read"]}, 422, "validation_error"),
        ({"name": "x", "scopes": ["everything"]}, 422, "validation_error"),
        ({"name": "x", "scopes": ["entitlements"]}, 400, "invalid_scope"),
    ],
)
def test_bad_registrations_change_nothing(api: Any, body: dict[str, Any], status: int, code: str) -> None:
    before = database_state()
    response = api("a.partner_global_admin").post("/oauth-apps", body)
    assert response.status_code == status, response.json_body
    assert response.json_body["error"]["code"] == code
    assert database_state() == before


def test_the_operator_registers_an_entitlements_app(api: Any) -> None:
    response = api("operator.operator_admin").post(
        "/oauth-apps", {"name": "Mail", "scopes": ["entitlements"]}
    )
    assert response.status_code == 201
    assert response.json_body["scopes"] == ["entitlements"]


def test_rotating_answers_a_new_secret_and_honours_if_match(api: Any, world: World) -> None:
    admin = api("a.partner_global_admin")
    created = admin.post("/oauth-apps", {"name": "PSA", "scopes": ["support"]})
    app_id = created.json_body["id"]
    before = database_state()
    stale = admin.post(f"/oauth-apps/{app_id}/rotate-secret", headers={"If-Match": '"99"'})
    assert stale.status_code == 412
    assert database_state() == before
    rotated = admin.post(f"/oauth-apps/{app_id}/rotate-secret", headers={"If-Match": created["ETag"]})
    assert rotated.status_code == 200
    assert rotated.json_body["client_secret"] != created.json_body["client_secret"]
    assert rotated.json_body["client_id"] == created.json_body["client_id"]
    assert rotated["ETag"] != created["ETag"]


def test_deleting_honours_if_match(api: Any) -> None:
    admin = api("a1.global_admin")
    created = admin.post("/oauth-apps", {"name": "Script", "scopes": ["read"]})
    app_id = created.json_body["id"]
    before = database_state()
    assert admin.delete(f"/oauth-apps/{app_id}", headers={"If-Match": '"99"'}).status_code == 412
    assert database_state() == before
    assert admin.delete(f"/oauth-apps/{app_id}", headers={"If-Match": created["ETag"]}).status_code == 204
    assert not OAuthApp.objects.exists()


@pytest.fixture
def partner_app(world: World) -> OAuthApp:
    return services.register_app(
        principal_for(world.user("a.partner_global_admin")), name="PSA", scopes=["support"]
    ).app


@pytest.mark.parametrize(
    "key", ["a.admin_agent", "a.helpdesk_agent", "a1.user_admin", "operator.support_engineer"]
)
def test_other_roles_are_refused_and_nothing_changes(api: Any, key: str, partner_app: OAuthApp) -> None:
    client = api(key)
    before = database_state()
    assert client.post("/oauth-apps", {"name": "x", "scopes": ["read"]}).status_code == 403
    assert client.get("/oauth-apps").status_code == 403
    assert client.post(f"/oauth-apps/{partner_app.pk}/rotate-secret").status_code == 403
    assert client.delete(f"/oauth-apps/{partner_app.pk}").status_code == 403
    assert database_state() == before


def test_the_auditor_sees_the_operators_apps_but_changes_none(api: Any, world: World) -> None:
    app = services.register_app(
        principal_for(world.user("operator.operator_admin")), name="Mail", scopes=["entitlements"]
    ).app
    auditor = api("operator.auditor")
    assert [item["id"] for item in auditor.get("/oauth-apps").json_body["items"]] == [str(app.pk)]
    before = database_state()
    assert auditor.delete(f"/oauth-apps/{app.pk}").status_code == 403
    assert database_state() == before


@pytest.mark.parametrize("key", ["b.partner_global_admin", "a1.global_admin", "operator.operator_admin"])
def test_another_organizations_app_is_not_found(api: Any, key: str, partner_app: OAuthApp) -> None:
    client = api(key)
    before = database_state()
    assert client.get(f"/oauth-apps/{partner_app.pk}").status_code == 404
    assert client.post(f"/oauth-apps/{partner_app.pk}/rotate-secret").status_code == 404
    assert client.delete(f"/oauth-apps/{partner_app.pk}").status_code == 404
    assert client.get("/oauth-apps").json_body["items"] == []
    assert database_state() == before


def test_a_partner_acting_for_a_customer_cannot_register_its_apps(api: Any, world: World) -> None:
    before = database_state()
    agent = api("a.admin_agent", on_behalf_of=world.customer_a1.pk)
    assert agent.post("/oauth-apps", {"name": "x", "scopes": ["read"]}).status_code == 403
    assert database_state() == before


def test_anonymous_is_401(partner_app: OAuthApp) -> None:
    before = database_state()
    assert Client().get("/api/v1/oauth-apps").status_code == 401
    assert Client().delete(f"/api/v1/oauth-apps/{partner_app.pk}").status_code == 401
    assert database_state() == before
