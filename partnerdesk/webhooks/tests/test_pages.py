"""Each portal's webhook pages: admins register, edit, rotate, test, re-send, delete; others cannot."""

from __future__ import annotations

import re
from typing import Any

import pytest

from partnerdesk.access.principal import principal_for
from partnerdesk.testing import World, database_state
from partnerdesk.webhooks import services
from partnerdesk.webhooks.models import WebhookDelivery, WebhookEndpoint
from partnerdesk.webhooks.tests.conftest import worker_cycle

pytestmark = pytest.mark.django_db

PORTALS = [
    ("operator", "operator.operator_admin"),
    ("partner", "a.partner_global_admin"),
    ("admin", "a1.global_admin"),
]


@pytest.mark.parametrize(("portal", "key"), PORTALS)
def test_an_admin_registers_an_endpoint_and_sees_its_secret_once(
    web: Any, world: World, portal: str, key: str
) -> None:
    client = web(key)
    assert client.get(f"/{portal}/webhooks/").status_code == 200

    created = client.post(
        f"/{portal}/webhooks/",
        {"url": "http://127.0.0.1:9/in", "events": "subscription.*\nuser.created", "description": "ERP"},
    )

    endpoint = WebhookEndpoint.objects.get()
    assert created.status_code == 302 and created["Location"] == f"/{portal}/webhooks/{endpoint.pk}/"
    assert endpoint.events == ["subscription.*", "user.created"]
    assert endpoint.organization == world.user(key).organization
    shown = client.get(created["Location"]).content.decode()
    secret = re.search(r"whsec_[A-Za-z0-9+/=]+", shown)
    assert secret and services.unseal(endpoint.secret) == secret.group(0)
    assert "whsec_" not in client.get(created["Location"]).content.decode()  # once


def test_an_unknown_event_or_a_private_address_is_shown_again_with_the_reason(
    web: Any, world: World, settings: Any
) -> None:
    settings.WEBHOOK_ALLOWED_NETWORKS = []
    client = web("a.partner_global_admin")
    before = database_state()

    unknown = client.post(
        "/partner/webhooks/", {"url": "https://203.0.113.5/in", "events": "subscription.exploded"}
    )
    private = client.post("/partner/webhooks/", {"url": "https://10.0.0.1/in", "events": "*"})

    assert unknown.status_code == 422 and "subscription.exploded" in unknown.content.decode()
    assert private.status_code == 422 and "private or reserved" in private.content.decode()
    assert database_state() == before


def test_the_endpoint_page_edits_with_its_etag_rotates_tests_resends_and_deletes(
    web: Any, world: World, receivers: Any
) -> None:
    receiver = receivers()
    created = services.create_endpoint(
        principal_for(world.user("a.partner_global_admin")), url=receiver.url, events=["*"]
    )
    endpoint = created.endpoint
    client = web("a.partner_global_admin")
    page = f"/partner/webhooks/{endpoint.pk}/"
    etag = re.search(r'name="etag" value="([^"]+)"', client.get(page).content.decode())
    assert etag
    form = {"url": receiver.url, "events": "subscription.*", "description": "Mine", "enabled": "1"}

    assert client.post(page, {**form, "etag": etag.group(1).replace("&quot;", '"')}).status_code == 302
    endpoint.refresh_from_db()
    assert endpoint.events == ["subscription.*"] and endpoint.description == "Mine"
    before = database_state()
    stale = client.post(page, {**form, "description": "Stale", "etag": etag.group(1).replace("&quot;", '"')})
    assert stale.status_code == 409 and database_state() == before

    assert client.post(f"{page}rotate/").status_code == 302
    endpoint.refresh_from_db()
    assert endpoint.previous_secret and services.unseal(endpoint.secret) != created.secret
    assert client.post(f"{page}test/").status_code == 302
    worker_cycle()
    assert [request.type for request in receiver.requests] == ["webhook.test"]
    log = client.get(page).content.decode()
    assert "webhook.test" in log and "204" in log
    delivery = WebhookDelivery.objects.get()
    assert client.post(f"{page}deliveries/{delivery.pk}/resend/").status_code == 302
    worker_cycle()
    assert [request.message_id for request in receiver.requests] == [delivery.message_id] * 2

    asked = client.post(f"{page}delete/")
    assert asked.status_code == 200 and WebhookEndpoint.objects.exists()  # the confirmation page
    assert client.post(f"{page}delete/", {"confirmed": "1"}).status_code == 302
    assert not WebhookEndpoint.objects.exists()


def test_wrong_roles_and_outsiders_change_nothing(web: Any, world: World) -> None:
    endpoint = services.create_endpoint(
        principal_for(world.user("a.partner_global_admin")), url="http://127.0.0.1:9/in", events=["*"]
    ).endpoint
    page = f"/partner/webhooks/{endpoint.pk}/"
    form = {"url": "http://127.0.0.1:9/x", "events": "*"}
    before = database_state()

    for key in ("a.admin_agent", "a.helpdesk_agent"):  # partner A's people without webhooks.manage
        client = web(key)
        assert client.get("/partner/webhooks/").status_code == 403
        assert client.post("/partner/webhooks/", form).status_code == 403
        assert client.post(page, form).status_code == 403
        assert client.post(f"{page}rotate/").status_code == 403
    outsider = web("b.partner_global_admin")
    assert outsider.get(page).status_code == 404
    for action in ("", "rotate/", "test/", "delete/"):
        assert outsider.post(f"{page}{action}", {**form, "confirmed": "1"}).status_code == 404
    assert str(endpoint.pk) not in outsider.get("/partner/webhooks/").content.decode()
    assert web("a1.global_admin").get(page).status_code == 403  # another portal's page
    assert web(None).get(page).status_code == 302
    assert database_state() == before
