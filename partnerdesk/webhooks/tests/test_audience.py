"""Who receives what: an endpoint gets only the events its organization may see, over every event type.

The choke point decides (`access.policy` with the endpoint's organization as its top admin): a partner
gets its own customers' events and never another partner's, a customer never an internal one, and a
broadcast (health, Message center) follows the object's own audience rule.
"""

from __future__ import annotations

import typing
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from django.utils import timezone
from pydantic import BaseModel

from partnerdesk.access.principal import principal_for
from partnerdesk.events import catalog
from partnerdesk.events.services import Audience, emit
from partnerdesk.health.models import MessagePost
from partnerdesk.testing import World
from partnerdesk.webhooks import services
from partnerdesk.webhooks.tests.conftest import Receiver, worker_cycle

pytestmark = pytest.mark.django_db

SENT_ON_EVENTS = [name for name, event_type in catalog.CATALOG.items() if not event_type.on_request_only]
# The object types whose events are broadcast: their audience is resolved when read (ADR 0006).
BROADCAST_PREFIXES = ("health_issue.", "maintenance.", "message.")


def example(model: type[BaseModel]) -> dict[str, Any]:
    """A valid payload of `model`, every field filled with a plain value of its type."""
    values: dict[str, Any] = {}
    for name, field in model.model_fields.items():
        annotation = field.annotation
        options = [option for option in typing.get_args(annotation) if option is not type(None)]
        if typing.get_origin(annotation) is typing.Literal:
            values[name] = typing.get_args(annotation)[0]
            continue
        kind = (
            options[0]
            if typing.get_origin(annotation) in (typing.Union, __import__("types").UnionType)
            else annotation
        )
        values[name] = {
            uuid.UUID: uuid.uuid4(),
            str: "x",
            int: 1,
            bool: True,
            datetime: datetime(2026, 1, 1, tzinfo=UTC),
        }.get(kind, [])  # type: ignore[call-overload]
    return values


def all_receivers(world: World, receivers: Any) -> dict[str, tuple[Receiver, str]]:
    """An endpoint wanting every event for the operator, both partners and one customer of each."""
    made = {}
    for key in (
        "operator.operator_admin",
        "a.partner_global_admin",
        "b.partner_global_admin",
        "a1.global_admin",
        "b1.global_admin",
    ):
        receiver = receivers()
        created = services.create_endpoint(principal_for(world.user(key)), url=receiver.url, events=["*"])
        made[key.split(".")[0]] = (receiver, created.secret)
    return made


def partner_a_message(world: World) -> MessagePost:
    """A Message center post for partner A's customers only."""
    return MessagePost.objects.create(
        number=4242,
        title="For Fabrikam's customers",
        body="Only them.",
        category=MessagePost.Category.STAY_INFORMED,
        audience=MessagePost.Audience.PARTNER_CUSTOMERS,
        audience_partner=world.partner_a,
        status=MessagePost.Status.PUBLISHED,
        published_at=timezone.now(),
    )


@pytest.mark.parametrize("name", SENT_ON_EVENTS)
def test_a_partner_never_receives_another_partner_s_events(world: World, receivers: Any, name: str) -> None:
    endpoints = all_receivers(world, receivers)
    payload = example(catalog.get(name).payload)
    if name.startswith(BROADCAST_PREFIXES):
        subject: Any = partner_a_message(world)
        audience = Audience(operator=True, broadcast=True)
    else:
        subject = world.customer_a1
        audience = Audience(operator=True, partner_id=world.partner_a.pk, customer_id=world.customer_a1.pk)
    emit(name, subject, payload, audience)

    worker_cycle()

    received = {side: receiver.types(secret) for side, (receiver, secret) in endpoints.items()}
    assert received == {"operator": [name], "a": [name], "b": [], "a1": [name], "b1": []}


@pytest.mark.parametrize("name", [name for name in SENT_ON_EVENTS if not name.startswith(BROADCAST_PREFIXES)])
def test_an_internal_event_reaches_the_partner_and_never_the_customer(
    world: World, receivers: Any, name: str
) -> None:
    endpoints = all_receivers(world, receivers)
    audience = Audience(partner_id=world.partner_a.pk, customer_id=world.customer_a1.pk, internal=True)
    emit(name, world.customer_a1, example(catalog.get(name).payload), audience)

    worker_cycle()

    received = {side: receiver.types(secret) for side, (receiver, secret) in endpoints.items()}
    assert received == {"operator": [], "a": [name], "b": [], "a1": [], "b1": []}


def test_an_endpoint_receives_only_the_events_it_asked_for(world: World, receivers: Any) -> None:
    receiver = receivers()
    created = services.create_endpoint(
        principal_for(world.user("a.partner_global_admin")),
        url=receiver.url,
        events=["subscription.*", "user.created"],
    )
    for name in (
        "subscription.suspended",
        "license.assigned",
        "user.created",
        "user.blocked",
        "subscriptions.x",
    ):
        if name in catalog.CATALOG:
            emit(
                name,
                world.customer_a1,
                example(catalog.get(name).payload),
                Audience(partner_id=world.partner_a.pk),
            )

    worker_cycle()

    assert receiver.types(created.secret) == ["subscription.suspended", "user.created"]
