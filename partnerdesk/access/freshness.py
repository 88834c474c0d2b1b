"""Sensitive actions want a second factor verified lately: the check the enforcing wrappers make.

A route declares it (`requires(P.X, fresh_mfa=True)` for pages and API operations); the wrapper asks
`is_fresh(principal)` after the permission. The principal carries when its second factor was last
verified (`Principal.second_factor_at`: the session's stamp, or when an API token was exchanged with
a code). The second factors themselves belong to `partnerdesk.mfa`, a layer above, which registers
how to tell whether a user has one and how to verify a code (`use`, from its AppConfig, ADR 0008).
A user without any second factor has nothing to verify: their organization's policy decides whether
they must enrol, and until they do the check lets them through.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from partnerdesk.errors import Forbidden

if TYPE_CHECKING:
    from django.http import HttpRequest

    from partnerdesk.access.principal import Principal
    from partnerdesk.accounts.models import User

# The session key holding when this browser last verified a second factor (seconds since the epoch).
SESSION_KEY = "partnerdesk_mfa_verified_at"
# The form field a page's "confirm with a code" step posts.
CODE_FIELD = "fresh_mfa_code"


class SecondFactors(Protocol):
    """What the wrappers ask of the second factors (`partnerdesk.mfa.services` is one)."""

    def has_second_factor(self, user: User) -> bool: ...

    def verify_fresh(self, request: HttpRequest, user: User, code: str) -> None: ...


_registered: list[SecondFactors] = []


def use(second_factors: SecondFactors) -> None:
    """Register the second factors (mfa does, from its AppConfig)."""
    _registered[:] = [second_factors]


def current() -> SecondFactors:
    if not _registered:
        raise RuntimeError("no second factors registered with access.freshness (is mfa installed?)")
    return _registered[0]


def session_verified_at(request: HttpRequest) -> datetime | None:
    """When this browser session last verified a second factor, or None."""
    session = getattr(request, "session", None)
    stamp = session.get(SESSION_KEY) if session is not None else None
    return datetime.fromtimestamp(stamp, tz=UTC) if stamp else None


def window() -> timedelta:
    return timedelta(seconds=settings.MFA_FRESHNESS_SECONDS)


def is_fresh(principal: Principal) -> bool:
    """Whether the principal verified a second factor within the window (or has none to verify)."""
    at = principal.second_factor_at
    if at is not None and timezone.now() - at <= window():
        return True
    return not current().has_second_factor(principal.user)


def require_fresh(principal: Principal) -> None:
    """Refuse (403 `mfa_fresh_required`) unless the principal's second factor is fresh."""
    if not is_fresh(principal):
        raise Forbidden(
            _(
                "This action needs a second factor verified in the last %(minutes)s minutes: "
                "exchange your password and a code for a new token (POST /api/v1/auth/tokens with otp)."
            )
            % {"minutes": max(1, settings.MFA_FRESHNESS_SECONDS // 60)},
            code="mfa_fresh_required",
        )
