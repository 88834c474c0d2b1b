"""Forget OAuth access tokens long expired (they authenticate nothing; the table stays small)."""

from __future__ import annotations

from datetime import timedelta

from partnerdesk.integrations import services
from partnerdesk.notifications.jobs import periodic


@periodic("integrations.forget_expired_tokens", every=timedelta(hours=1))
def forget_expired_tokens() -> None:
    """Delete access tokens that expired over a day ago."""
    services.forget_expired_tokens()
