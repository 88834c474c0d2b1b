"""End sessions past their idle or absolute timeout (settings `SESSION_IDLE_TIMEOUT_MINUTES`, `…_HOURS`)."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from partnerdesk.accounts import sessions


class SessionTimeoutMiddleware:
    """Sign out a session past its timeouts before anything else sees its user.

    The request then goes on anonymous: a page's wrapper sends the browser to sign-in (where the
    message says why), the API answers 401.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated and not sessions.keep_alive(request):
            logout(request)
            messages.info(request, _("Your session expired. Sign in again to continue."))
        return self.get_response(request)
