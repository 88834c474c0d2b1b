"""Queue e-mail through the outbox and deliver it from the worker."""

from __future__ import annotations

import contextlib
import logging
import socket
import uuid
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from partnerdesk.notifications.models import OutboxMessage, SentNotice

log = logging.getLogger(__name__)

# A claim older than this is taken to belong to a worker that died mid-send.
CLAIM_LEASE = timedelta(minutes=10)


def queue_mail(
    *,
    to: list[str],
    template: str,
    context: dict[str, Any],
    language: str,
    kind: str,
    headers: dict[str, str] | None = None,
    time_zone: str | None = None,
) -> OutboxMessage:
    """Render `notifications/mail/<template>_subject.txt` and `_body.txt` in `language` and queue them.

    Call inside the transaction of the change that causes the mail: the row commits with it, so a
    rolled-back change never mails, and a committed one is never lost. `headers` (Reply-To, the
    threading headers) travel with the row. With `time_zone` (the recipient's), times in the mail
    are shown in it, whoever's request queued the mail.
    """
    zone = timezone.override(time_zone) if time_zone else contextlib.nullcontext()
    with translation.override(language or settings.LANGUAGE_CODE), zone:
        context = {"site_url": settings.SITE_URL, **context}
        subject = " ".join(render_to_string(f"notifications/mail/{template}_subject.txt", context).split())
        body = render_to_string(f"notifications/mail/{template}_body.txt", context)
    return OutboxMessage.objects.create(
        to=to,
        subject=subject[:300],
        body_text=body,
        kind=kind,
        message_id=f"<{uuid.uuid4()}@{mail_domain()}>",
        headers=headers or {},
    )


def claim_notice(*, object_type: str, object_id: Any, kind: str, due_at: datetime) -> bool:
    """Claim the one notice `kind` about an object for a due time; False when it was already claimed.

    Call inside the transaction that queues the notice's mail: a concurrent claimer waits on the
    unique index until this transaction ends, then finds the row and sends nothing; a rolled-back
    transaction leaves the notice free for the next run.
    """
    try:
        with transaction.atomic():
            SentNotice.objects.create(object_type=object_type, object_id=object_id, kind=kind, due_at=due_at)
    except IntegrityError:
        return False
    return True


def threshold_windows(thresholds: tuple[int, ...]) -> list[tuple[int, timedelta, timedelta]]:
    """For reminders N days before a due time (largest first): each N with the stretch before the due
    time in which it is the nearest one, as (N, nearer, farther).

    (30, 7) gives (30, 7 days, 30 days) and (7, 0, 7 days): a job that was down through the 30-day
    mark and runs 5 days before sends the 7-day reminder only, not both.
    """
    nearer = [*thresholds[1:], 0]
    return [
        (days, timedelta(days=near), timedelta(days=days))
        for days, near in zip(thresholds, nearer, strict=True)
    ]


def mail_domain() -> str:
    """The domain of the product's Message-IDs: the one it sends from."""
    return settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].strip(">").strip() or "partnerdesk.test"


def worker_name() -> str:
    return f"{socket.gethostname()}:{uuid.uuid4().hex[:8]}"


def claim_due(worker: str, *, batch: int = 20) -> list[OutboxMessage]:
    """Claim up to `batch` due messages for this worker; two workers never claim the same row.

    The claim is a conditional UPDATE on (id, status, claimed_at) so a row another worker took
    between the SELECT and the UPDATE is skipped.
    """
    now = timezone.now()
    due = OutboxMessage.objects.filter(
        status=OutboxMessage.Status.PENDING, next_attempt_at__lte=now
    ) | OutboxMessage.objects.filter(status=OutboxMessage.Status.SENDING, claimed_at__lt=now - CLAIM_LEASE)
    claimed: list[OutboxMessage] = []
    for message in due.order_by("next_attempt_at")[:batch]:
        with transaction.atomic():
            won = OutboxMessage.objects.filter(
                pk=message.pk, status=message.status, claimed_at=message.claimed_at
            ).update(status=OutboxMessage.Status.SENDING, claimed_by=worker, claimed_at=now)
        if won:
            message.status = OutboxMessage.Status.SENDING
            message.claimed_by = worker
            message.claimed_at = now
            claimed.append(message)
    return claimed


def deliver(message: OutboxMessage, worker: str) -> bool:
    """Send one claimed message over SMTP and record the outcome; return True when sent."""
    email = EmailMessage(
        subject=message.subject,
        body=message.body_text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=message.to,
        headers={**message.headers, "Message-ID": message.message_id},
    )
    try:
        with get_connection(fail_silently=False) as connection:
            connection.send_messages([email])
    except Exception as error:  # any transport failure is retried later, never lost
        attempts = message.attempts + 1
        failed = attempts >= settings.OUTBOX_MAX_ATTEMPTS
        OutboxMessage.objects.filter(pk=message.pk, claimed_by=worker).update(
            status=OutboxMessage.Status.FAILED if failed else OutboxMessage.Status.PENDING,
            attempts=attempts,
            next_attempt_at=timezone.now() + timedelta(seconds=min(3600, 15 * 2**attempts)),
            last_error=f"{type(error).__name__}: {error}"[:2000],
            claimed_by="",
            claimed_at=None,
        )
        log.warning("outbox %s: send failed (attempt %s): %s", message.pk, attempts, error)
        return False
    OutboxMessage.objects.filter(pk=message.pk, claimed_by=worker).update(
        status=OutboxMessage.Status.SENT,
        attempts=message.attempts + 1,
        sent_at=timezone.now(),
        last_error="",
    )
    return True


def deliver_due(worker: str, *, batch: int = 20) -> int:
    """Claim and deliver what is due; return how many were sent."""
    return sum(deliver(message, worker) for message in claim_due(worker, batch=batch))
