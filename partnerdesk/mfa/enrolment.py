"""The short-lived states between a password and a full sign-in.

- **Pending second step** (web): a correct password of a user with a second factor signs nobody in;
  the session remembers whose password it was for MFA_PENDING_SECONDS, and only the second step
  (`mfa.views.verify`) calls Django's `login`.
- **Enrolment token** (API): a user who must enrol and has no browser gets a signed, short-lived
  `pde_…` token from the password exchange. It authenticates only the two enrolment operations
  (`mfa.api`), only until the user has a factor, and dies with a password change (it carries a piece
  of the session hash).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.http import HttpRequest

if TYPE_CHECKING:
    from partnerdesk.accounts.models import User

PENDING_KEY = "partnerdesk_mfa_pending"
ENROLMENT_TOKEN_PREFIX = "pde_"
_SALT = "partnerdesk.mfa.enrolment"


def _users() -> Any:
    return get_user_model()._default_manager.select_related("organization")


def _fingerprint(user: User) -> str:
    return user.get_session_auth_hash()[:20]


def begin_second_step(request: HttpRequest, user: User, *, next_url: str) -> None:
    """Remember that `user`'s password was right, for MFA_PENDING_SECONDS; sign nobody in."""
    request.session.cycle_key()
    request.session[PENDING_KEY] = {
        "user": str(user.pk),
        "fingerprint": _fingerprint(user),
        "until": time.time() + settings.MFA_PENDING_SECONDS,
        "next": next_url,
    }


def pending(request: HttpRequest) -> tuple[User, str] | None:
    """The user whose password this browser gave (and where they were going), while it is fresh."""
    state = request.session.get(PENDING_KEY)
    if not state or state.get("until", 0) < time.time():
        return None
    user = _users().filter(pk=state["user"], blocked=False, deleted_at__isnull=True).first()
    if user is None or _fingerprint(user) != state.get("fingerprint"):
        return None
    return user, state.get("next", "")


def end_second_step(request: HttpRequest) -> None:
    request.session.pop(PENDING_KEY, None)


def enrolment_token(user: User) -> str:
    """A token that can do nothing but enrol `user`'s first factor, for MFA_ENROLLMENT_TOKEN_SECONDS."""
    signed = signing.dumps({"u": str(user.pk), "f": _fingerprint(user)}, salt=_SALT, compress=True)
    return ENROLMENT_TOKEN_PREFIX + signed


def user_for_enrolment_token(raw: str) -> User | None:
    """The user an unexpired enrolment token names, while they still have no second factor."""
    from partnerdesk.mfa.services import has_second_factor

    if not raw.startswith(ENROLMENT_TOKEN_PREFIX):
        return None
    try:
        claims = signing.loads(
            raw.removeprefix(ENROLMENT_TOKEN_PREFIX),
            salt=_SALT,
            max_age=settings.MFA_ENROLLMENT_TOKEN_SECONDS,
        )
    except signing.BadSignature:
        return None
    user = _users().filter(pk=claims.get("u"), blocked=False, deleted_at__isnull=True).first()
    if user is None or _fingerprint(user) != claims.get("f") or has_second_factor(user):
        return None
    return user
