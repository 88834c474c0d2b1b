"""Rate limit counters are forgotten once nothing in them can refuse anyone any more."""

from __future__ import annotations

from datetime import timedelta

from partnerdesk.notifications.jobs import periodic
from partnerdesk.ratelimits import services


@periodic("ratelimits.forget", every=timedelta(minutes=10))
def forget_counters() -> None:
    """Delete stale counters, a bounded batch at a time (safe to run twice)."""
    for _batch in range(20):
        if services.forget(batch=1000) < 1000:
            return
