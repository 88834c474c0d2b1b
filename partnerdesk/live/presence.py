"""Presence: "<name> is replying…" on a request's page, from throttled pings of the reply box.

The page's script pings while its person types (at most every `PING_EVERY`, `static/live/live.js`);
a ping older than `REPLYING_FOR` no longer counts, so a closed tab or an abandoned draft disappears
by itself. Sending the reply ends it at once (`leave`). Each ping wakes the streams of that
organization (`listener.announce`), whose next tick reads who is replying (`replying`).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import models
from django.utils import timezone

from partnerdesk.access import policy
from partnerdesk.access.principal import Principal
from partnerdesk.live import listener
from partnerdesk.live.models import Presence

REPLYING_FOR = timedelta(seconds=30)
PING_EVERY = timedelta(seconds=10)
FORGET_AFTER = timedelta(minutes=10)


def ping(principal: Principal, subject: models.Model) -> None:
    """Note that the principal is typing a reply on `subject`'s page, now."""
    now = timezone.now()
    Presence.objects.update_or_create(
        object_type=subject._meta.label_lower,
        object_id=str(subject.pk),
        user_id=principal.user.pk,
        defaults={
            "organization_id": principal.organization.pk,
            "name": principal.user.display_name,
            "seen_at": now,
        },
    )
    listener.announce(principal.organization.pk)


def leave(principal: Principal, subject: models.Model) -> None:
    """The principal sent (or dropped) the reply: stop showing them as replying."""
    deleted, _ = Presence.objects.filter(
        object_type=subject._meta.label_lower, object_id=str(subject.pk), user_id=principal.user.pk
    ).delete()
    if deleted:
        listener.announce(principal.organization.pk)


def replying(principal: Principal, subject: models.Model) -> list[str]:
    """The names of the other people of the principal's organization replying on `subject` now."""
    since = timezone.now() - REPLYING_FOR
    return list(
        policy.visible(principal, Presence)
        .filter(object_type=subject._meta.label_lower, object_id=str(subject.pk), seen_at__gte=since)
        .exclude(user_id=principal.user.pk)
        .order_by("name")
        .values_list("name", flat=True)
    )


def forget(now: datetime | None = None) -> int:
    """Delete pings nobody will show again; return how many."""
    deleted, _ = Presence.objects.filter(seen_at__lt=(now or timezone.now()) - FORGET_AFTER).delete()
    return deleted
