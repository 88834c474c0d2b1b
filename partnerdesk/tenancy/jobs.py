"""Tenancy's periodic work: reminding both sides that a delegated relationship is about to expire."""

from __future__ import annotations

from datetime import timedelta

from partnerdesk.notifications.jobs import periodic
from partnerdesk.tenancy import reminders


@periodic("tenancy.relationship_reminders", every=timedelta(hours=1))
def remind() -> None:
    """Mail the 30- and 7-day expiry reminders of delegated relationships that are due (ADR 0015)."""
    reminders.send_due()
