"""Admins register, read, change, rotate and delete their organization's webhook endpoints (API)."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from partnerdesk.testing import World, database_state
from partnerdesk.webhooks.models import WebhookEndpoint

pytestmark = pytest.mark.django_db

URL = "http://127.0.0.1:9/hooks"


def register(client: Any, **body: Any) -> Any:
    return client.post("/webhook-endpoints", {"url": URL, "events": ["subscription.*"], **body})


@pytest.mark.parametrize("key", ["operator.operator_admin", "a.partner_global_admin", "a1.global_admin"])
def test_each_side_s_admin_registers_an_endpoint_and_sees_the_secret_once(
    api: Any, world: World, key: str
) -> None:
    client = api(key)

    created = register(client, description="Billing sync")

    assert created.status_code == 201, created.content
    body = created.json_body
    assert body["secret"].startswith("whsec_") and len(base64.b64decode(body["secret"][6:])) == 32
    assert body["events"] == ["subscription.*"] and body["enabled"] is True
    endpoint = WebhookEndpoint.objects.get(pk=body["id"])
    assert endpoint.organization == world.user(key).organization
    assert body["secret"] not in endpoint.secret  # kept encrypted
    shown = client.get(f"/webhook-endpoints/{body['id']}")
    assert shown.status_code == 200 and "secret" not in shown.json_body
    listed = client.get("/webhook-endpoints").json_body
    assert [item["id"] for item in listed["items"]] == [body["id"]] and listed["next_cursor"] is None


def test_unknown_event_names_are_refused_and_nothing_is_kept(api: Any, world: World) -> None:
    before = database_state()

    refused = register(
        api("a.partner_global_admin"), events=["subscription.*", "subscription.exploded", "nope.*"]
    )

    assert refused.status_code == 422
    assert refused.json_body["error"]["code"] == "unknown_event"
    assert "subscription.exploded" in refused.json_body["error"]["message"]
    assert database_state() == before


@pytest.mark.parametrize(
    "url",
    [
        "https://10.0.0.1/hooks",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/hooks",
        "http://[::ffff:10.0.0.1]/hooks",
        "https://localhost/hooks",  # a host name that resolves to loopback
        "http://203.0.113.10/hooks",  # https is required outside the allowed networks
        "ftp://example.com/hooks",
    ],
)
def test_urls_that_reach_private_or_reserved_addresses_are_refused(
    api: Any, world: World, settings: Any, url: str
) -> None:
    settings.WEBHOOK_ALLOWED_NETWORKS = []
    before = database_state()

    refused = register(api("a.partner_global_admin"), url=url)

    assert refused.status_code == 422, refused.content
    assert refused.json_body["error"]["code"] in ("webhook_url_refused", "validation_error")
    assert database_state() == before


def test_loopback_is_allowed_only_where_the_setting_allows_it(api: Any, world: World) -> None:
    # The tests' setting: 127.0.0.0/8, nothing else (partnerdesk/conftest.py).
    assert register(api("a.partner_global_admin"), url="http://127.0.0.1:9/x").status_code == 201
    assert register(api("a.partner_global_admin"), url="http://[::1]:9/x").status_code == 422


def test_patch_honours_if_match_and_rotation_keeps_the_old_secret_signing(api: Any, world: World) -> None:
    client = api("a.partner_global_admin")
    created = register(client).json_body
    path = f"/webhook-endpoints/{created['id']}"
    etag = client.get(path)["ETag"]

    changed = client.patch(path, {"events": ["*"], "description": "All"}, headers={"If-Match": etag})
    assert changed.status_code == 200 and changed.json_body["events"] == ["*"]
    before = database_state()
    stale = client.patch(path, {"description": "Mine"}, headers={"If-Match": etag})
    assert stale.status_code == 412 and database_state() == before

    rotated = client.post(f"{path}/rotate-secret")
    assert rotated.status_code == 200
    assert rotated.json_body["secret"] != created["secret"]
    assert rotated.json_body["previous_secret_expires_at"] is not None

    assert client.delete(path).status_code == 204
    assert not WebhookEndpoint.objects.filter(pk=created["id"]).exists()


def test_wrong_roles_outsiders_and_anonymous_change_nothing(api: Any, world: World) -> None:
    created = register(api("a.partner_global_admin")).json_body
    path = f"/webhook-endpoints/{created['id']}"
    before = database_state()

    for key in ("a.admin_agent", "a1.user_admin"):  # their organization's people, not its webhook admins
        client = api(key)
        assert register(client).status_code == 403
        assert client.get("/webhook-endpoints").status_code == 403
        assert client.delete(path).status_code == 403
    for key in ("b.partner_global_admin", "a1.global_admin", "operator.operator_admin"):  # outsiders
        client = api(key)
        assert client.get(path).status_code == 404
        assert client.patch(path, {"description": "x"}).status_code == 404
        assert client.post(f"{path}/rotate-secret").status_code == 404
        assert client.post(f"{path}/test").status_code == 404
        assert client.delete(path).status_code == 404
        assert client.get(f"{path}/attempts").status_code == 404
        assert created["id"] not in str(client.get("/webhook-endpoints").json_body)
    assert api(None).get("/webhook-endpoints").status_code == 401
    assert register(api(None)).status_code == 401
    assert database_state() == before
