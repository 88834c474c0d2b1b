"""Deliveries: signed (Standard Webhooks), retried in order with back-off, disabled after persistent
failure, refused towards private addresses at delivery time, re-sent and pinged on request."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from partnerdesk.access.permissions import Role
from partnerdesk.access.principal import principal_for
from partnerdesk.events.services import Audience, emit
from partnerdesk.notifications import services as outbox
from partnerdesk.subscriptions import licences, lifecycle
from partnerdesk.subscriptions.tests.conftest import build_catalog
from partnerdesk.testing import World, make_user
from partnerdesk.webhooks import delivery, services
from partnerdesk.webhooks.models import DeliveryAttempt, WebhookDelivery, WebhookEndpoint, new_secret
from partnerdesk.webhooks.tests.conftest import Receiver, worker_cycle

pytestmark = pytest.mark.django_db


def endpoint_for(
    world: World, key: str, receiver: Receiver, events: list[str] | None = None
) -> tuple[WebhookEndpoint, str]:
    created = services.create_endpoint(
        principal_for(world.user(key)), url=receiver.url, events=events or ["*"]
    )
    return created.endpoint, created.secret


def ping(world: World, number: int) -> None:
    """An event partner A may see (a relationship's), numbered in its payload's roles."""
    relationship = world.relationship_a1
    assert relationship is not None
    data = {
        "id": relationship.pk,
        "partner_id": relationship.partner_id,
        "customer_id": relationship.customer_id,
        "status": "active",
        "roles": [str(number)],
    }
    emit("relationship.accepted", relationship, data, Audience.of(relationship, operator=True))


def test_a_delivery_is_signed_and_verifies_with_standardwebhooks(world: World, receivers: Any) -> None:
    receiver = receivers()
    endpoint, secret = endpoint_for(world, "a.partner_global_admin", receiver)
    ping(world, 1)

    worker_cycle()

    [received] = receiver.requests
    assert Webhook(secret).verify(received.body, received.headers)["type"] == "relationship.accepted"
    assert received.message_id == WebhookDelivery.objects.get(endpoint=endpoint).message_id
    assert received.document["data"]["partner_id"] == str(world.partner_a.pk)
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(received.body, received.headers)  # another secret does not
    [attempt] = DeliveryAttempt.objects.filter(delivery__endpoint=endpoint)
    assert attempt.succeeded and attempt.status_code == 204 and attempt.error == ""


def test_after_rotation_both_secrets_verify_until_the_roll_over_ends(world: World, receivers: Any) -> None:
    receiver = receivers()
    endpoint, old = endpoint_for(world, "a.partner_global_admin", receiver)
    new = services.rotate_secret(principal_for(world.user("a.partner_global_admin")), endpoint).secret
    ping(world, 1)

    worker_cycle()

    [received] = receiver.requests
    assert len(received.headers["webhook-signature"].split(" ")) == 2
    Webhook(old).verify(received.body, received.headers)
    Webhook(new).verify(received.body, received.headers)
    ping(world, 2)
    worker_cycle(now=timezone.now() + timedelta(hours=25))
    later = receiver.requests[-1]
    assert len(later.headers["webhook-signature"].split(" ")) == 1
    Webhook(new).verify(later.body, later.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(old).verify(later.body, later.headers)


def test_a_receiver_that_fails_five_times_then_recovers_gets_every_event_in_order(
    world: World, receivers: Any
) -> None:
    receiver = receivers()
    endpoint, secret = endpoint_for(world, "a.partner_global_admin", receiver)
    for number in range(1, 4):
        ping(world, number)
    receiver.fail_next = 5
    now = timezone.now()

    worker_cycle(now=now)  # attempt 1 of the first event fails; the others wait their turn
    for delay in delivery.RETRY_DELAYS[:5]:
        now += delay
        worker_cycle(now=now)

    processed = receiver.processed(secret)
    assert [request.document["data"]["roles"] for request in processed] == [["1"], ["2"], ["3"]]
    first = WebhookDelivery.objects.filter(endpoint=endpoint).order_by("event_id").first()
    assert first is not None
    # The first event was tried six times with the same webhook-id; the others once, after it.
    assert [request.message_id for request in receiver.requests[:6]] == [first.message_id] * 6
    assert len(receiver.requests) == 8
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {"succeeded"}
    endpoint.refresh_from_db()
    assert endpoint.enabled and endpoint.failing_since is None


def test_retries_wait_for_their_back_off(world: World, receivers: Any) -> None:
    receiver = receivers()
    endpoint_for(world, "a.partner_global_admin", receiver)
    ping(world, 1)
    receiver.fail_next = 1
    now = timezone.now()

    worker_cycle(now=now)
    worker_cycle(now=now + timedelta(seconds=4))
    assert len(receiver.requests) == 1
    worker_cycle(now=now + timedelta(seconds=5))
    assert len(receiver.requests) == 2


def test_an_endpoint_failing_for_three_days_is_disabled_and_its_admins_mailed(
    world: World, receivers: Any, smtp_server: Any
) -> None:
    receiver = receivers()
    endpoint, _ = endpoint_for(world, "a.partner_global_admin", receiver)
    ping(world, 1)
    ping(world, 2)
    receiver.fail_next = 10_000
    now = timezone.now()

    worker_cycle(now=now)
    for delay in delivery.RETRY_DELAYS:
        now += delay
        worker_cycle(now=now)
    worker_cycle(now=now + timedelta(hours=10))

    endpoint.refresh_from_db()
    assert not endpoint.enabled and endpoint.disabled_reason == "failing"
    assert len(receiver.requests) == 1 + len(delivery.RETRY_DELAYS)  # the second event was never sent
    assert WebhookDelivery.objects.filter(status="failed").count() == 1
    assert outbox.deliver_due("w") == 1
    [mail] = smtp_server.messages
    assert mail["To"] == "partner_global_admin@fabrikam.test"
    assert receiver.url in mail["Subject"]
    assert receiver.url in mail.get_body().get_content()


def test_a_disabled_endpoint_enabled_again_resumes_in_order(world: World, receivers: Any) -> None:
    receiver = receivers()
    endpoint, secret = endpoint_for(world, "a.partner_global_admin", receiver)
    admin = principal_for(world.user("a.partner_global_admin"))
    services.update_endpoint(admin, endpoint, enabled=False)
    ping(world, 1)
    worker_cycle()
    assert receiver.requests == [] and not WebhookDelivery.objects.exists()  # not fanned out to it

    services.update_endpoint(admin, endpoint, enabled=True)
    ping(world, 2)
    worker_cycle()
    assert [request.document["data"]["roles"] for request in receiver.processed(secret)] == [["2"]]


def test_delivery_time_refuses_an_address_no_longer_allowed(
    world: World, receivers: Any, settings: Any
) -> None:
    receiver = receivers()
    endpoint, _ = endpoint_for(world, "a.partner_global_admin", receiver)
    ping(world, 1)
    settings.WEBHOOK_ALLOWED_NETWORKS = []

    worker_cycle()

    assert receiver.requests == []
    [attempt] = DeliveryAttempt.objects.filter(delivery__endpoint=endpoint)
    assert not attempt.succeeded and attempt.status_code is None
    assert "private or reserved" in attempt.error


def test_redirects_are_not_followed(world: World, receivers: Any) -> None:
    receiver = receivers()
    receiver.status = 302
    endpoint, _ = endpoint_for(world, "a.partner_global_admin", receiver)
    ping(world, 1)

    worker_cycle()

    [attempt] = DeliveryAttempt.objects.filter(delivery__endpoint=endpoint)
    assert attempt.status_code == 302 and attempt.error == "HTTP 302" and not attempt.succeeded


def test_a_resent_delivery_carries_the_same_webhook_id(api: Any, world: World, receivers: Any) -> None:
    receiver = receivers()
    endpoint, secret = endpoint_for(world, "a.partner_global_admin", receiver)
    ping(world, 1)
    worker_cycle()
    delivered = WebhookDelivery.objects.get(endpoint=endpoint)

    resent = api("a.partner_global_admin").post(
        f"/webhook-endpoints/{endpoint.pk}/deliveries/{delivered.pk}/resend"
    )
    assert resent.status_code == 202
    worker_cycle()

    assert [request.message_id for request in receiver.requests] == [delivered.message_id] * 2
    assert len(receiver.processed(secret)) == 1  # the receiver de-duplicates it
    log = api("a.partner_global_admin").get(f"/webhook-endpoints/{endpoint.pk}/attempts").json_body["items"]
    assert [(item["status_code"], item["message_id"]) for item in log] == [(204, delivered.message_id)] * 2
    assert all(item["response_time_ms"] >= 0 for item in log)


def test_a_test_ping_reaches_only_the_endpoint_it_was_sent_to(api: Any, world: World, receivers: Any) -> None:
    first, second = receivers(), receivers()
    endpoint, secret = endpoint_for(world, "a.partner_global_admin", first)
    endpoint_for(world, "a.partner_global_admin", second)

    assert api("a.partner_global_admin").post(f"/webhook-endpoints/{endpoint.pk}/test").status_code == 202
    worker_cycle()

    assert first.types(secret) == ["webhook.test"] and second.requests == []


def test_suspending_a_subscription_reaches_the_operator_with_each_licensed_user_s_entitlement(
    world: World, receivers: Any
) -> None:
    catalog = build_catalog()
    receiver = receivers()
    _, secret = endpoint_for(
        world, "operator.operator_admin", receiver, ["subscription.suspended", "entitlement.changed"]
    )
    agent = principal_for(world.user("a.admin_agent"))
    subscription = lifecycle.create_subscription(
        agent, customer=world.customer_a1, offer=catalog.basic_monthly, quantity=5
    )
    users = [make_user(world.customer_a1, f"worker{i}@contoso.test", [Role.USER]) for i in range(3)]
    admin = world.user("a1.licence_admin")  # an admin keeps access to a suspended subscription
    licences.assign_licences(
        principal_for(world.user("a1.global_admin")),
        customer=world.customer_a1,
        sku=catalog.basic,
        users=[*users, admin],
    )
    worker_cycle()
    receiver.requests.clear()

    lifecycle.suspend(agent, subscription, reason="non_payment")
    worker_cycle()  # one cycle

    processed = receiver.processed(secret)
    assert [request.type for request in processed] == ["subscription.suspended"] + ["entitlement.changed"] * 3
    assert processed[0].document["data"]["status"] == "suspended"
    entitlements = [request.document["data"] for request in processed[1:]]
    assert sorted(data["user_id"] for data in entitlements) == sorted(str(user.pk) for user in users)
    assert all(
        data["services"]
        == [
            {
                "id": str(catalog.basic.services.get().pk),
                "key": "exchange",
                "entitled": False,
                "reason": "subscription_suspended",
            }
        ]
        for data in entitlements
    )
    assert all(data["cause"] == "subscription.suspended" for data in entitlements)
