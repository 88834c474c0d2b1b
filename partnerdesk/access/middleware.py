"""Attach the principal to every request, and keep people with a temporary password on the change page."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone, translation
from django.utils.functional import SimpleLazyObject

from partnerdesk.access.freshness import session_verified_at
from partnerdesk.access.principal import principal_for

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


class PrincipalMiddleware:
    """Resolve `request.principal` (or None) lazily, and apply the user's language and time zone."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated:
            request.principal = SimpleLazyObject(  # type: ignore[attr-defined]
                lambda: principal_for(user, second_factor_at=session_verified_at(request))
            )
            timezone.activate(user.effective_time_zone)
            # The user's own language, else their organization's default (as mail and the API do);
            # the organization is the one principal_for loads anyway, so this costs no query.
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
