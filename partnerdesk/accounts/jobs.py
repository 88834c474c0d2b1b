"""Forget the record of sessions that ended on their own (a browser closed, never signed out)."""

from __future__ import annotations

from datetime import timedelta

from partnerdesk.accounts import sessions
from partnerdesk.notifications.jobs import periodic


@periodic("accounts.forget_ended_sessions", every=timedelta(hours=1))
def forget_ended_sessions() -> None:
    """Delete session records past their idle or absolute timeout, and the sessions themselves."""
    sessions.forget_ended()
