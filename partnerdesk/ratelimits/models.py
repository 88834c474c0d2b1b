"""The counters behind every rate limit, in the database so every server process shares them."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class RateCounter(models.Model):
    """Attempts under one key (a sign-in pair, an address, a credential) and the refusal they earned.

    `count` restarts when `started_at` falls out of the key's window; `blocked_until` is set by
    failures past a threshold and grows with each one (ADR 0009). A known address of an account is a
    row too (`known:…`), whose `last_at` says when the account last signed in from it.
    """

    key = models.CharField(max_length=200, primary_key=True)
    count = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(default=timezone.now)
    last_at = models.DateTimeField(default=timezone.now, db_index=True)
    blocked_until = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.key}: {self.count}"
