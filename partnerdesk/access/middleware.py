"""Read the signed-in user and their principal in one query, attach the principal to every request,
and keep people with a temporary password on the change page."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import auth
from django.contrib.auth.middleware import AuthenticationMiddleware as DjangoAuthenticationMiddleware
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone, translation
from django.utils.crypto import constant_time_compare
from django.utils.functional import SimpleLazyObject

from partnerdesk.access.freshness import session_verified_at
from partnerdesk.access.principal import (
    ON_BEHALF_OF_HEADER,
    Principal,
    PrincipalRow,
    customer_id_or_none,
    principal_for,
    principal_from_row,
    read_principal_row,
)
from partnerdesk.access.web import ACTING_FOR_SESSION_KEY

# A session opened by the organization's identity provider says so (single sign-on, ADR 0011): the
# provider vouched for the person, so no Partnerdesk password is asked of that session.
SIGNED_IN_WITH_SESSION_KEY = "signed_in_with"
THROUGH_IDENTITY_PROVIDER = "sso"

# Paths a user with a temporary password may still reach.
_ALLOWED_WHILE_TEMPORARY = (
    "/account/password/",
    "/account/signout/",
    "/static/",
    "/api/",
    "/account/language/",
)


class AuthenticationMiddleware(DjangoAuthenticationMiddleware):
    """Django's, but the session's user is read with their organization, roles and delegation at once.

    The one query (`access.principal.read_principal_row`, accounts' reader) also joins the customer
    the request acts for: the one `X-On-Behalf-Of` names, else the organization switcher's. The
    principal is then made from that row (`session_principal`) without another query.
    """

    def process_request(self, request: HttpRequest) -> None:
        super().process_request(request)  # Django's checks, and `request.auser`
        request.user = SimpleLazyObject(lambda: _signed_in_user(request))  # type: ignore[assignment]


def _signed_in_user(request: HttpRequest) -> Any:
    """`django.contrib.auth.get_user`, with the session's user read by the principal row reader.

    The same checks: the session names a configured backend, the user is active (a blocked user has
    no session), and the session's hash matches the user's (a new password or generation ends it;
    one made with a fallback secret is moved to the current one).
    """
    session = request.session
    try:
        user_id = auth.get_user_model()._meta.pk.to_python(session[auth.SESSION_KEY])
        backend_path = session[auth.BACKEND_SESSION_KEY]
    except KeyError:
        return AnonymousUser()
    if backend_path not in settings.AUTHENTICATION_BACKENDS:
        return AnonymousUser()
    acting_for = customer_id_or_none(request.headers.get(ON_BEHALF_OF_HEADER)) or customer_id_or_none(
        session.get(ACTING_FOR_SESSION_KEY)
    )
    row = read_principal_row(user_id, acting_for=acting_for)
    if row is None:
        return AnonymousUser()
    user = row.user
    session_hash = session.get(auth.HASH_SESSION_KEY)
    current_hash = user.get_session_auth_hash()
    if not session_hash or not constant_time_compare(session_hash, current_hash):
        if session_hash and any(
            constant_time_compare(session_hash, fallback)
            for fallback in user.get_session_auth_fallback_hash()
        ):
            session.cycle_key()
            session[auth.HASH_SESSION_KEY] = current_hash
        else:
            session.flush()
            return AnonymousUser()
    user.principal_row = row  # type: ignore[attr-defined]  # read back by `session_principal`
    return user


def session_principal(request: HttpRequest, *, channel: str = "web") -> Principal:
    """The signed-in session's principal, made from the row its user was read with (no query).

    A user signed in during this request (the sign-in view) was not read that way: their roles are.
    """
    user: Any = request.user
    second_factor_at = session_verified_at(request)
    row: PrincipalRow | None = getattr(user, "principal_row", None)
    if row is None:
        return principal_for(user, channel=channel, second_factor_at=second_factor_at)
    return principal_from_row(dataclasses.replace(row, second_factor_at=second_factor_at), channel=channel)


class PrincipalMiddleware:
    """Resolve `request.principal` (or None) lazily, and apply the user's language and time zone."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated:
            request.principal = SimpleLazyObject(  # type: ignore[attr-defined]
                lambda: session_principal(request)
            )
            timezone.activate(user.effective_time_zone)
            # The user's own language, else their organization's default (as mail and the API do);
            # the organization was read with the user, so this costs no query.
            language = user.effective_language
            if language:
                translation.activate(language)
                request.LANGUAGE_CODE = translation.get_language()
            if (
                user.must_change_password
                and not request.path.startswith(_ALLOWED_WHILE_TEMPORARY)
                and request.session.get(SIGNED_IN_WITH_SESSION_KEY) != THROUGH_IDENTITY_PROVIDER
            ):
                return redirect("accounts:password_change")
        else:
            request.principal = None  # type: ignore[attr-defined]
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
