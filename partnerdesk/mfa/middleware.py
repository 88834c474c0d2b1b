"""Send a signed-in user whose organization requires a second factor to enrol one, before any page."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from partnerdesk.access import freshness
from partnerdesk.access.middleware import SIGNED_IN_WITH_SESSION_KEY, THROUGH_IDENTITY_PROVIDER
from partnerdesk.mfa import services

# What a user who must enrol may still reach: the enrolment pages, signing out, the language, files.
_ALLOWED_WHILE_ENROLLING = ("/account/mfa/", "/account/signout/", "/account/language/", "/static/")
# The answer "this session's user has what their policy requires" is kept this long in the session,
# so reading pages does not ask the database on every request; a stricter policy applies within it.
_CHECKED_KEY = "partnerdesk_mfa_checked_at"
CHECK_SECONDS = 60


class EnrolmentRequiredMiddleware:
    """Like the forced change of a temporary password (`access.middleware`): enrol first.

    A session that verified a second factor has one (a reset ends its sessions), so it is never asked;
    nor is a session the organization's identity provider opened (single sign-on: the provider is
    responsible for the second factor, ADR 0011).
    The API answers such a session 401 (`partnerdesk.api.SessionAuth`); bearer tokens are unaffected.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            user.is_authenticated
            and not user.must_change_password
            and freshness.SESSION_KEY not in request.session
            and request.session.get(SIGNED_IN_WITH_SESSION_KEY) != THROUGH_IDENTITY_PROVIDER
            and time.time() - request.session.get(_CHECKED_KEY, 0) > CHECK_SECONDS
        ):
            if services.must_enrol(user, roles=request.principal.roles):  # type: ignore[attr-defined]
                request.second_factor_enrolment_required = True  # type: ignore[attr-defined]
                if not request.path.startswith(("/api/", *_ALLOWED_WHILE_ENROLLING)):
                    return redirect("mfa:factors")
            else:
                request.session[_CHECKED_KEY] = time.time()
        return self.get_response(request)
