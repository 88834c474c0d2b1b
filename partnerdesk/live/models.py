"""Who is replying on which page right now: a short-lived row per person and object (ADR 0017)."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class Presence(models.Model):
    """One person's last "I am typing a reply here" ping on one object's page.

    Not an event: events are a permanent log delivered to webhooks, and this is chatter that means
    nothing thirty seconds later (`presence.REPLYING_FOR`). Organization and user ids, not foreign
    keys, like the events log: the layer sits below tenancy and accounts. Rows older than a few
    minutes are forgotten by a job (`live.jobs`).
    """

    object_type = models.CharField(max_length=64)  # the model label: "support.supportrequest"
    object_id = models.CharField(max_length=64)
    organization_id = models.UUIDField()  # whose desk the person works at: only it sees the row
    user_id = models.UUIDField()
    name = models.CharField(max_length=200)
    seen_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["object_type", "object_id", "user_id"], name="presence_once")
        ]
        indexes = [models.Index(fields=["seen_at"], name="presence_seen")]

    def __str__(self) -> str:
        return f"{self.name} on {self.object_type}:{self.object_id}"
