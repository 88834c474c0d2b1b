"""Which browsers are signed in as a user, how long a session may last, and ending the others.

Django keeps sessions by key only; `UserSession` records whose they are. It is written when Django
signs someone in or out (`user_logged_in` / `user_logged_out`, connected in `apps.py`), so every way
in is covered: the sign-in form, the new session after a password change, the tests' `force_login`.
The session itself carries when it started and when it was last seen (`STARTED`, `SEEN`, seconds
since the epoch), which `accounts.middleware.SessionTimeoutMiddleware` holds against
`SESSION_IDLE_TIMEOUT_MINUTES` and `SESSION_ABSOLUTE_TIMEOUT_HOURS`.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.db import models, transaction
from django.http import HttpRequest
from django.utils import timezone

from partnerdesk.access.principal import Principal
from partnerdesk.accounts.models import User, UserSession
from partnerdesk.audit import services as audit

STARTED = "partnerdesk_session_started_at"
SEEN = "partnerdesk_session_seen_at"
# A request moves "last seen" only when the last move is older than this, so reading pages does not
# write the session and its row on every request.
TOUCH_SECONDS = 60
USER_AGENT_LENGTH = 300


def idle_timeout() -> timedelta:
    return timedelta(minutes=settings.SESSION_IDLE_TIMEOUT_MINUTES)


def absolute_timeout() -> timedelta:
    return timedelta(hours=settings.SESSION_ABSOLUTE_TIMEOUT_HOURS)


def _store() -> SessionBase:
    engine: Any = import_module(settings.SESSION_ENGINE)
    return engine.SessionStore()


def record_sign_in(sender: Any, request: HttpRequest, user: User, **kwargs: Any) -> None:
    """Stamp a newly signed-in session with its start, and record it under its user."""
    session = request.session
    now = timezone.now()
    session[STARTED] = session[SEEN] = now.timestamp()
    if session.session_key is None:
        session.save()  # after a flush the new session has no key until it is saved
    UserSession.objects.update_or_create(
        session_key=session.session_key,
        defaults={
            "user": user,
            "created_at": now,
            "last_seen_at": now,
            "ip_address": request.META.get("REMOTE_ADDR") or None,
            "user_agent": request.META.get("HTTP_USER_AGENT", "")[:USER_AGENT_LENGTH],
        },
    )


def sign_in(request: HttpRequest, user: User, *, after: dict[str, Any] | None = None) -> None:
    """Sign this browser in as `user` and audit it, in one transaction (the session row is written by
    `record_sign_in`, which Django's `login` calls). `after` says how, when not by password (SSO)."""
    from django.contrib.auth import login

    from partnerdesk.access.principal import principal_for

    with transaction.atomic():
        login(request, user, backend="partnerdesk.accounts.backends.EmailBackend")
        audit.record(
            principal_for(user),
            action="user.signed_in",
            target=user,
            organization=user.organization,
            after=after,
        )


def record_sign_out(sender: Any, request: HttpRequest | None, user: User | None, **kwargs: Any) -> None:
    """Forget a session its user signed out of (or that timed out)."""
    if request is not None and request.session.session_key:
        UserSession.objects.filter(session_key=request.session.session_key).delete()


def by_the_page(request: HttpRequest) -> bool:
    """Whether an open page's script sent the request by itself, not its person (ADR 0017).

    A live page's stream reconnects every half minute and refreshes its regions on events: neither
    is the person at work, so neither keeps an idle session alive. Their typing pings do.
    """
    return request.headers.get("Accept", "").startswith("text/event-stream") or (
        "X-Live-Fragment" in request.headers
    )


def keep_alive(request: HttpRequest) -> bool:
    """Return whether the signed-in session is within its timeouts; if so, note this request.

    A session signed in before sessions were stamped starts counting now. A request a live page
    sends by itself is checked against the timeouts but does not count as activity.
    """
    session = request.session
    now = time.time()
    started, seen = session.get(STARTED), session.get(SEEN)
    if started is None or seen is None:
        session[STARTED] = session[SEEN] = now
        return True
    if now - seen > idle_timeout().total_seconds() or now - started > absolute_timeout().total_seconds():
        return False
    if now - seen >= TOUCH_SECONDS and not by_the_page(request):
        session[SEEN] = now
        own_row = UserSession.objects.filter(session_key=session.session_key)
        own_row.update(last_seen_at=datetime.fromtimestamp(now, tz=UTC))
    return True


def active(queryset: models.QuerySet[UserSession]) -> models.QuerySet[UserSession]:
    """Narrow sessions to those still within their timeouts, most recently seen first."""
    now = timezone.now()
    return queryset.filter(
        last_seen_at__gte=now - idle_timeout(), created_at__gte=now - absolute_timeout()
    ).order_by("-last_seen_at", "-id")


def end_session(principal: Principal, user_session: UserSession) -> None:
    """Sign one of the principal's own sessions out; that browser is signed out at its next request."""
    with transaction.atomic():
        deleted, _ = UserSession.objects.filter(pk=user_session.pk, user_id=principal.user.pk).delete()
        if deleted:
            _store().delete(user_session.session_key)
            audit.record(
                principal,
                action="user.session_ended",
                target=principal.user,
                organization=principal.home_organization,
                before={"session": str(user_session.pk), "ip_address": user_session.ip_address or ""},
            )


def end_other_sessions(principal: Principal, *, current_session_key: str | None) -> int:
    """Sign the principal out everywhere but in this browser; return how many sessions ended."""
    others = UserSession.objects.filter(user_id=principal.user.pk).exclude(session_key=current_session_key)
    ended = 0
    for user_session in others:
        end_session(principal, user_session)
        ended += 1
    return ended


def end_every_session(user: User) -> None:
    """End all of a user's sessions (a changed password, a blocked user): none may outlive the change."""
    store = _store()
    for session_key in UserSession.objects.filter(user_id=user.pk).values_list("session_key", flat=True):
        store.delete(session_key)
    UserSession.objects.filter(user_id=user.pk).delete()


def forget_ended() -> int:
    """Delete the records (and the stored sessions) of sessions past their timeouts; return how many.

    Such a session would be refused at its next request anyway; this keeps the table to live ones.
    """
    now = timezone.now()
    ended = UserSession.objects.filter(
        models.Q(last_seen_at__lt=now - idle_timeout()) | models.Q(created_at__lt=now - absolute_timeout())
    )
    store = _store()
    keys = list(ended.values_list("session_key", flat=True)[:5000])
    for session_key in keys:
        store.delete(session_key)
    UserSession.objects.filter(session_key__in=keys).delete()
    return len(keys)
