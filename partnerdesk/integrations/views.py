"""Pages: each portal's OAuth apps (list, register, rotate the secret, delete), and the token endpoint.

The same pages serve the three portals; `urls.py` mounts them once per portal (`access.web.in_portals`).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.csrf import csrf_exempt

from partnerdesk import etags
from partnerdesk.access import policy
from partnerdesk.access.permissions import OrgKind, Permission
from partnerdesk.access.principal import principal_of
from partnerdesk.access.web import act, public
from partnerdesk.confirm import Confirmation, confirmation, confirmed
from partnerdesk.errors import DomainError, RateLimited
from partnerdesk.integrations import server, services
from partnerdesk.integrations.forms import AppForm
from partnerdesk.integrations.models import OAuthApp
from partnerdesk.ratelimits.services import client_address, count_token_request

P = Permission
PAGES = {
    "operator": "integrations:operator_apps",
    "partner": "integrations:partner_apps",
    "admin": "integrations:admin_apps",
}
# The secret of an app just registered or rotated: shown once on the next page, then gone.
NEW_SECRET_SESSION_KEY = "new_app_secret"


# --- The token endpoint (RFC 6749 §4.4, a protocol endpoint: the standard's error shape) -------------


@public
@csrf_exempt  # a machine client with no cookies: it proves itself with its client secret
def token(request: HttpRequest) -> HttpResponse:
    """Issue an access token to an app that authenticates with its client id and secret."""
    client_id, _secret = server.client_credentials_of(request)
    try:
        count_token_request(client_id or "", client_address(request))
    except RateLimited as error:
        response = JsonResponse(
            {"error": "rate_limited", "error_description": error.message}, status=error.status
        )
        response["Retry-After"] = str(error.retry_after)
        response["Cache-Control"] = "no-store"
        return response
    return server.token_response(request)


# --- Pages ---------------------------------------------------------------------------------------------


def _apps(request: HttpRequest) -> Any:
    return policy.visible(principal_of(request), OAuthApp)


def app_list(request: HttpRequest, portal: str) -> HttpResponse:
    principal = principal_of(request)
    form = AppForm(kind=OrgKind(principal.organization.kind))
    status = 200
    if request.method == "POST":
        form = AppForm(request.POST, kind=OrgKind(principal.organization.kind))
        status = 400
        if form.is_valid():
            try:
                new = services.register_app(
                    principal, name=form.cleaned_data["name"], scopes=form.cleaned_data["scopes"]
                )
            except DomainError as error:
                form.add_error(None, error.message)
                status = error.status
            else:
                _remember_secret(request, new)
                return redirect(PAGES[portal])
    return render(
        request,
        "integrations/apps.html",
        {
            "apps": _apps(request).order_by("-created_at", "-id")[:200],
            "form": form,
            "portal": portal,
            "page": PAGES[portal],
            "new_secret": request.session.pop(NEW_SECRET_SESSION_KEY, None),
            "can_manage": principal.has(P.APPS_MANAGE),
        },
        status=status,
    )


def _remember_secret(request: HttpRequest, new: services.NewSecret) -> None:
    request.session[NEW_SECRET_SESSION_KEY] = {
        "name": new.app.name,
        "client_id": new.app.client_id,
        "client_secret": new.secret,
    }


def app_rotate(request: HttpRequest, portal: str, app_id: str) -> HttpResponse:
    principal = principal_of(request)
    app = policy.get_visible(principal, OAuthApp, pk=app_id)
    if not confirmed(request):
        return confirmation(
            request,
            Confirmation(
                title=_("Rotate the secret of %(name)s?") % {"name": app.name},
                consequences=[
                    _("The current secret stops working at once, and so do the app's access tokens."),
                    _("The new secret is shown once: put it into the integration's settings."),
                ],
                button=_("Rotate secret"),
                back=reverse(PAGES[portal]),
            ),
        )
    try:
        with etags.guarded(etags.posted(request), app):
            new = services.rotate_secret(principal, app)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect(PAGES[portal])
    _remember_secret(request, new)
    return redirect(PAGES[portal])


def app_delete(request: HttpRequest, portal: str, app_id: str) -> HttpResponse:
    principal = principal_of(request)
    app = policy.get_visible(principal, OAuthApp, pk=app_id)
    if not confirmed(request):
        tokens = app.access_tokens.count()
        return confirmation(
            request,
            Confirmation(
                title=_("Delete the app %(name)s?") % {"name": app.name},
                consequences=[
                    ngettext(
                        "Its secret stops working and its %(count)s live access token ends at once.",
                        "Its secret stops working and its %(count)s live access tokens end at once.",
                        tokens,
                    )
                    % {"count": tokens},
                    _("The audit log keeps what it did, under its name. This cannot be undone."),
                ],
                button=_("Delete app"),
                back=reverse(PAGES[portal]),
            ),
        )

    def delete() -> None:
        with etags.guarded(etags.posted(request), app):
            services.delete_app(principal, app)

    act(request, delete, _("The app %(name)s was deleted.") % {"name": app.name})
    return redirect(PAGES[portal])
