"""Idempotency keys live 24 hours; this job forgets the older ones."""

from __future__ import annotations

from datetime import timedelta

from partnerdesk.idempotency import services
from partnerdesk.notifications.jobs import periodic


@periodic("idempotency.expire_keys", every=timedelta(minutes=10))
def expire_keys() -> None:
    """Delete records older than a day, a bounded batch at a time until none is left."""
    # Batches keep each DELETE short (a busy API adds thousands of keys an hour); a run stops after
    # a fixed number of them so one run never holds a worker for long, and the next run goes on.
    for _batch in range(20):
        if services.expire(batch=1000) < 1000:
            return
