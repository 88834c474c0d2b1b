"""The webhook queue: every worker, on every pass, fans new events out and delivers what is due."""

from __future__ import annotations

from partnerdesk.notifications.jobs import every_pass
from partnerdesk.webhooks import delivery, fanout


@every_pass("webhooks.deliver")
def deliver(worker: str) -> int:
    """Fan out every new event, then deliver; several workers share the rows they claim."""
    fanned = 0
    while batch := fanout.fan_out():
        fanned += batch
    return fanned + delivery.deliver_due(worker)
