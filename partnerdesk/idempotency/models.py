"""The one store of `Idempotency-Key` answers; `services.py` has the rules."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class IdempotencyRecord(models.Model):
    """The first answer to a POST sent with an Idempotency-Key, replayed when the same request comes again.

    The row is inserted before the operation runs, in the operation's transaction: the unique index
    makes a concurrent twin wait for the first to commit (or roll back) instead of creating twice.
    The response body is kept encrypted, since some answers show a secret once (API tokens, service
    credentials, temporary passwords); the request is kept only as a keyed hash.
    """

    # Null for the few public operations (a token from a password): their key is shared by every
    # anonymous caller, and the fingerprint (which covers the credentials) decides who gets a replay.
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, related_name="+")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(default=0)
    content_type = models.CharField(max_length=100, blank=True)
    body = models.BinaryField(default=b"")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "key"], condition=Q(user__isnull=False), name="one_answer_per_user_and_key"
            ),
            models.UniqueConstraint(
                fields=["key"], condition=Q(user__isnull=True), name="one_anonymous_answer_per_key"
            ),
        ]

    def __str__(self) -> str:
        return self.key
