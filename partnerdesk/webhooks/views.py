"""Pages: each portal's webhook endpoints (operator console, partner center, admin center).

The same views serve the three portals; `urls.py` mounts them once per portal (`access.web.in_portals`),
each through `requires(P.WEBHOOKS_MANAGE, portal=...)`.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from partnerdesk import etags
from partnerdesk.access import policy
from partnerdesk.access.principal import principal_of
from partnerdesk.access.web import act
from partnerdesk.confirm import Confirmation, confirmation, confirmed
from partnerdesk.errors import DomainError
from partnerdesk.events.catalog import CATALOG
from partnerdesk.webhooks import services
from partnerdesk.webhooks.forms import EndpointForm
from partnerdesk.webhooks.models import DeliveryAttempt, WebhookDelivery, WebhookEndpoint

NEW_SECRET_SESSION_KEY = "new_webhook_secret"


def _catalog() -> list[str]:
    return [name for name, event_type in CATALOG.items() if not event_type.on_request_only]


def _endpoint(request: HttpRequest, endpoint_id: str) -> WebhookEndpoint:
    return policy.get_visible(principal_of(request), WebhookEndpoint, pk=endpoint_id)


def _detail(request: HttpRequest, portal: str, endpoint: WebhookEndpoint) -> HttpResponse:
    return redirect(f"webhooks:{portal}_endpoint", endpoint.pk)


def endpoints(request: HttpRequest, portal: str) -> HttpResponse:
    """The organization's endpoints, and the form that registers one."""
    principal = principal_of(request)
    form = EndpointForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            created = services.create_endpoint(
                principal,
                url=form.cleaned_data["url"],
                events=form.event_names(),
                description=form.cleaned_data["description"],
            )
        except DomainError as error:
            form.add_error(None, error.message)
            status = 422
        else:
            request.session[NEW_SECRET_SESSION_KEY] = created.secret
            return _detail(request, portal, created.endpoint)
    elif request.method == "POST":
        status = 422
    listed = policy.visible(principal, WebhookEndpoint).order_by("-created_at", "-id")[:100]
    return render(
        request,
        "webhooks/endpoints.html",
        {"endpoints": listed, "form": form, "portal": portal, "catalog": _catalog()},
        status=status,
    )


def endpoint(request: HttpRequest, portal: str, endpoint_id: str) -> HttpResponse:
    """One endpoint: its settings (editable), enable/disable, rotate, test, delete, and the delivery log."""
    principal = principal_of(request)
    found = _endpoint(request, endpoint_id)
    initial = {"url": found.url, "events": "\n".join(found.events), "description": found.description}
    form = EndpointForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            with etags.guarded(etags.posted(request), found):
                services.update_endpoint(
                    principal,
                    found,
                    url=form.cleaned_data["url"],
                    events=form.event_names(),
                    description=form.cleaned_data["description"],
                    enabled=request.POST.get("enabled") == "1",
                )
        except DomainError as error:
            form.add_error(None, error.message)
            status = etags.page_status(error, 422)
            found.refresh_from_db()
        else:
            messages.success(request, _("The endpoint was saved."))
            return _detail(request, portal, found)
    elif request.method == "POST":
        status = 422
    attempts = (
        policy.visible(principal, DeliveryAttempt)
        .filter(delivery__endpoint=found)
        .select_related("delivery", "delivery__event")
        .order_by("-attempted_at", "-id")[:50]
    )
    deliveries = (
        policy.visible(principal, WebhookDelivery)
        .filter(endpoint=found)
        .select_related("event")
        .order_by("-created_at", "-id")[:50]
    )
    return render(
        request,
        "webhooks/endpoint.html",
        {
            "endpoint": found,
            "form": form,
            "portal": portal,
            "etag": etags.etag_of(found),
            "attempts": attempts,
            "deliveries": deliveries,
            "new_secret": request.session.pop(NEW_SECRET_SESSION_KEY, None),
        },
        status=status,
    )


def rotate(request: HttpRequest, portal: str, endpoint_id: str) -> HttpResponse:
    rotated = services.rotate_secret(principal_of(request), _endpoint(request, endpoint_id))
    request.session[NEW_SECRET_SESSION_KEY] = rotated.secret
    messages.success(
        request, _("A new secret signs every delivery now; the old one keeps signing for a while.")
    )
    return _detail(request, portal, rotated.endpoint)


def test(request: HttpRequest, portal: str, endpoint_id: str) -> HttpResponse:
    found = _endpoint(request, endpoint_id)
    services.send_test(principal_of(request), found)
    messages.success(request, _("A test ping is on its way; it appears in the delivery log."))
    return _detail(request, portal, found)


def delete(request: HttpRequest, portal: str, endpoint_id: str) -> HttpResponse:
    found = _endpoint(request, endpoint_id)
    if not confirmed(request):
        return confirmation(
            request,
            Confirmation(
                title=_("Delete the webhook endpoint %(url)s?") % {"url": found.url},
                consequences=[
                    _("No more events are sent to it, including those waiting to be delivered."),
                    _("Its delivery log is deleted with it."),
                ],
                button=_("Delete endpoint"),
                back=reverse(f"webhooks:{portal}_endpoint", args=[found.pk]),
            ),
        )
    services.delete_endpoint(principal_of(request), found)
    messages.success(request, _("The endpoint was deleted."))
    return redirect(f"webhooks:{portal}_endpoints")


def resend(request: HttpRequest, portal: str, endpoint_id: str, delivery_id: str) -> HttpResponse:
    principal = principal_of(request)
    found = _endpoint(request, endpoint_id)
    delivery = policy.get_visible(principal, WebhookDelivery.objects.filter(endpoint=found), pk=delivery_id)
    act(
        request,
        lambda: services.resend(principal, delivery),
        _("The delivery will be sent again, with the same webhook-id."),
    )
    return _detail(request, portal, found)
