"""Support pages. Admin center: the Support page, new request with self-help, the request.
Partner center: the desk queue, a request, escalation, its own service requests, profile, canned
replies. Operator console: the escalation desk, a service request, topics. Both: help articles.

A page several portals share (a service request, help articles, SLA policies, attachments, the live
streams) is one view taking its `portal`, mounted once per portal in `urls.py` (`access.web.in_portals`).
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from partnerdesk import etags, inputs
from partnerdesk.access import policy
from partnerdesk.access.permissions import OrgKind, Permission
from partnerdesk.access.principal import Principal, principal_of
from partnerdesk.access.web import act, requires
from partnerdesk.confirm import Confirmation, confirmation, confirmed
from partnerdesk.errors import DomainError
from partnerdesk.live import presence
from partnerdesk.live import stream as live
from partnerdesk.pagination import paginate
from partnerdesk.support import (
    desk,
    flags,
    forms,
    knowledge,
    quarantine,
    queries,
    service_requests,
    sla,
    support_requests,
    timeline,
)
from partnerdesk.support.inputs import FlagIn, FlagResolveIn, ProfilePatch, ServiceRequestPatch
from partnerdesk.support.models import (
    Attachment,
    CannedReply,
    HelpArticle,
    InboundMail,
    Note,
    PartnerFlag,
    SavedView,
    ServiceRequest,
    SubscriptionSupportContact,
    SupportProfile,
    SupportRequest,
    SupportTopic,
)

P = Permission
SUPPORT_FILTERS = ["status", "severity", "customer", "customer_name", "assignee", "sla"]
# A queue's customer (partner queue) or partner (operator desk) filter lists at most this many
# organizations; beyond, it is a search on a part of the name (`customer_name`, `partner_name`).
ORGANIZATIONS_LISTED_AT_MOST = 200


def _listed(principal: Principal, kind: str) -> list[tuple[str, str]] | None:
    """The (id, name) of the organizations of `kind` a queue's filter offers, or None when there are
    too many to list (the page would carry thousands of options on every load)."""
    rows = list(
        policy.visible(principal, _organization_model())
        .filter(kind=kind)
        .order_by("name", "pk")
        .values_list("pk", "name")[: ORGANIZATIONS_LISTED_AT_MOST + 1]
    )
    return [(str(pk), name) for pk, name in rows] if len(rows) <= ORGANIZATIONS_LISTED_AT_MOST else None


SERVICE_FILTERS = ["status", "severity", "partner", "partner_name", "assignee", "topic", "sla", "customer"]


def _status(form: Any) -> int:
    return 400 if form.errors else 200


def _error_status(error: DomainError) -> int:
    return etags.page_status(error, error.status if error.status in (400, 403, 409, 413, 415) else 400)


# --- live pages (ADR 0017) -----------------------------------------------------------------------
# A live page names its stream (`live.page`) and its regions; its script (`live/live.js`) fetches a
# region again through the same view with `?fragment=<region>` when the stream says something changed.
SUPPORT_REQUESTS = Q(object_type="support.supportrequest")
SERVICE_REQUESTS = Q(object_type="support.servicerequest")


def _one(row: Any) -> Q:
    """The events of one request."""
    return Q(object_type=row._meta.label_lower, object_id=str(row.pk))


def _live(name: str, **kwargs: Any) -> dict[str, Any]:
    return live.page(reverse(f"support:{name}", kwargs=kwargs))


def _render(
    request: HttpRequest,
    template: str,
    context: dict[str, Any],
    *,
    fragments: dict[str, str],
    status: int = 200,
) -> HttpResponse:
    """The page, or only the region `?fragment=` names (its live script's refresh)."""
    return render(request, fragments.get(request.GET.get("fragment", ""), template), context, status=status)


def _stale(error: DomainError) -> bool:
    return isinstance(error, etags.PreconditionFailed)


# --- admin center ------------------------------------------------------------------------------


@requires(P.SUPPORT_REQUESTS, portal="admin")
def admin_support(request: HttpRequest) -> HttpResponse:
    """The Support page: how to reach the partner, and the customer's requests."""
    principal = principal_of(request)
    customer = principal.organization
    profile = policy.visible(principal, SupportProfile).filter(partner_id=customer.partner_id).first()
    contacts = (
        policy.visible(principal, SubscriptionSupportContact)
        .select_related("subscription__offer")
        .order_by("name", "id")[:20]
    )
    status = request.GET.get("status", "")
    requests = queries.filter_support_requests(queries.support_requests(principal), {"status": status})
    page = paginate(requests, ordering=["-created_at", "-id"], cursor=request.GET.get("cursor"), limit=25)
    return render(
        request,
        "support/admin_support.html",
        {
            "partner": customer.partner,
            "profile": profile,
            "contacts": contacts,
            "page": page,
            "status": status,
            "statuses": SupportRequest.Status.choices,
            "query_string": urlencode({"status": status}),
        },
    )


@requires(P.SUPPORT_REQUESTS, portal="admin")
def admin_request_create(request: HttpRequest) -> HttpResponse:
    """New request; "Continue" shows self-help for what was typed, "Submit" opens the request."""
    principal = principal_of(request)
    initial = {
        "contact_name": principal.user.display_name,
        "contact_email": principal.user.email,
        "service": request.GET.get("service") or None,
    }
    form = forms.SupportRequestForm(
        request.POST or None, request.FILES or None, initial=initial, services=_services(principal)
    )
    self_help = None
    typed = inputs.from_form(form) if request.method == "POST" else None
    if typed is not None:
        data = form.cleaned_data
        if request.POST.get("action") != "submit":
            self_help = _self_help(principal, data)
        else:
            try:
                created = support_requests.create_support_request(
                    principal, typed, attachment=data.get("attachment") or None
                )
            except DomainError as error:
                form.add_error(None, error.message)
                return render(
                    request, "support/admin_request_form.html", {"form": form}, status=_error_status(error)
                )
            messages.success(
                request, _("Your request %(number)s was sent to your partner.") % {"number": created.number}
            )
            return redirect("support:admin_request_detail", request_id=created.pk)
    elif request.method == "GET" and initial["service"] and _is_uuid(initial["service"]):
        service = _services(principal).filter(pk=initial["service"]).first()
        if service is not None:
            self_help = {
                "issues": queries.active_health_issues([service.pk]),
                "articles": [],
                "service": service,
            }
    return render(
        request,
        "support/admin_request_form.html",
        {"form": form, "self_help": self_help},
        status=_status(form),
    )


def _services(principal: Any) -> Any:
    """The services the principal may name: a customer its entitled ones, the others the catalog."""
    from partnerdesk.catalog.models import Service

    return policy.visible(principal, Service).order_by("name")


def _is_uuid(value: Any) -> bool:
    import uuid

    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


def _self_help(principal: Any, data: dict[str, Any]) -> dict[str, Any]:
    service = data.get("service")
    text = f"{data.get('title', '')} {data.get('description', '')}"
    return {
        "service": service,
        "issues": queries.active_health_issues([service.pk] if service else []),
        "articles": queries.self_help_articles(principal, text, service.pk if service else None),
        "query": data.get("title", ""),
    }


@require_POST
@requires(P.SUPPORT_REQUESTS, portal="admin")
def admin_deflect(request: HttpRequest) -> HttpResponse:
    """ "This solved it": count the deflection and go back to the Support page."""
    principal = principal_of(request)
    article = None
    if request.POST.get("article"):
        article = policy.get_visible(principal, HelpArticle, pk=request.POST["article"])
    service = None
    if request.POST.get("service") and _is_uuid(request.POST["service"]):
        service = _services(principal).filter(pk=request.POST["service"]).first()
    knowledge.record_deflection(
        principal, article=article, service=service, query=request.POST.get("query", "")
    )
    messages.success(request, _("Glad it is solved. No request was opened."))
    return redirect("support:admin_support")


@requires(P.SUPPORT_REQUESTS, portal="admin")
def admin_request_detail(request: HttpRequest, request_id: str) -> HttpResponse:
    principal = principal_of(request)
    support_request = policy.get_visible(principal, queries.support_requests(principal), pk=request_id)
    form = forms.MessageForm(request.POST or None)
    form.fields.pop("visibility")
    status = 200
    if request.method == "POST":
        action = request.POST.get("action", "reply")
        try:
            reply = inputs.from_form(form) if action == "reply" else None
            if reply is not None:
                with etags.guarded(etags.posted(request), support_request):
                    timeline.add_message(principal, support_request, body=reply.body)
                return redirect("support:admin_request_detail", request_id=support_request.pk)
            if action in ("close", "reopen"):
                with etags.guarded(etags.posted(request), support_request):
                    support_requests.update_support_request(
                        principal, support_request, status="closed" if action == "close" else "open"
                    )
                return redirect("support:admin_request_detail", request_id=support_request.pk)
            if action == "attach":
                return _attach(request, principal, support_request=support_request)
        except DomainError as error:
            form.add_error(None, error.message)
            status = _error_status(error)
            if _stale(error):  # show what the other person changed, with the new ETag
                support_request = policy.get_visible(
                    principal, queries.support_requests(principal), pk=request_id
                )
        else:
            status = 400
    return _render(
        request,
        "support/admin_request_detail.html",
        {
            "item": support_request,
            "live": _live("admin_request_stream", request_id=support_request.pk),
            "timeline": queries.messages(principal, support_request).select_related("author_organization"),
            "attachments": policy.visible(principal, Attachment).filter(support_request=support_request),
            "form": form,
            "attachment_form": forms.AttachmentForm(),
            "can_reopen": support_request.is_finished and not support_request.merged_into_id,
        },
        fragments={"timeline": "support/_live_timeline.html"},
        status=status,
    )


def _attach(
    request: HttpRequest, principal: Any, *, support_request: Any = None, service_request: Any = None
) -> HttpResponse:
    form = forms.AttachmentForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Choose a file to attach."))
    else:
        try:
            timeline.add_attachment(
                principal,
                form.cleaned_data["file"],
                support_request=support_request,
                service_request=service_request,
                internal=form.cleaned_data["internal"],
            )
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("The file was attached."))
    return redirect(request.get_full_path())


def attachment(request: HttpRequest, portal: str, attachment_id: str) -> HttpResponseBase:
    """A file of a request's timeline, in any portal: who may download it is the file's own scoping."""
    return queries.attachment_response(principal_of(request), attachment_id)


# --- partner center: the desk ------------------------------------------------------------------


def _filters(request: HttpRequest, names: list[str]) -> dict[str, str]:
    return {name: request.GET.get(name, "").strip() for name in names}


@requires(P.SUPPORT_DESK, portal="partner")
def partner_queue(request: HttpRequest) -> HttpResponse:
    principal = principal_of(request)
    filters = _filters(request, SUPPORT_FILTERS)
    if not any(filters.values()) and "status" not in request.GET:
        filters["status"] = "active"
    page = queries.support_queue(principal, filters, cursor=request.GET.get("cursor"), limit=50)
    query = {k: v for k, v in filters.items() if v}
    return _render(
        request,
        "support/partner_queue.html",
        {
            "live": _live("partner_queue_stream"),
            "page": page,
            "filters": filters,
            "statuses": SupportRequest.Status.choices,
            "customers": _listed(principal, OrgKind.CUSTOMER),
            "agents": desk.desk_agents(principal.organization.pk),
            "saved_views": policy.visible(principal, SavedView).filter(queue="partner_support"),
            "query_string": urlencode(query),
            "view_form": forms.SavedViewForm(initial={"query": urlencode(query)}),
            "flags": policy.visible(principal, PartnerFlag)
            .filter(resolved_at__isnull=True)
            .order_by("-created_at")[:5],
        },
        fragments={"queue": "support/_support_queue.html"},
    )


def _organization_model() -> Any:
    from partnerdesk.tenancy.models import Organization

    return Organization


@require_POST
@requires(P.PARTNER_CENTER, portal="partner")
def partner_save_view(request: HttpRequest) -> HttpResponse:
    principal = principal_of(request)
    form = forms.SavedViewForm(request.POST)
    queue = request.POST.get("queue", "partner_support")
    target = "support:partner_queue" if queue == "partner_support" else "support:partner_service_queue"
    if form.is_valid():
        try:
            desk.save_view(
                principal, queue=queue, name=form.cleaned_data["name"], query=form.cleaned_data["query"]
            )
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("The view was saved."))
    return redirect(f"{reverse(target)}?{form.data.get('query', '')}")


@requires(P.SUPPORT_DESK, portal="partner")
def partner_request_detail(request: HttpRequest, request_id: str) -> HttpResponse:
    principal = principal_of(request)
    support_request = policy.get_visible(principal, queries.support_requests(principal), pk=request_id)
    canned = None
    if request.GET.get("canned"):
        canned = (
            policy.visible(principal, CannedReply).filter(pk=request.GET["canned"]).first()
            if _is_uuid(request.GET["canned"])
            else None
        )
    form = forms.MessageForm(request.POST or None, initial={"body": canned.body if canned else ""})
    status = 200
    if request.method == "POST":
        action = request.POST.get("action", "reply")
        try:
            if action == "reply":
                reply = inputs.from_form(form)
                if reply is not None:
                    with etags.guarded(etags.posted(request), support_request):
                        timeline.add_message(
                            principal, support_request, body=reply.body, visibility=reply.visibility
                        )
                    presence.leave(principal, support_request)
                    return redirect("support:partner_request_detail", request_id=support_request.pk)
                status = 400
            elif action == "update":
                assignee = request.POST.get("assignee", "")
                with etags.guarded(etags.posted(request), support_request):
                    support_requests.update_support_request(
                        principal,
                        support_request,
                        status=request.POST.get("status") or None,
                        assignee_id=assignee or None,
                        severity=request.POST.get("severity") or None,
                    )
                messages.success(request, _("The request was updated."))
                return redirect("support:partner_request_detail", request_id=support_request.pk)
            elif action == "merge":
                into = policy.get_visible(
                    principal,
                    queries.support_requests(principal),
                    number=request.POST.get("into", "").strip(),
                )
                support_requests.merge_support_requests(principal, support_request, into)
                messages.success(request, _("Merged into %(number)s.") % {"number": into.number})
                return redirect("support:partner_request_detail", request_id=into.pk)
            elif action == "attach":
                return _attach(request, principal, support_request=support_request)
        except DomainError as error:
            form.add_error(None, error.message)
            status = _error_status(error)
            if _stale(error):  # show the other agent's change, keep this one's draft in the form
                support_request = policy.get_visible(
                    principal, queries.support_requests(principal), pk=request_id
                )
    linked = policy.visible(principal, ServiceRequest).filter(support_request=support_request).first()
    replying = presence.replying(principal, support_request)
    return _render(
        request,
        "support/partner_request_detail.html",
        {
            "item": support_request,
            "live": _live("partner_request_stream", request_id=support_request.pk),
            "replying": replying,
            "replying_json": json.dumps(replying, separators=(",", ":")),
            "replying_url": reverse("support:partner_request_replying", kwargs={"request_id": request_id}),
            "timeline": queries.messages(principal, support_request).select_related("author_organization"),
            "attachments": policy.visible(principal, Attachment).filter(support_request=support_request),
            "form": form,
            "attachment_form": forms.AttachmentForm(),
            "agents": desk.desk_agents(principal.organization.pk),
            "statuses": SupportRequest.Status.choices,
            "severities": SupportRequest._meta.get_field("severity").choices,
            "canned_replies": policy.visible(principal, CannedReply),
            "linked": linked,
        },
        fragments={"timeline": "support/_live_timeline.html"},
        status=status,
    )


@requires(P.SUPPORT_ESCALATE, portal="partner")
def partner_escalate(request: HttpRequest, request_id: str) -> HttpResponse:
    principal = principal_of(request)
    support_request = policy.get_visible(principal, queries.support_requests(principal), pk=request_id)
    timeline = list(queries.messages(principal, support_request).exclude(source="system"))
    form = forms.EscalateForm(
        request.POST or None,
        topics=knowledge.active_topics(),
        people=policy.visible(principal, _user_model()).order_by("display_name"),
        messages=timeline,
        initial={
            "title": support_request.title,
            "description": support_request.description,
            "severity": support_request.severity,
            "contact": principal.user.pk,
            "shared": [str(m.pk) for m in timeline if m.visibility == "public"],
        },
    )
    typed = inputs.from_form(form) if request.method == "POST" else None
    if typed is not None:
        data = form.cleaned_data  # the topic and contact rows the form's choices looked up
        try:
            created = service_requests.escalate(
                principal,
                support_request,
                service_requests.NewServiceRequest(
                    title=typed.title,
                    description=typed.description,
                    severity=typed.severity,
                    topic=data["topic"],
                    contact=data["contact"],
                    service=support_request.service,
                ),
                shared_message_ids=typed.shared_message_ids,
            )
        except DomainError as error:
            form.add_error(None, error.message)
            return render(
                request,
                "support/escalate_form.html",
                {"form": form, "item": support_request},
                status=_error_status(error),
            )
        messages.success(request, _("Escalated to the operator as %(number)s.") % {"number": created.number})
        return redirect("support:partner_service_detail", request_id=created.pk)
    return render(
        request, "support/escalate_form.html", {"form": form, "item": support_request}, status=_status(form)
    )


def _user_model() -> Any:
    from partnerdesk.accounts.models import User

    return User


@requires(P.SUPPORT_ESCALATE, portal="partner")
def partner_service_queue(request: HttpRequest) -> HttpResponse:
    principal = principal_of(request)
    filters = _filters(request, SERVICE_FILTERS)
    page = queries.service_queue(principal, filters, cursor=request.GET.get("cursor"), limit=50)
    query = {k: v for k, v in filters.items() if v}
    return _render(
        request,
        "support/service_queue.html",
        {
            "live": _live("partner_service_queue_stream"),
            "page": page,
            "filters": filters,
            "statuses": ServiceRequest.Status.choices,
            "query_string": urlencode(query),
            "flags": policy.visible(principal, PartnerFlag)
            .filter(resolved_at__isnull=True)
            .order_by("-created_at")[:10],
            "detail_url": "support:partner_service_detail",
            "side": "partner",
        },
        fragments={"queue": "support/_service_queue.html"},
    )


@requires(P.SUPPORT_ESCALATE, portal="partner")
def partner_service_create(request: HttpRequest) -> HttpResponse:
    principal = principal_of(request)
    form = forms.ServiceRequestForm(
        request.POST or None, topics=knowledge.active_topics(), services=_services(principal_of(request))
    )
    typed = inputs.from_form(form) if request.method == "POST" else None
    if typed is not None:
        data = form.cleaned_data  # the topic and service rows the form's choices looked up
        try:
            created = service_requests.create_service_request(
                principal,
                service_requests.NewServiceRequest(
                    title=typed.title,
                    description=typed.description,
                    severity=typed.severity,
                    topic=data["topic"],
                    service=data["service"],
                ),
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Service request %(number)s was filed.") % {"number": created.number})
            return redirect("support:partner_service_detail", request_id=created.pk)
    return render(request, "support/service_form.html", {"form": form}, status=_status(form))


def service_detail(request: HttpRequest, portal: str, request_id: str) -> HttpResponse:
    """One service request, as the partner who filed it or the operator's desk sees it."""
    side = portal
    principal = principal_of(request)
    service_request = policy.get_visible(principal, queries.service_requests(principal), pk=request_id)
    form = forms.NoteForm(request.POST or None)
    if side == "partner":
        form.fields.pop("kind")
    status_form = forms.ServiceStatusForm(initial={"status": service_request.status})
    status = 200
    here = reverse(f"support:{side}_service_detail", kwargs={"request_id": service_request.pk})
    if request.method == "POST":
        action = request.POST.get("action", "note")
        try:
            if action == "note":
                note = inputs.from_form(form)
                if note is not None:
                    side_default = Note.Kind.TO_PARTNER if side == "operator" else Note.Kind.FROM_PARTNER
                    kind = note.kind or side_default
                    with etags.guarded(etags.posted(request), service_request):
                        timeline.add_note(principal, service_request, body=note.body, kind=kind)
                    presence.leave(principal, service_request)
                    return redirect(here)
                status = 400
            elif action == "status":
                status_form = forms.ServiceStatusForm(request.POST)
                change = inputs.from_form(status_form, ServiceRequestPatch)
                if change is not None:
                    with etags.guarded(etags.posted(request), service_request):
                        service_requests.update_service_request(
                            principal,
                            service_request,
                            status=change.status,
                            resolution=change.resolution,
                        )
                    messages.success(request, _("The status was changed."))
                    return redirect(here)
                status = 400
            elif action == "assign":
                with etags.guarded(etags.posted(request), service_request):
                    service_requests.update_service_request(
                        principal, service_request, assignee_id=request.POST.get("assignee") or None
                    )
                messages.success(request, _("The request was assigned."))
                return redirect(here)
            elif action == "flag":
                flag_form = forms.FlagForm(request.POST, service_request=service_request)
                flag = inputs.from_form(flag_form, FlagIn)
                if flag is not None:
                    flags.flag_partner(
                        principal,
                        service_request.partner,
                        reason=flag.reason,
                        remediation=flag.remediation,
                        service_request=service_request,
                    )
                    messages.success(request, _("The partner was flagged."))
                    return redirect(here)
                status = 400
            elif action == "attach":
                return _attach(request, principal, service_request=service_request)
        except DomainError as error:
            form.add_error(None, error.message)
            status = _error_status(error)
            if _stale(error):
                service_request = policy.get_visible(
                    principal, queries.service_requests(principal), pk=request_id
                )
    replying = presence.replying(principal, service_request)
    return _render(
        request,
        "support/service_detail.html",
        {
            "item": service_request,
            "live": _live(f"{side}_service_stream", request_id=service_request.pk),
            "replying": replying,
            "replying_json": json.dumps(replying, separators=(",", ":")),
            "replying_url": reverse(f"support:{side}_service_replying", kwargs={"request_id": request_id}),
            "side": side,
            "timeline": policy.visible(principal, Note)
            .filter(service_request=service_request)
            .order_by("created_at", "id"),
            "attachments": policy.visible(principal, Attachment).filter(service_request=service_request),
            "form": form,
            "status_form": status_form,
            "attachment_form": forms.AttachmentForm(),
            "flag_form": forms.FlagForm(service_request=service_request),
            "agents": desk.desk_agents(principal.organization.pk) if side == "operator" else [],
            "flags": policy.visible(principal, PartnerFlag).filter(service_request=service_request),
        },
        fragments={"timeline": "support/_live_timeline.html"},
        status=status,
    )


@requires(P.SUPPORT_PROFILE_EDIT, portal="partner")
def partner_profile(request: HttpRequest) -> HttpResponse:
    from partnerdesk.subscriptions.models import Subscription

    principal = principal_of(request)
    profile = policy.visible(principal, SupportProfile).filter(partner=principal.organization).first()
    initial = {f: getattr(profile, f) for f in desk.PROFILE_FIELDS} if profile else {}
    subscriptions = (
        policy.visible(principal, Subscription)
        .filter(partner=principal.organization)
        .select_related("customer", "offer", "support_contact")
        .order_by("customer__name", "id")
    )
    form = forms.ProfileForm(
        request.POST if request.POST.get("action") != "contact" else None, initial=initial
    )
    contact_form = forms.SubscriptionContactForm(
        request.POST if request.POST.get("action") == "contact" else None, subscriptions=subscriptions
    )
    if request.method == "POST" and request.POST.get("action") == "contact":
        if contact_form.is_valid():
            data = contact_form.cleaned_data
            try:
                desk.set_subscription_contact(
                    principal,
                    data["subscription"],
                    name=data["name"],
                    email=data["email"],
                    phone=data["phone"],
                )
            except DomainError as error:
                contact_form.add_error(None, error.message)
            else:
                messages.success(request, _("The designated support contact was saved."))
                return redirect("support:partner_profile")
        return render(
            request,
            "support/profile_form.html",
            {"form": form, "contact_form": contact_form, "subscriptions": subscriptions[:100]},
            status=400,
        )
    profile_change = inputs.from_form(form, ProfilePatch) if request.method == "POST" else None
    if profile_change is not None:
        try:
            desk.update_support_profile(principal, profile_change.model_dump(exclude_unset=True))
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("The support profile was saved; your customers see it now."))
            return redirect("support:partner_profile")
    return render(
        request,
        "support/profile_form.html",
        {"form": form, "contact_form": contact_form, "subscriptions": subscriptions[:100]},
        status=_status(form),
    )


@requires(P.SUPPORT_DESK, portal="partner")
def partner_canned_replies(request: HttpRequest) -> HttpResponse:
    principal = principal_of(request)
    form = forms.CannedReplyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            knowledge.save_canned_reply(principal, **form.cleaned_data)
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("The canned reply was added."))
            return redirect("support:partner_canned_replies")
    return render(
        request,
        "support/canned_replies.html",
        {"form": form, "replies": policy.visible(principal, CannedReply)},
        status=_status(form),
    )


# --- operator console --------------------------------------------------------------------------


@requires(P.SUPPORT_OPERATOR_DESK, portal="operator")
def operator_queue(request: HttpRequest) -> HttpResponse:
    principal = principal_of(request)
    filters = _filters(request, SERVICE_FILTERS)
    if not any(filters.values()) and "status" not in request.GET:
        filters["status"] = "active"
    page = queries.service_queue(principal, filters, cursor=request.GET.get("cursor"), limit=50)
    query = {k: v for k, v in filters.items() if v}
    return _render(
        request,
        "support/service_queue.html",
        {
            "live": _live("operator_queue_stream"),
            "page": page,
            "filters": filters,
            "statuses": ServiceRequest.Status.choices,
            "query_string": urlencode(query),
            "partners": _listed(principal, OrgKind.PARTNER),
            "topics": policy.visible(principal, SupportTopic).order_by("name"),
            "agents": desk.desk_agents(principal.organization.pk),
            "detail_url": "support:operator_service_detail",
            "side": "operator",
        },
        fragments={"queue": "support/_service_queue.html"},
    )


@requires(P.SUPPORT_OPERATOR_DESK, portal="operator")
def operator_flags(request: HttpRequest) -> HttpResponse:
    """The partners flagged for escalating what first-line support should have solved, newest first."""
    flags = queries.partner_flags(principal_of(request))
    page = paginate(flags, ordering=["-created_at", "-id"], cursor=request.GET.get("cursor"), limit=50)
    return render(request, "support/operator_flags.html", {"page": page})


@require_POST
@requires(P.SUPPORT_OPERATOR_DESK, portal="operator")
def operator_flag_resolve(request: HttpRequest, flag_id: str) -> HttpResponse:
    """Resolve a partner's flag from the operator's partner page, then go back there."""
    principal = principal_of(request)
    flag = policy.get_visible(principal, PartnerFlag.objects.select_related("partner"), pk=flag_id)
    resolved = inputs.from_form(forms.FlagResolveForm(request.POST), FlagResolveIn)
    if resolved is None:
        messages.error(request, _("Say how the flag was resolved."))
    else:
        try:
            flags.resolve_flag(principal, flag, note=resolved.note)
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("The flag is resolved."))
    return redirect("tenancy:partner_detail", partner_id=flag.partner_id)


@requires(P.SUPPORT_TOPICS_MANAGE, portal="operator")
def operator_topics(request: HttpRequest) -> HttpResponse:
    principal = principal_of(request)
    form = forms.TopicForm(request.POST or None)
    if request.method == "POST":
        if request.POST.get("toggle"):
            topic = policy.get_visible(principal, SupportTopic, pk=request.POST["toggle"])
            knowledge.save_topic(
                principal,
                name=topic.name,
                description=topic.description,
                active=not topic.active,
                topic=topic,
            )
            return redirect("support:operator_topics")
        typed = inputs.from_form(form)
        if typed is not None:
            try:
                knowledge.save_topic(principal, name=typed.name, description=typed.description)
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, _("The topic was added."))
                return redirect("support:operator_topics")
    return render(
        request,
        "support/topics.html",
        {"form": form, "topics": policy.visible(principal, SupportTopic).order_by("name")},
        status=_status(form),
    )


# --- help articles (operator and partner) ------------------------------------------------------


def help_articles(request: HttpRequest, portal: str) -> HttpResponse:
    principal = principal_of(request)
    form = forms.ArticleForm(
        request.POST or None,
        initial={"language": "en", "published": True},
        services=_services(principal_of(request)),
    )
    if request.method == "POST" and form.is_valid():
        try:
            knowledge.save_article(principal, **form.cleaned_data)
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("The article was saved."))
            return redirect(f"support:{portal}_articles")
    query = request.GET.get("q", "").strip()
    articles = policy.visible(principal, HelpArticle).select_related("author_organization")
    if query:
        from partnerdesk.support import search

        found = search.search(articles, query, limit=50)
    else:
        found = list(articles.order_by("-updated_at")[:50])
    return render(
        request, "support/articles.html", {"form": form, "articles": found, "q": query}, status=_status(form)
    )


# --- SLA policies (partner: to its customers; operator: to partners) ---------------------------


def sla_policies(request: HttpRequest, portal: str) -> HttpResponse:
    from partnerdesk.support.models import Severity, SlaPolicy

    principal = principal_of(request)
    form = forms.SlaPolicyForm(request.POST or None, initial={"time_zone": principal.organization.time_zone})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        holidays = [line.strip() for line in data["holidays"].splitlines() if line.strip()]
        try:
            _check_policy(data["time_zone"], holidays)
            sla.set_sla_policy(
                principal,
                severity=data["severity"],
                first_response_minutes=data["first_response_minutes"],
                resolution_minutes=data["resolution_minutes"],
                around_the_clock=data["around_the_clock"],
                time_zone=data["time_zone"],
                workday_start=data["workday_start"].strftime("%H:%M"),
                workday_end=data["workday_end"].strftime("%H:%M"),
                holidays=holidays,
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("The SLA policy was saved; it applies to new requests."))
            return redirect(f"support:{portal}_sla")
    stored = {p.severity: p for p in policy.visible(principal, SlaPolicy)}
    rows = []
    for severity, label in Severity.choices:
        current = sla.from_model(stored[severity]) if severity in stored else sla.policy_for(None, severity)
        rows.append({"label": label, "policy": current, "custom": severity in stored})
    return render(request, "support/sla.html", {"form": form, "rows": rows}, status=_status(form))


def _check_policy(time_zone: str, holidays: list[str]) -> None:
    import datetime
    import zoneinfo

    if time_zone not in zoneinfo.available_timezones():
        raise DomainError(
            _("%(value)s is not a known time zone.") % {"value": time_zone}, code="invalid_time_zone"
        )
    for day in holidays:
        try:
            datetime.date.fromisoformat(day)
        except ValueError:
            raise DomainError(
                _("%(value)s is not a date (YYYY-MM-DD).") % {"value": day}, code="invalid_holiday"
            ) from None


# --- partner center: quarantined inbound mail ------------------------------------------------------


def _quarantined_mail(principal: Any, mail_id: str) -> InboundMail:
    return policy.get_visible(
        principal, InboundMail, public_id=mail_id, status=InboundMail.Status.QUARANTINED
    )


def _release_form(principal: Any, data: Any = None) -> forms.ReleaseForm:
    """The desk's open requests (newest first) and its customers, as the release choices."""
    from partnerdesk.tenancy.models import Organization

    open_requests = (
        queries.support_requests(principal)
        .filter(merged_into__isnull=True)
        .exclude(status__in=[SupportRequest.Status.RESOLVED, SupportRequest.Status.CLOSED])
        .select_related("customer")
        .order_by("-updated_at", "-id")[:200]
    )
    customers = policy.visible(principal, Organization).filter(
        kind=OrgKind.CUSTOMER, partner_id=principal.organization.pk
    )
    return forms.ReleaseForm(data, requests=open_requests, customers=customers.order_by("name", "id"))


@requires(P.SUPPORT_INBOUND_QUARANTINE, portal="partner")
def partner_quarantine(request: HttpRequest) -> HttpResponse:
    """Mail for the desk that could not be appended to a request, newest first."""
    principal = principal_of(request)
    mails = policy.visible(principal, InboundMail).filter(status=InboundMail.Status.QUARANTINED)
    page = paginate(mails, ordering=["-received_at", "-id"], cursor=request.GET.get("cursor"), limit=50)
    return render(request, "support/quarantine_list.html", {"page": page})


@requires(P.SUPPORT_INBOUND_QUARANTINE, portal="partner")
def partner_quarantine_detail(request: HttpRequest, mail_id: str) -> HttpResponse:
    """One quarantined mail: who sent it, why it waits, its text and files, and what to do with it."""
    principal = principal_of(request)
    mail = _quarantined_mail(principal, mail_id)
    return render(
        request,
        "support/quarantine_detail.html",
        {"mail": mail, "contents": quarantine.contents(mail), "form": _release_form(principal)},
    )


@require_POST
@requires(P.SUPPORT_INBOUND_QUARANTINE, portal="partner")
def partner_quarantine_release(request: HttpRequest, mail_id: str) -> HttpResponse:
    principal = principal_of(request)
    mail = _quarantined_mail(principal, mail_id)
    form = _release_form(principal, request.POST)
    if form.is_valid():
        try:
            released = quarantine.release(
                principal,
                mail,
                support_request=form.cleaned_data["support_request"],
                customer=form.cleaned_data["customer"],
            )
        except DomainError as error:
            form.add_error(None, error.message)
            status = _error_status(error)
        else:
            messages.success(request, _("The mail was added to %(number)s.") % {"number": released.number})
            return redirect("support:partner_request_detail", request_id=released.pk)
    else:
        status = 400
    return render(
        request,
        "support/quarantine_detail.html",
        {"mail": mail, "contents": quarantine.contents(mail), "form": form},
        status=status,
    )


@require_POST
@requires(P.SUPPORT_INBOUND_QUARANTINE, portal="partner")
def partner_quarantine_discard(request: HttpRequest, mail_id: str) -> HttpResponse:
    principal = principal_of(request)
    mail = _quarantined_mail(principal, mail_id)
    if not confirmed(request):
        return confirmation(
            request,
            Confirmation(
                title=_("Discard the mail %(subject)s?") % {"subject": mail.subject or mail.message_id},
                consequences=[
                    _("The mail from %(sender)s and its attachments are deleted; no request gets it.")
                    % {"sender": mail.sender or _("an unknown sender")},
                    _("This cannot be undone."),
                ],
                button=_("Discard mail"),
                back=reverse("support:partner_quarantine_detail", args=[mail.public_id]),
            ),
        )
    act(request, lambda: quarantine.discard(principal, mail), _("The mail was discarded."))
    return redirect("support:partner_quarantine")


# --- live: the pages' event streams and the reply box's presence pings (ADR 0017) ------------------


@require_GET
@requires(P.SUPPORT_DESK, portal="partner")
def partner_queue_stream(request: HttpRequest) -> HttpResponseBase:
    return live.response(request, principal_of(request), SUPPORT_REQUESTS)


@require_GET
@requires(P.SUPPORT_DESK, portal="partner")
def partner_request_stream(request: HttpRequest, request_id: str) -> HttpResponseBase:
    principal = principal_of(request)
    support_request = policy.get_visible(principal, queries.support_requests(principal), pk=request_id)
    return live.response(request, principal, _one(support_request), presence_on=support_request)


@require_POST
@requires(P.SUPPORT_DESK, portal="partner")
def partner_request_replying(request: HttpRequest, request_id: str) -> HttpResponse:
    """The reply box's "I am typing" ping (its script sends one at most every ten seconds)."""
    principal = principal_of(request)
    support_request = policy.get_visible(principal, queries.support_requests(principal), pk=request_id)
    presence.ping(principal, support_request)
    return HttpResponse(status=204)


@require_GET
@requires(P.SUPPORT_REQUESTS, portal="admin")
def admin_request_stream(request: HttpRequest, request_id: str) -> HttpResponseBase:
    principal = principal_of(request)
    support_request = policy.get_visible(principal, queries.support_requests(principal), pk=request_id)
    return live.response(request, principal, _one(support_request))


def service_queue_stream(request: HttpRequest, portal: str) -> HttpResponseBase:
    return live.response(request, principal_of(request), SERVICE_REQUESTS)


def service_stream(request: HttpRequest, portal: str, request_id: str) -> HttpResponseBase:
    principal = principal_of(request)
    service_request = policy.get_visible(principal, queries.service_requests(principal), pk=request_id)
    return live.response(request, principal, _one(service_request), presence_on=service_request)


def service_replying(request: HttpRequest, portal: str, request_id: str) -> HttpResponse:
    principal = principal_of(request)
    service_request = policy.get_visible(principal, queries.service_requests(principal), pk=request_id)
    presence.ping(principal, service_request)
    return HttpResponse(status=204)
