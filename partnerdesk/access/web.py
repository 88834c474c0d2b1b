"""How web views declare and enforce their permission; every URL pattern must use one of these.

`requires(P.X)` resolves the principal (switching to delegated access for admin-center views),
checks the portal and the permission or named rule, and turns domain errors into the 403/404 pages.
`public` wraps the few views anyone may reach (sign-in, password reset). Each registers the wrapper
it made (`access.entry`); the URL test fails for any view that is not one of them.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from partnerdesk.access import rules
from partnerdesk.access.entry import enforcing
from partnerdesk.access.permissions import Permission
from partnerdesk.access.principal import NoDelegatedAccess, Principal, delegated_principal
from partnerdesk.access.rules import Need, Rule
from partnerdesk.errors import DomainError, NotFound

View = TypeVar("View", bound=Callable[..., HttpResponseBase])

ACTING_FOR_SESSION_KEY = "acting_for"


def public(view: View) -> View:
    """Let anyone reach the view, signed in or not (sign-in, password reset)."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        return view(request, *args, **kwargs)

    return enforcing(wrapper, "public")  # type: ignore[return-value]


def signed_in(view: View) -> View:
    """Let anyone signed in reach the view, whatever their roles (own profile, sign-out)."""
    return requires(None)(view)


PORTAL_PERMISSIONS = {
    "operator": Permission.OPERATOR_CONSOLE,
    "partner": Permission.PARTNER_CENTER,
    "admin": Permission.ADMIN_CENTER,
}


def requires(permission: Need | None, *, portal: str | None = None) -> Callable[[View], View]:
    """Require a signed-in principal holding `permission` (and the portal's own entry permission).

    `permission` may be a named rule (`access.rules`): a side the rule does not admit is refused
    first, with the rule's own message, before the portal is checked. In the admin center
    (`portal="admin"`), a partner user who chose a customer in the organization switcher acts through
    delegated access, re-checked on every request.
    """
    admin_center = portal == "admin"

    def decorate(view: View) -> View:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            principal: Principal | None = getattr(request, "principal", None)
            if principal is None:
                return redirect(
                    f"{reverse('accounts:signin')}?{urlencode({'next': request.get_full_path()})}"
                )
            if admin_center:
                acting_for = request.session.get(ACTING_FOR_SESSION_KEY)
                if acting_for and rules.on_partner_side(principal):
                    try:
                        principal = delegated_principal(principal, acting_for)
                    except NoDelegatedAccess as error:
                        request.session.pop(ACTING_FOR_SESSION_KEY, None)
                        messages.error(request, error.message)
                        return redirect("portals:home")
                    request.principal = principal  # type: ignore[attr-defined]
            try:
                what = f"{request.method} {request.path}"
                if isinstance(permission, Rule):
                    permission.refuse_other_sides(principal, what)
                if portal is not None:
                    principal.require(PORTAL_PERMISSIONS[portal])
                    # Only now: someone refused entry sees the refusal in their own portal's chrome,
                    # not in navigation of a portal they cannot use.
                    request.portal = portal  # type: ignore[attr-defined]
                if permission is not None:
                    principal.require(permission, what=what)
                return view(request, *args, **kwargs)
            except DomainError as error:
                return error_page(request, error)

        return enforcing(  # type: ignore[return-value]
            wrapper, rules.name_of(permission), permission, portal=portal
        )

    return decorate


def error_page(request: HttpRequest, error: DomainError) -> HttpResponse:
    """Render the 403/404/409 page for a refused request."""
    title = _("Not found") if isinstance(error, NotFound) else _("Not allowed")
    return render(
        request,
        "portals/error.html",
        {"title": title, "message": error.message, "code": error.code},
        status=error.status,
    )
