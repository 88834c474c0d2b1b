"""Emit an event: one row, in the transaction of the change it reports.

    from partnerdesk.events.services import Audience, emit

    emit("subscription.suspended", subscription, payload, Audience.of(subscription, operator=True))

A change that reports several things at once (a licence per user, each user whose access changed)
prepares each row and writes them together, still one INSERT:

    emit_many([prepare("license.assigned", assignment, payload, audience) for ...])

Delivery happens later, in the worker (webhooks fan-out), never in the request: emitting costs one
INSERT whoever is listening.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import models
from pydantic import BaseModel

from partnerdesk.events import catalog
from partnerdesk.events.models import Event


@dataclass(frozen=True)
class Audience:
    """Who may see an event: the organizations involved, and whether it is hidden from the customer.

    `internal`: the support side only (a partner's internal note, a service request), never the
    customer even when `customer_id` names it. `broadcast`: every organization, each subject to the
    object's own scoping rule when delivered (health issues, maintenance, Message center posts).
    """

    operator: bool = False
    partner_id: Any = None
    customer_id: Any = None
    internal: bool = False
    broadcast: bool = False

    @classmethod
    def of(cls, subject: Any, *, operator: bool = False, internal: bool = False) -> Audience:
        """The partner and customer a row names in its `partner_id` and `customer_id` (either may be None)."""
        return cls(
            operator=operator,
            partner_id=getattr(subject, "partner_id", None),
            customer_id=getattr(subject, "customer_id", None),
            internal=internal,
        )


def prepare(
    name: str,
    subject: models.Model,
    payload: BaseModel | dict[str, Any],
    audience: Audience,
    **row: Any,
) -> Event:
    """The row that records `name` happening to `subject`, for `audience`, not yet written.

    The payload is validated against the event type's schema (a missing or unknown field fails here,
    in the emitter's tests, rather than at a receiver). `row` may set `occurred_at` (jobs with a clock).
    """
    event_type = catalog.get(name)
    data = event_type.payload.model_validate(payload, from_attributes=False)
    return Event(
        name=name,
        version=event_type.version,
        object_type=subject._meta.label_lower,
        object_id=str(subject.pk),
        payload=data.model_dump(mode="json"),
        operator=audience.operator,
        partner_id=audience.partner_id,
        customer_id=audience.customer_id,
        internal=audience.internal,
        broadcast=audience.broadcast,
        **row,
    )


def emit(
    name: str,
    subject: models.Model,
    payload: BaseModel | dict[str, Any],
    audience: Audience,
    **row: Any,
) -> Event:
    """Record that `name` happened to `subject`, for `audience`; call inside the change's transaction."""
    event = prepare(name, subject, payload, audience, **row)
    event.save(force_insert=True)
    return event


def emit_many(events: Iterable[Event]) -> list[Event]:
    """Write `prepare`d events with one INSERT, in their order (their ids grow in it); none, no query.

    For a change that reports several things at once; call inside the change's transaction.
    """
    rows = list(events)
    return Event.objects.bulk_create(rows) if rows else []
