"""Deliver webhook messages from the worker: signed (Standard Webhooks), retried, in order, once at a time.

Each delivery is one event for one endpoint; its `webhook-id` (`message_id`) is fixed, so every
retry and manual re-send carries the same id and receivers de-duplicate by it (at-least-once).
A worker claims only the *head* of an endpoint — its oldest open delivery by event id — with a
conditional UPDATE of the delivery's status, so two workers never send the same delivery at once
and an endpoint receives its events in the order they were fanned out, each retried on
`RETRY_DELAYS` before the next is sent. A delivery whose retries are exhausted is failed and the
next one goes; an endpoint that has failed without a success for `WEBHOOK_DISABLE_AFTER_HOURS` is
disabled and its admins get a mail (through the outbox).
"""

from __future__ import annotations

import http.client
import json
import logging
import time
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from partnerdesk.access.permissions import ROLE_PERMISSIONS, Permission
from partnerdesk.accounts.models import User
from partnerdesk.audit.services import record
from partnerdesk.etags import next_version
from partnerdesk.events.models import Event
from partnerdesk.notifications.services import queue_mail
from partnerdesk.webhooks import outbound, services
from partnerdesk.webhooks.models import DeliveryAttempt, WebhookDelivery, WebhookEndpoint

log = logging.getLogger(__name__)

# After the first attempt: the Standard Webhooks schedule, then every 10 hours to about three days.
RETRY_DELAYS: tuple[timedelta, ...] = (
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    *(timedelta(hours=10),) * 7,
)
# A claim older than this belongs to a worker that died mid-request (well above WEBHOOK_TIMEOUT).
CLAIM_LEASE = timedelta(minutes=2)
OPEN = (WebhookDelivery.Status.PENDING, WebhookDelivery.Status.DELIVERING)


def envelope(event: Event) -> bytes:
    """The body of every delivery of `event`: the same bytes on every retry."""
    document = {
        "type": event.name,
        "version": event.version,
        "timestamp": event.occurred_at.isoformat().replace("+00:00", "Z"),
        "event_id": str(event.uid),
        "object": {"type": event.object_type, "id": event.object_id},
        "data": event.payload,
    }
    return json.dumps(document, separators=(",", ":"), sort_keys=True).encode()


def signed_headers(delivery: WebhookDelivery, body: bytes, secrets: list[str]) -> dict[str, str]:
    """`webhook-id`, `webhook-timestamp` (the real time of sending) and one signature per secret."""
    sent_at = datetime.now(tz=UTC)
    signatures = " ".join(Webhook(secret).sign(delivery.message_id, sent_at, body) for secret in secrets)
    return {
        "webhook-id": delivery.message_id,
        "webhook-timestamp": str(int(sent_at.timestamp())),
        "webhook-signature": signatures,
    }


def due_heads(now: datetime, *, batch: int) -> list[WebhookDelivery]:
    """What to try now: each enabled endpoint's oldest open delivery, if due (or its claim went stale)."""
    earlier = WebhookDelivery.objects.filter(
        endpoint_id=OuterRef("endpoint_id"), status__in=OPEN, event_id__lt=OuterRef("event_id")
    )
    due = Q(status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=now) | Q(
        status=WebhookDelivery.Status.DELIVERING, claimed_at__lt=now - CLAIM_LEASE
    )
    return list(
        WebhookDelivery.objects.filter(due, endpoint__enabled=True)
        .filter(~Exists(earlier))
        .select_related("endpoint", "endpoint__organization", "event")
        .order_by("event_id")[:batch]
    )


def claim(delivery: WebhookDelivery, worker: str, now: datetime) -> bool:
    """Take `delivery` for this worker; False when another worker took or finished it first."""
    won = WebhookDelivery.objects.filter(
        pk=delivery.pk, status=delivery.status, claimed_at=delivery.claimed_at
    ).update(status=WebhookDelivery.Status.DELIVERING, claimed_by=worker, claimed_at=now)
    if won:
        delivery.status, delivery.claimed_by, delivery.claimed_at = (
            WebhookDelivery.Status.DELIVERING,
            worker,
            now,
        )
    return bool(won)


def attempt(delivery: WebhookDelivery, worker: str, now: datetime) -> bool:
    """Send one claimed delivery and record the outcome; return True when the receiver took it (2xx)."""
    endpoint = delivery.endpoint
    body = envelope(delivery.event)
    status_code: int | None = None
    error = ""
    started = time.monotonic()
    try:
        answer = outbound.post(
            endpoint.url, body, signed_headers(delivery, body, services.signing_secrets(endpoint, now))
        )
        status_code = answer.status
        if not 200 <= answer.status < 300:
            error = f"HTTP {answer.status}"
    except outbound.RefusedUrl as refused:
        error = refused.message
    except (OSError, http.client.HTTPException) as failure:  # time-outs, refused connections, TLS
        error = f"{type(failure).__name__}: {failure}"
    elapsed_ms = int((time.monotonic() - started) * 1000)
    succeeded = not error
    attempts = delivery.attempts + 1
    with transaction.atomic():
        if not WebhookDelivery.objects.filter(pk=delivery.pk, claimed_by=worker).exists():
            return False  # deleted with its endpoint meanwhile, or taken over after a stale claim
        DeliveryAttempt.objects.create(
            delivery=delivery,
            attempted_at=now,
            status_code=status_code,
            response_ms=elapsed_ms,
            error=error[:500],
            succeeded=succeeded,
        )
        mine = WebhookDelivery.objects.filter(pk=delivery.pk, claimed_by=worker)
        if succeeded:
            mine.update(
                status=WebhookDelivery.Status.SUCCEEDED,
                attempts=attempts,
                delivered_at=now,
                claimed_by="",
                claimed_at=None,
            )
            WebhookEndpoint.objects.filter(pk=endpoint.pk, failing_since__isnull=False).update(
                failing_since=None
            )
            return True
        exhausted = attempts > len(RETRY_DELAYS)
        mine.update(
            status=WebhookDelivery.Status.FAILED if exhausted else WebhookDelivery.Status.PENDING,
            attempts=attempts,
            next_attempt_at=now if exhausted else now + RETRY_DELAYS[attempts - 1],
            claimed_by="",
            claimed_at=None,
        )
        WebhookEndpoint.objects.filter(pk=endpoint.pk, failing_since__isnull=True).update(failing_since=now)
        failing_since = (
            WebhookEndpoint.objects.filter(pk=endpoint.pk).values_list("failing_since", flat=True).first()
        )
        if failing_since and failing_since <= now - timedelta(hours=settings.WEBHOOK_DISABLE_AFTER_HOURS):
            disable(endpoint, error, now)
    log.info("webhook %s to %s: %s", delivery.message_id, endpoint.url, error)
    return False


def admins_of(endpoint: WebhookEndpoint) -> list[User]:
    """The people who may manage the endpoint's organization's webhooks, who are told when it stops."""
    roles = [role for role, granted in ROLE_PERMISSIONS.items() if Permission.WEBHOOKS_MANAGE in granted]
    return list(
        User.objects.filter(
            organization_id=endpoint.organization_id,
            role_assignments__role__in=roles,
            blocked=False,
            deleted_at__isnull=True,
        )
        .select_related("organization")
        .distinct()
    )


def disable(endpoint: WebhookEndpoint, error: str, now: datetime) -> bool:
    """Stop an endpoint that keeps failing, tell its admins (one mail per language); once only."""
    hours = settings.WEBHOOK_DISABLE_AFTER_HOURS
    won = WebhookEndpoint.objects.filter(pk=endpoint.pk, enabled=True).update(
        enabled=False,
        disabled_at=now,
        disabled_reason=WebhookEndpoint.DISABLED_FAILING,
        version=next_version(),
    )
    if not won:
        return False
    endpoint.refresh_from_db()
    record(
        None,
        action="webhook_endpoint.disabled",
        target=endpoint,
        organization=endpoint.organization,
        after={"enabled": False, "error": error[:300]},
    )
    by_language: dict[str, list[str]] = {}
    for admin in admins_of(endpoint):
        by_language.setdefault(admin.effective_language, []).append(admin.email)
    portal = {"operator": "operator", "partner": "partner"}.get(endpoint.organization.kind, "admin")
    for language, emails in sorted(by_language.items()):
        queue_mail(
            to=sorted(emails),
            template="webhooks_endpoint_disabled",
            context={
                "endpoint": endpoint,
                "organization": endpoint.organization,
                "hours": hours,
                "error": error,
                "link": f"{settings.SITE_URL}/{portal}/webhooks/{endpoint.pk}/",
            },
            language=language,
            kind="webhook_disabled",
        )
    return True


def deliver_due(worker: str, *, now: datetime | None = None, limit: int = 500) -> int:
    """Deliver what is due, endpoint by endpoint in event order; return how many attempts were made.

    After a success the endpoint's next delivery is its new head and goes in the same pass, so one
    pass drains every healthy endpoint (up to `limit` attempts).
    """
    now = now or timezone.now()
    made = 0
    while made < limit:
        heads = due_heads(now, batch=min(50, limit - made))
        claimed = [delivery for delivery in heads if claim(delivery, worker, now)]
        if not claimed:
            return made
        for delivery in claimed:
            attempt(delivery, worker, now)
            made += 1
    return made
