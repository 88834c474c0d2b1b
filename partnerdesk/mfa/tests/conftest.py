"""What the multi-factor tests share: a known secret and the codes of its time steps."""

from __future__ import annotations

from datetime import timedelta

import pyotp
from django.utils import timezone

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def code(secret: str = SECRET, *, steps_ahead: int = 0) -> str:
    """The code of the current step (or one step later: accepted once too, within the drift)."""
    return pyotp.TOTP(secret).at(timezone.now() + timedelta(seconds=30 * steps_ahead))


def wrong(secret: str = SECRET) -> str:
    right = {code(secret, steps_ahead=n) for n in (-1, 0, 1)}
    return next(candidate for candidate in ("000000", "111111", "222222", "333333") if candidate not in right)
