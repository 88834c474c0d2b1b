"""The outbox: every e-mail is a row first, written in the transaction that decided to send it."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone


class OutboxMessage(models.Model):
    """One e-mail waiting for, or past, delivery by the worker.

    A failed send is retried with back-off until OUTBOX_MAX_ATTEMPTS, then kept as failed (never
    dropped). `message_id` is fixed at creation, so a resend after a crash carries the same
    Message-ID and receivers can tell it is the same message.
    """

    class Status(models.TextChoices):
        PENDING = "pending"
        SENDING = "sending"
        SENT = "sent"
        FAILED = "failed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    to = models.JSONField(default=list)
    subject = models.CharField(max_length=300)
    body_text = models.TextField()
    message_id = models.CharField(max_length=200, unique=True)
    # Further headers the message carries (Reply-To, In-Reply-To, References), fixed at creation.
    headers = models.JSONField(default=dict, blank=True)
    # What the message is about, for the worker's and the operator's eyes (e.g. "password_reset").
    kind = models.CharField(max_length=64)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_by = models.CharField(max_length=100, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="outbox_due")]

    def __str__(self) -> str:
        return f"{self.kind} to {', '.join(self.to)}"


class ScheduledJob(models.Model):
    """When a periodic job (registered with `notifications.jobs.periodic`) runs next, and how it went.

    Workers claim a due job with a conditional UPDATE of `next_run_at`, so with several workers each
    run happens once. Jobs must still be idempotent: a worker can die half-way.
    """

    name = models.CharField(max_length=100, unique=True)
    next_run_at = models.DateTimeField(default=timezone.now)
    last_started_at = models.DateTimeField(null=True, blank=True)
    last_finished_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    runs = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return self.name


class SentNotice(models.Model):
    """That the notice `kind` about one object and one due time was queued: the unique key makes it once.

    Lifecycle mails (a subscription renews in 30 days, a relationship expires in 7) claim their row in
    the transaction that queues the mail, so a second run or a second worker sends nothing. The due
    time is part of the key: when it moves (a reactivation, a new term) the notice fires again.
    """

    id = models.BigAutoField(primary_key=True)
    # What the object is ("subscription", "relationship") and its id; no foreign key, so every app's
    # objects share the one table without the platform importing them.
    object_type = models.CharField(max_length=40)
    object_id = models.UUIDField()
    kind = models.CharField(max_length=40)
    due_at = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["object_type", "object_id", "kind", "due_at"], name="one_notice_per_due_time"
            )
        ]

    def __str__(self) -> str:
        return f"{self.object_type} {self.object_id} {self.kind} {self.due_at:%Y-%m-%d}"
