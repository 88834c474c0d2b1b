"""Single sign-on pages: the way to the identity provider and back, and each portal's settings page.

The settings pages serve the partner center and the admin center; `urls.py` mounts them once per
portal (`access.web.in_portals`).
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from partnerdesk import etags, inputs
from partnerdesk.access import policy
from partnerdesk.access.permissions import OrgKind
from partnerdesk.access.principal import principal_of
from partnerdesk.access.web import act, public
from partnerdesk.confirm import Confirmation, confirmation, confirmed
from partnerdesk.errors import DomainError
from partnerdesk.sso import services, signin
from partnerdesk.sso.forms import ConnectionForm
from partnerdesk.sso.inputs import SsoConnectionIn
from partnerdesk.sso.models import SsoConnection

SETTINGS_PAGES = {"partner": "sso:partner_settings", "admin": "sso:admin_settings"}


def _refused(request: HttpRequest, error: DomainError) -> HttpResponse:
    return render(
        request,
        "sso/refused.html",
        {"message": error.message, "code": error.code},
        status=error.status if error.status >= 400 else 400,
    )


@require_GET
@public  # reason: signing in starts here, before anyone is signed in
def start(request: HttpRequest) -> HttpResponse:
    """Send the browser to the provider of the e-mail's domain, through a page (see the template)."""
    email = request.GET.get("email", "")
    next_url = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = ""
    try:
        authorization_url = signin.begin(request, email, next_url)
    except DomainError as error:
        return _refused(request, error)
    return render(request, "sso/continue.html", {"authorization_url": authorization_url, "email": email})


@require_GET
@public  # reason: the identity provider sends the browser back here, before anyone is signed in
def callback(request: HttpRequest) -> HttpResponse:
    try:
        signed_in = signin.finish(request)
    except DomainError as error:
        return _refused(request, error)
    if signed_in.created:
        messages.info(request, _("Welcome: your account was created from your organization's sign-in."))
    return redirect(signed_in.next_url or reverse("portals:home"))


def _connection(request: HttpRequest) -> SsoConnection | None:
    principal = principal_of(request)
    return policy.visible(principal, SsoConnection).filter(organization_id=principal.organization.pk).first()


def settings_page(request: HttpRequest, portal: str) -> HttpResponse:
    principal = principal_of(request)
    connection = _connection(request)
    offered = principal.organization.kind == OrgKind.CUSTOMER
    initial = (
        {key: getattr(connection, key) for key in ("issuer", "client_id", "just_in_time", "require_sso")}
        if connection
        else {}
    )
    form = ConnectionForm(request.POST or None, initial=initial, just_in_time_offered=offered)
    status = 200
    wanted = inputs.from_form(form, SsoConnectionIn) if request.method == "POST" else None
    if wanted is not None:
        try:
            services.save_connection(
                principal,
                issuer=wanted.issuer,
                client_id=wanted.client_id,
                client_secret=wanted.client_secret,
                just_in_time=wanted.just_in_time,
                require_sso=wanted.require_sso,
                expected_etag=etags.posted(request),
            )
        except DomainError as error:
            form.add_error(None, error.message)
            status = etags.page_status(error, error.status)
        else:
            messages.success(request, _("The identity provider was saved."))
            return redirect(SETTINGS_PAGES[portal])
    elif form.errors:
        status = 400
    return render(
        request,
        "sso/settings.html",
        {
            "form": form,
            "connection": connection,
            "portal": portal,
            "etag": etags.etag_of(connection),
            "redirect_uri": services.redirect_uri(),
            "domains": services.covered_domains(principal.organization),
            "remove_url": SETTINGS_PAGES[portal] + "_remove",
        },
        status=status,
    )


def remove_page(request: HttpRequest, portal: str) -> HttpResponse:
    principal = principal_of(request)
    connection = _connection(request)
    if connection is None:
        messages.info(request, _("No identity provider is connected."))
        return redirect(SETTINGS_PAGES[portal])
    if not confirmed(request):
        return confirmation(
            request,
            Confirmation(
                title=_("Disconnect %(issuer)s?") % {"issuer": connection.issuer},
                consequences=[
                    _("Nobody signs in through this identity provider any more."),
                    _(
                        "People with a Partnerdesk password sign in with it again; people created just "
                        "in time have none and must reset theirs."
                    ),
                ],
                button=_("Disconnect"),
                back=reverse(SETTINGS_PAGES[portal]),
            ),
        )
    act(
        request,
        lambda: services.remove_connection(principal, connection, expected_etag=etags.posted(request)),
        _("The identity provider was disconnected."),
    )
    return redirect(SETTINGS_PAGES[portal])
