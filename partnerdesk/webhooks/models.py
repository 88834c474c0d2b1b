"""Webhook endpoints an organization registered, and each event's delivery to each of them."""

from __future__ import annotations

import secrets
import uuid
from base64 import b64encode

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from partnerdesk.etags import Versioned

SECRET_PREFIX = "whsec_"


def new_secret() -> str:
    """A Standard Webhooks signing secret: `whsec_` and 32 random bytes in base64."""
    return SECRET_PREFIX + b64encode(secrets.token_bytes(32)).decode()


def new_message_id() -> str:
    """The `webhook-id` of one event's delivery to one endpoint: the same on every retry."""
    return f"msg_{uuid.uuid4().hex}"


class WebhookEndpoint(Versioned):
    """A URL of an organization that receives the events it chose and may see, signed.

    The secrets are kept encrypted (`secrets_at_rest`), since signing needs them; the previous one
    keeps signing beside the new one until `previous_secret_expires_at` (rotation without downtime).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey("tenancy.Organization", on_delete=models.CASCADE, related_name="+")
    url = models.URLField(_("URL"), max_length=2000)
    description = models.CharField(_("description"), max_length=300, blank=True)
    # Event names and wildcards ("subscription.*", "*"), each naming something in the catalog.
    events = models.JSONField(default=list)
    secret = models.TextField()
    previous_secret = models.TextField(blank=True)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True)
    # Why it is disabled, as a code the pages put in words: an admin turned it off, or it kept failing.
    DISABLED_BY_ADMIN = "admin"
    DISABLED_FAILING = "failing"
    enabled = models.BooleanField(default=True)
    disabled_reason = models.CharField(max_length=300, blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    # Since when every attempt failed (None after any success): persistent failure disables it.
    failing_since = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["organization", "created_at", "id"], name="webhook_endpoint_org")]

    def __str__(self) -> str:
        return self.url


class WebhookDelivery(models.Model):
    """One event for one endpoint (a Standard Webhooks message): retried until it succeeds or gives up.

    Written by the worker's fan-out, never in the request that emitted the event. Workers claim a
    delivery with a conditional UPDATE of its status, and only the oldest undelivered one of each
    endpoint (by event id), so an endpoint receives its events in order (ADR 0013).
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        DELIVERING = "delivering", _("Delivering")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    message_id = models.CharField(max_length=40, unique=True, default=new_message_id)
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    event = models.ForeignKey("events.Event", on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_by = models.CharField(max_length=100, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "event"], name="one_delivery_per_endpoint_event")
        ]
        indexes = [
            models.Index(
                fields=["endpoint", "event"],
                condition=Q(status__in=["pending", "delivering"]),
                name="webhook_delivery_open",
            ),
            models.Index(fields=["status", "next_attempt_at"], name="webhook_delivery_due"),
            models.Index(fields=["endpoint", "created_at", "id"], name="webhook_delivery_log"),
        ]

    def __str__(self) -> str:
        return self.message_id


class DeliveryAttempt(models.Model):
    """One HTTP request of a delivery, for the endpoint's delivery log: status, time, error."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="log")
    attempted_at = models.DateTimeField(default=timezone.now)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_ms = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=500, blank=True)
    succeeded = models.BooleanField(default=False)

    class Meta:
        indexes = [models.Index(fields=["delivery", "attempted_at"], name="webhook_attempt_delivery")]

    def __str__(self) -> str:
        return f"{self.delivery_id} {self.status_code or self.error}"
