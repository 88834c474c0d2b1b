"""Fan events out to the endpoints that want them and whose organization may see them (the worker).

Runs in the worker, never in the request that emitted the event: the request wrote one event row;
this pass claims events not fanned out yet (`select_for_update(skip_locked)` on PostgreSQL, and a
conditional UPDATE of `fanned_out_at` on every database), and writes one delivery per endpoint in
the same transaction. Which endpoints is decided by the choke point: the endpoint's organization,
as its top admin (`access.principal.organization_principal`), must see the event through
`access.policy` (the events' own rule, and for broadcasts the object's rule too).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.apps import apps
from django.db import connection, transaction
from django.utils import timezone

from partnerdesk.access import policy
from partnerdesk.access.principal import Principal, organization_principal
from partnerdesk.events import catalog
from partnerdesk.events.models import Event
from partnerdesk.webhooks.models import WebhookDelivery, WebhookEndpoint

BATCH = 200


def _object_visible(principal: Principal, event: Event) -> bool:
    """Whether the organization may see the object a broadcast event is about (its own scoping rule)."""
    try:
        model = apps.get_model(event.object_type)
        return policy.visible(principal, model).filter(pk=event.object_id).exists()
    except (LookupError, ValueError):  # no such model, no rule (deny by default), or a malformed id
        return False


def audience(endpoint: WebhookEndpoint, events: list[Event], principal: Principal) -> list[Event]:
    """The events of `events` this endpoint asked for and its organization may see, in id order."""
    wanted = [
        event for event in events if any(catalog.matches(pattern, event.name) for pattern in endpoint.events)
    ]
    if not wanted:
        return []
    seen = set(
        policy.visible(principal, Event.objects.filter(pk__in=[event.pk for event in wanted])).values_list(
            "pk", flat=True
        )
    )
    return [
        event
        for event in wanted
        if event.pk in seen and (not event.broadcast or _object_visible(principal, event))
    ]


def fan_out(*, now: datetime | None = None, batch: int = BATCH) -> int:
    """Claim up to `batch` events not fanned out yet and write their deliveries; return how many events."""
    now = now or timezone.now()
    with transaction.atomic():
        pending: Any = Event.objects.filter(fanned_out_at__isnull=True).order_by("id")
        if connection.features.has_select_for_update_skip_locked:
            pending = pending.select_for_update(skip_locked=True)
        claimed = [
            event
            for event in pending[:batch]
            if Event.objects.filter(pk=event.pk, fanned_out_at__isnull=True).update(fanned_out_at=now)
        ]
        if not claimed:
            return 0
        principals: dict[Any, Principal] = {}
        deliveries = []
        for endpoint in WebhookEndpoint.objects.filter(enabled=True).select_related("organization"):
            organization = endpoint.organization
            principal = principals.setdefault(organization.pk, organization_principal(organization))
            deliveries += [
                WebhookDelivery(endpoint=endpoint, event=event, next_attempt_at=now, created_at=now)
                for event in audience(endpoint, claimed, principal)
            ]
        WebhookDelivery.objects.bulk_create(deliveries, ignore_conflicts=True)
    return len(claimed)
