"""Tenancy's periodic work: reminding both sides that a delegated relationship is about to expire, and
announcing that it has."""

from __future__ import annotations

from datetime import timedelta

from partnerdesk.notifications.jobs import periodic
from partnerdesk.tenancy import reminders


@periodic("tenancy.relationship_reminders", every=timedelta(hours=1))
def remind() -> None:
    """Mail the 30- and 7-day expiry reminders of delegated relationships that are due (ADR 0015)."""
    reminders.send_due()


@periodic("tenancy.relationship_expiry", every=timedelta(minutes=5))
def announce_expired() -> None:
    """Emit `relationship.expired` for the delegated relationships whose expiry has just come."""
    reminders.announce_expired()
