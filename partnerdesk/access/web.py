"""How web views declare and enforce their permission; every URL pattern must use one of these.

`requires(P.X)` resolves the principal (switching to delegated access for admin-center views),
checks the portal and the permission or named rule, and turns domain errors into the 403/404 pages.
`public` wraps the few views anyone may reach (sign-in, password reset). Each registers the wrapper
it made (`access.entry`); the URL test fails for any view that is not one of them.

`in_portals` mounts one page that several portals offer (API tokens, OAuth apps, webhooks, domains,
single sign-on, …): one view that takes its `portal`, one URL pattern per portal, each through its own
`requires(need, portal=...)`, so each portal's route is an enforcing wrapper of its own.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Literal, TypeVar

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from partnerdesk.access import freshness, rules
from partnerdesk.access.entry import enforcing
from partnerdesk.access.permissions import Permission
from partnerdesk.access.principal import NoDelegatedAccess, Principal, delegated_principal
from partnerdesk.access.rules import Need, Rule
from partnerdesk.errors import DomainError, NotFound, RateLimited

View = TypeVar("View", bound=Callable[..., HttpResponseBase])

ACTING_FOR_SESSION_KEY = "acting_for"


def public(view: View) -> View:
    """Let anyone reach the view, signed in or not (sign-in, password reset)."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        return view(request, *args, **kwargs)

    return enforcing(wrapper, "public")  # type: ignore[return-value]


def signed_in(view: View | None = None, *, fresh_mfa: bool = False) -> Any:
    """Let anyone signed in reach the view, whatever their roles (own profile, sign-out).

    `@signed_in(fresh_mfa=True)` also wants a fresh second factor for a POST (see `requires`).
    """
    if view is None:
        return requires(None, fresh_mfa=fresh_mfa)
    return requires(None)(view)


PORTAL_PERMISSIONS = {
    "operator": Permission.OPERATOR_CONSOLE,
    "partner": Permission.PARTNER_CENTER,
    "admin": Permission.ADMIN_CENTER,
}


def requires(
    permission: Need | None, *, portal: str | None = None, fresh_mfa: bool = False
) -> Callable[[View], View]:
    """Require a signed-in principal holding `permission` (and the portal's own entry permission).

    `fresh_mfa=True` (sensitive actions): a POST also needs a second factor verified within
    MFA_FRESHNESS_SECONDS (`access.freshness`); otherwise the page asks for a code and re-posts the
    same fields with it, and the action runs once the code is right. Works without JavaScript.

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
                if fresh_mfa and request.method == "POST" and not freshness.is_fresh(principal):
                    refused = _ask_for_fresh_second_factor(request, principal)
                    if refused is not None:
                        return refused
                    # (the middleware's principal is lazy: copy its fields, not the proxy)
                    fields = {f.name: getattr(principal, f.name) for f in dataclasses.fields(Principal)}
                    principal = Principal(
                        **{**fields, "second_factor_at": freshness.session_verified_at(request)}
                    )
                    request.principal = principal  # type: ignore[attr-defined]
                return view(request, *args, **kwargs)
            except DomainError as error:
                return error_page(request, error)

        wrapper.fresh_mfa = fresh_mfa  # type: ignore[attr-defined]
        return enforcing(  # type: ignore[return-value]
            wrapper, rules.name_of(permission), permission, portal=portal
        )

    return decorate


@dataclasses.dataclass(frozen=True)
class Mount:
    """Where one portal offers a set of shared pages: under `path`, with URL names starting `name`."""

    portal: str
    path: str
    name: str

    def __post_init__(self) -> None:
        if self.portal not in PORTAL_PERMISSIONS:
            raise ValueError(f"{self.portal!r} is not a portal (one of {', '.join(PORTAL_PERMISSIONS)})")


def in_portals(
    mounts: Iterable[Mount],
    route: str,
    view: Callable[..., HttpResponseBase],
    name: str,
    need: Need | Mapping[str, Need] | None,
    *,
    only: Literal["GET", "POST"] | None = None,
    fresh_mfa: bool = False,
) -> list[URLPattern]:
    """Mount one page in several portals: `mount.path + route`, named `mount.name + name`, each portal's.

    Each pattern is its own `requires(need, portal=mount.portal, fresh_mfa=...)` around `view` (a
    mapping gives each portal its own need, e.g. a named rule in one portal and a permission in the
    other), behind Django's `require_POST`/`require_GET` when `only` names the one method it admits,
    and calls `view(request, portal=...)` with the URL's own parameters, so the view knows which
    portal's pages it links to.
    """
    guard = {None: None, "GET": require_GET, "POST": require_POST}[only]
    patterns = []
    for mount in mounts:
        wanted = need[mount.portal] if isinstance(need, Mapping) else need  # a portal left out: KeyError
        page = requires(wanted, portal=mount.portal, fresh_mfa=fresh_mfa)(view)
        patterns.append(
            path(
                mount.path + route,
                guard(page) if guard else page,
                {"portal": mount.portal},
                name=mount.name + name,
            )
        )
    return patterns


_NOT_REPOSTED = {"csrfmiddlewaretoken", freshness.CODE_FIELD}


def _ask_for_fresh_second_factor(request: HttpRequest, principal: Principal) -> HttpResponse | None:
    """Verify the code this POST carries (None: go on), or answer the page that asks for one.

    The page re-posts the same fields with the code, to the same address; a wrong code shows it again
    with the message (429 with `Retry-After` when the attempts are rate limited).
    """
    code = request.POST.get(freshness.CODE_FIELD, "").strip()
    error: DomainError | None = None
    if code:
        try:
            freshness.current().verify_fresh(request, principal.user, code)
        except DomainError as refused:
            error = refused
        else:
            return None
    fields = [
        (name, value)
        for name, values in request.POST.lists()
        if name not in _NOT_REPOSTED
        for value in values
    ]
    response = render(
        request,
        "portals/fresh_second_factor.html",
        {
            "fields": fields,
            "action": request.get_full_path(),
            "error": error.message if error else "",
            "field": freshness.CODE_FIELD,
        },
        status=error.status if error else 403,
    )
    if isinstance(error, RateLimited):
        response["Retry-After"] = str(error.retry_after)
    return response


def error_page(request: HttpRequest, error: DomainError) -> HttpResponse:
    """Render the 403/404/409 page for a refused request."""
    title = _("Not found") if isinstance(error, NotFound) else _("Not allowed")
    return render(
        request,
        "portals/error.html",
        {"title": title, "message": error.message, "code": error.code},
        status=error.status,
    )


def act(request: HttpRequest, action: Callable[[], object], success: str) -> None:
    """Run a button's service call; its refusal, or `success`, is the message on the next page."""
    try:
        action()
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, success)
