"""Subscription lifecycle jobs: renewal at term end, expiry, data deletion after retention.

Each is idempotent: it acts through a conditional update on the state it found, so a second run or a
second worker finds nothing left to do.
"""

from __future__ import annotations

from datetime import timedelta

from partnerdesk.notifications.jobs import periodic
from partnerdesk.subscriptions import reminders, renewals


@periodic("subscriptions.renew", every=timedelta(minutes=5))
def renew() -> None:
    """Renew auto-renewing subscriptions whose term ended, applying their scheduled changes."""
    renewals.renew_due()


@periodic("subscriptions.expire", every=timedelta(minutes=5))
def expire() -> None:
    """Expire subscriptions whose term ended without renewal."""
    renewals.expire_due()


@periodic("subscriptions.delete_data", every=timedelta(hours=1))
def delete_data() -> None:
    """Delete the data of subscriptions suspended or ended for longer than the retention period."""
    renewals.delete_data_due()


@periodic("subscriptions.reminders", every=timedelta(hours=1))
def remind() -> None:
    """Mail the renewal and end-of-term reminders and the data deletion warnings that are due (ADR 0015)."""
    reminders.send_due()
