"""The live pages' periodic work: forgetting old presence pings."""

from __future__ import annotations

from datetime import timedelta

from partnerdesk.live import presence
from partnerdesk.notifications.jobs import periodic


@periodic("live.forget_presence", every=timedelta(minutes=5))
def forget_presence() -> None:
    """Delete presence rows older than `presence.FORGET_AFTER` (a DELETE: safe twice, safe in parallel)."""
    presence.forget()
