"""The event log: every change a client may follow is a row, written in the change's own transaction."""

from __future__ import annotations

import uuid
from typing import Any

from django.db import models
from django.db.models import Q
from django.utils import timezone


class EventQuerySet(models.QuerySet["Event"]):
    def seen_by(self, kind: str, organization_id: Any) -> EventQuerySet:
        """The events an organization of `kind` may see by their audience columns (ADR 0013).

        The operator sees what names it, a partner what names it, a customer what names it and is
        not internal (support-side only); every organization sees broadcasts, whose object's own
        scoping rule still decides (health, Message center: their audience is resolved when read).
        """
        if kind == "operator":
            return self.filter(Q(operator=True) | Q(broadcast=True))
        if kind == "partner":
            return self.filter(Q(partner_id=organization_id) | Q(broadcast=True))
        return self.filter(Q(customer_id=organization_id, internal=False) | Q(broadcast=True))


class Event(models.Model):
    """One named, versioned thing that happened to one object, and who may learn of it.

    Written with `events.services.emit` inside the transaction of the change, so an event exists
    exactly when its change committed (the outbox pattern, ADR 0002). The id only grows: readers
    (webhook fan-out, live pages) follow the log in id order. Rows are never changed after the
    fan-out marks them, and never deleted by the product.
    """

    id = models.BigAutoField(primary_key=True)
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=64)  # "subscription.suspended"
    version = models.PositiveSmallIntegerField(default=1)
    object_type = models.CharField(max_length=64)  # the model label: "subscriptions.subscription"
    object_id = models.CharField(max_length=64)
    payload = models.JSONField(default=dict)
    occurred_at = models.DateTimeField(default=timezone.now)
    # Who may see it (the audience columns; `seen_by`). Organization ids, not foreign keys: the log
    # lives below tenancy and outlives the rows it names.
    operator = models.BooleanField(default=False)
    partner_id = models.UUIDField(null=True, blank=True)
    customer_id = models.UUIDField(null=True, blank=True)
    internal = models.BooleanField(default=False)
    broadcast = models.BooleanField(default=False)
    # Set by the webhook fan-out once it wrote the event's deliveries (workers claim rows by it).
    fanned_out_at = models.DateTimeField(null=True, blank=True)

    objects = EventQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["id"], condition=Q(fanned_out_at__isnull=True), name="event_to_fan_out"),
            models.Index(fields=["partner_id", "id"], name="event_partner"),
            models.Index(fields=["customer_id", "id"], name="event_customer"),
            models.Index(fields=["object_type", "object_id", "id"], name="event_object"),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.object_type}:{self.object_id}"
