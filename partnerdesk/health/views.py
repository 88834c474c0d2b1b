"""Operator console: catalog, issues, maintenance, Message center publishing. Admin center: service
health, Message center, preferences, the feed. Partner center: customers' health and who is affected.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from django.contrib import messages
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from partnerdesk import etags, inputs
from partnerdesk.access import policy
from partnerdesk.access.permissions import OrgKind, Permission
from partnerdesk.access.principal import principal_of
from partnerdesk.access.web import public, requires
from partnerdesk.catalog import services as catalog_services
from partnerdesk.catalog.models import Region, Service
from partnerdesk.errors import DomainError
from partnerdesk.health import forms, issues, message_center, planned_maintenance, preferences, queries
from partnerdesk.health.inputs import IssuePatch, MessagePatch, PreferencesIO, ServiceIn
from partnerdesk.health.models import CLOSED_STATUSES, FeedToken, HealthIssue, MessagePost, PlannedMaintenance
from partnerdesk.pagination import Page, paginate

P = Permission


def _status(form: Any) -> int:
    return 400 if form.errors else 200


def _issues(request: HttpRequest) -> Any:
    return policy.visible(principal_of(request), HealthIssue)


def _messages(request: HttpRequest) -> Any:
    principal = principal_of(request)
    return queries.with_view_state(policy.visible(principal, MessagePost), principal.user.pk)


def _timeline(issue: HealthIssue, request: HttpRequest) -> list[dict[str, Any]]:
    """Posts and visible revisions of an issue, newest first (the latest update is what people
    come for), or oldest first with `?order=oldest`."""
    entries = [{"kind": "post", "at": p.created_at, "post": p} for p in issue.posts.all()]
    entries += [{"kind": "revision", "at": r.created_at, "revision": r} for r in issue.revisions.all()]
    oldest_first = request.GET.get("order") == "oldest"
    return sorted(entries, key=lambda entry: entry["at"], reverse=not oldest_first)


# --- Operator console -----------------------------------------------------------------------------


@requires(P.HEALTH_VIEW, portal="operator")
def operator_health(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    issues = queries.filter_issues(_issues(request), status).prefetch_related("services")
    page = paginate(issues, ordering=["-start_at", "id"], cursor=request.GET.get("cursor"), limit=50)
    return render(
        request,
        "health/operator_health.html",
        {
            "services": policy.visible(principal_of(request), Service).order_by("name"),
            "page": page,
            "status": status if status in ISSUE_FILTERS else "",
            "query_string": urlencode({"status": status}) if status in ISSUE_FILTERS else "",
            "maintenance": queries.upcoming_maintenance(principal_of(request)).prefetch_related("services")[
                :20
            ],
        },
    )


ISSUE_FILTERS = ("active", "draft")


@requires(P.HEALTH_VIEW, portal="operator")
def operator_services(request: HttpRequest) -> HttpResponse:
    form = forms.ServiceForm(request.POST or None)
    if request.method == "POST":
        principal_of(request).require(P.HEALTH_MANAGE)
        service = inputs.from_form(form, ServiceIn)
        if service is not None:
            try:
                catalog_services.create_service(
                    principal_of(request), key=service.key, name=service.name, description=service.description
                )
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, _("The service was added."))
                return redirect("health:operator_services")
    rows = policy.visible(principal_of(request), Service).prefetch_related("features").order_by("name")
    return render(
        request,
        "health/operator_services.html",
        {
            "services": rows,
            "form": form,
            "regions": policy.visible(principal_of(request), Region).order_by("name"),
            "region_form": forms.RegionForm(),
        },
        status=_status(form),
    )


@require_POST
@requires(P.HEALTH_MANAGE, portal="operator")
def operator_region_add(request: HttpRequest) -> HttpResponse:
    form = forms.RegionForm(request.POST)
    if form.is_valid():
        try:
            catalog_services.add_region(principal_of(request), **form.cleaned_data)
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("The region was added."))
    else:
        messages.error(request, _("Give the region a key and a name."))
    return redirect("health:operator_services")


@require_POST
@requires(P.HEALTH_MANAGE, portal="operator")
def operator_feature_add(request: HttpRequest, service_id: str) -> HttpResponse:
    service = policy.get_visible(principal_of(request), Service, pk=service_id)
    form = forms.FeatureForm(request.POST)
    if form.is_valid():
        try:
            catalog_services.add_feature(principal_of(request), service, **form.cleaned_data)
        except DomainError as error:
            messages.error(request, error.message)
    else:
        messages.error(request, _("Name the feature."))
    return redirect("health:operator_services")


@requires(P.HEALTH_MANAGE, portal="operator")
def issue_create(request: HttpRequest) -> HttpResponse:
    form = forms.IssueForm(request.POST or None, principal=principal_of(request))
    typed = inputs.from_form(form) if request.method == "POST" else None
    if typed is not None:
        try:
            issue = issues.create_issue(
                principal_of(request),
                title=typed.title,
                impact_description=typed.impact_description,
                classification=typed.classification,
                status=typed.status,
                service_ids=typed.services,
                feature_ids=typed.features,
                region_ids=typed.regions,
                first_post=typed.first_post,
                publish=typed.publish,
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("The issue was saved."))
            return redirect("health:operator_issue", issue_id=issue.pk)
    return render(request, "health/issue_form.html", {"form": form}, status=_status(form))


@requires(P.HEALTH_VIEW, portal="operator")
def operator_issue(request: HttpRequest, issue_id: str) -> HttpResponse:
    issue = policy.get_visible(principal_of(request), _issues(request), pk=issue_id)
    return render(
        request,
        "health/operator_issue.html",
        {
            "issue": issue,
            "timeline": _timeline(issue, request),
            "post_form": forms.IssuePostForm(initial={"status": issue.status, "notifies": True}),
            "revise_form": forms.IssueReviseForm(
                initial={"title": issue.title, "impact_description": issue.impact_description}
            ),
            "report_form": forms.ReportForm(initial={"report": issue.incident_report}),
        },
    )


@require_POST
@requires(P.HEALTH_MANAGE, portal="operator")
def operator_issue_action(request: HttpRequest, issue_id: str, action: str) -> HttpResponse:
    principal = principal_of(request)
    issue = policy.get_visible(principal, _issues(request), pk=issue_id)
    try:
        if action == "publish":
            issues.publish_issue(principal, issue)
            messages.success(request, _("The issue is published."))
        elif action == "post":
            post = inputs.from_form(forms.IssuePostForm(request.POST))
            if post is None:
                raise DomainError(_("Write the update and choose a status."), code="invalid_post")
            issues.add_issue_post(
                principal,
                issue,
                body=post.body,
                status=post.status,
                notifies=post.notifies,
                correction=post.correction,
            )
            messages.success(request, _("The update was posted."))
        elif action == "revise":
            revision = inputs.from_form(forms.IssueReviseForm(request.POST), IssuePatch)
            if revision is None:
                raise DomainError(_("Say what changed and why."), code="invalid_revision")
            changes = revision.model_dump(exclude_unset=True, exclude={"note"})
            with etags.guarded(etags.posted(request), issue):
                issues.revise_issue(principal, issue, changes, note=revision.note)
            messages.success(request, _("The issue was revised; the change is visible in its timeline."))
        elif action == "report":
            report = inputs.from_form(forms.ReportForm(request.POST))
            if report is None:
                raise DomainError(_("Write the report."), code="invalid_report")
            issues.publish_incident_report(principal, issue, report=report.report)
            messages.success(request, _("The post-incident report is published."))
        else:
            raise DomainError(_("Unknown action."), code="invalid_action")
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("health:operator_issue", issue_id=issue.pk)


@requires(P.HEALTH_MANAGE, portal="operator")
def maintenance_create(request: HttpRequest) -> HttpResponse:
    form = forms.MaintenanceForm(request.POST or None, principal=principal_of(request))
    typed = inputs.from_form(form) if request.method == "POST" else None
    if typed is not None:
        try:
            maintenance = planned_maintenance.create_maintenance(
                principal_of(request),
                title=typed.title,
                description=typed.description,
                service_ids=typed.services,
                starts_at=typed.starts_at,
                ends_at=typed.ends_at,
                reminder_hours=typed.reminder_hours,
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("The maintenance was scheduled."))
            return redirect("health:maintenance_detail", maintenance_id=maintenance.pk)
    return render(request, "health/maintenance_form.html", {"form": form}, status=_status(form))


@requires(P.HEALTH_VIEW, portal="operator")
def maintenance_detail(request: HttpRequest, maintenance_id: str) -> HttpResponse:
    principal = principal_of(request)
    maintenance = policy.get_visible(principal, PlannedMaintenance, pk=maintenance_id)
    form = forms.RescheduleForm(
        request.POST or None, initial={"starts_at": maintenance.starts_at, "ends_at": maintenance.ends_at}
    )
    if request.method == "POST":
        principal.require(P.HEALTH_MANAGE)
        try:
            if request.POST.get("action") == "cancel":
                planned_maintenance.cancel_maintenance(principal, maintenance)
                messages.success(request, _("The maintenance was cancelled; subscribers are told."))
                return redirect("health:maintenance_detail", maintenance_id=maintenance.pk)
            window = inputs.from_form(form)
            if window is not None:
                planned_maintenance.reschedule_maintenance(
                    principal, maintenance, starts_at=window.starts_at, ends_at=window.ends_at
                )
                messages.success(request, _("The maintenance was moved; subscribers are told."))
                return redirect("health:maintenance_detail", maintenance_id=maintenance.pk)
        except DomainError as error:
            form.add_error(None, error.message)
    return render(
        request,
        "health/maintenance_detail.html",
        {"maintenance": maintenance, "form": form},
        status=_status(form) if request.method == "POST" else 200,
    )


@requires(P.HEALTH_VIEW, portal="operator")
def operator_messages(request: HttpRequest) -> HttpResponse:
    rows = policy.visible(principal_of(request), MessagePost)
    status = request.GET.get("status", "")
    if status in MessagePost.Status.values:
        rows = rows.filter(status=status)
    page = paginate(rows, ordering=["-last_modified_at", "id"], cursor=request.GET.get("cursor"), limit=50)
    return render(
        request,
        "health/operator_messages.html",
        {"page": page, "status": status, "query_string": urlencode({"status": status})},
    )


@requires(P.HEALTH_MANAGE, portal="operator")
def message_create(request: HttpRequest) -> HttpResponse:
    form = forms.MessageForm(
        request.POST or None,
        initial={"audience": "all", "severity": "normal"},
        principal=principal_of(request),
    )
    reach = None
    action = request.POST.get("action", "draft")
    typed = inputs.from_form(form, publish=action == "publish") if request.method == "POST" else None
    if typed is not None:
        try:
            spec = dataclasses.replace(
                typed.audience.spec(), named_service_ids=tuple(str(s) for s in typed.services)
            )
            if action == "preview":
                reach = message_center.audience_reach(spec)
            else:
                post = message_center.create_message(
                    principal_of(request),
                    title=typed.title,
                    body=typed.body,
                    category=typed.category,
                    severity=typed.severity,
                    is_major_change=typed.is_major_change,
                    act_by=typed.act_by,
                    service_ids=typed.services,
                    tags=typed.tags,
                    expires_at=typed.expires_at,
                    audience=spec,
                    publish=typed.publish,
                    publish_at=typed.publish_at,
                )
                messages.success(request, _("The post was saved."))
                return redirect("health:operator_message", message_id=post.pk)
        except DomainError as error:
            form.add_error(None, error.message)
    return render(request, "health/message_form.html", {"form": form, "reach": reach}, status=_status(form))


@requires(P.HEALTH_VIEW, portal="operator")
def operator_message(request: HttpRequest, message_id: str) -> HttpResponse:
    principal = principal_of(request)
    post = policy.get_visible(principal, MessagePost, pk=message_id)
    form = forms.MessageReviseForm(
        request.POST or None, initial={"title": post.title, "body": post.body, "act_by": post.act_by}
    )
    refused: int | None = None
    if request.method == "POST":
        principal.require(P.HEALTH_MANAGE)
        try:
            if request.POST.get("action") == "publish":
                message_center.publish_message(principal, post)
                messages.success(request, _("The post is published."))
                return redirect("health:operator_message", message_id=post.pk)
            revision = inputs.from_form(form, MessagePatch)
            if revision is not None:
                changes = revision.model_dump(exclude_unset=True, exclude={"note", "notifies"})
                with etags.guarded(etags.posted(request), post):
                    message_center.revise_message(
                        principal, post, changes, note=revision.note, notifies=revision.notifies
                    )
                messages.success(request, _("The post was revised."))
                return redirect("health:operator_message", message_id=post.pk)
        except DomainError as error:
            form.add_error(None, error.message)
            refused = etags.page_status(error, _status(form))
    return render(
        request,
        "health/operator_message.html",
        {
            "message": post,
            "form": form,
            "reach": message_center.audience_reach(post),
            "revisions": post.revisions.all(),
        },
        status=refused or (_status(form) if request.method == "POST" else 200),
    )


# --- Admin center ---------------------------------------------------------------------------------


def report_issue_url(service: Service) -> str:
    """The support engineer's "new support request" page, pre-linked to the service."""
    try:
        base = reverse("support:admin_request_create")
    except NoReverseMatch:
        base = "/admin/support/new/"
    return f"{base}?{urlencode({'service': str(service.pk)})}"


@requires(P.HEALTH_VIEW, portal="admin")
def admin_service(request: HttpRequest, service_id: str) -> HttpResponse:
    """One service's status history: its stored changes and the 30 daily bars read from them."""
    service = policy.get_visible(principal_of(request), Service, pk=service_id)
    history = queries.status_history(service)
    return render(
        request,
        "health/admin_service.html",
        {"service": service, "changes": history.changes, "days": [status for _day, status in history.days]},
    )


# The service health page lists the issues resolved in the last 30 days up to this many, newest first.
RECENT_SHOWN = 50


@requires(P.HEALTH_VIEW, portal="admin")
def admin_health(request: HttpRequest) -> HttpResponse:
    principal = principal_of(request)
    preference = preferences.preferences_for(principal.user)
    rows = list(policy.visible(principal, Service).order_by("name"))
    if preference.pk is not None:
        chosen = set(preference.services.values_list("pk", flat=True))
        if chosen:
            rows = [s for s in rows if s.pk in chosen]
    # Issues of the services shown only, as the home page's card counts them.
    shown = queries.shown_issues(_issues(request), principal.user.pk)
    issues = queries.issue_history(shown, 30)
    history = queries.daily_history(issues, [s.pk for s in rows], days=30)
    active_ids = [i["id"] for i in issues if i["status"] not in CLOSED_STATUSES]
    active = list(shown.filter(pk__in=active_ids).prefetch_related("services").order_by("-start_at", "id"))
    recent = [i for i in issues if i["status"] in CLOSED_STATUSES]
    service_rows = [
        {
            "service": s,
            "history": history[s.pk],
            "history_7": history[s.pk][-7:],
            "issues": [i for i in active if s in i.services.all()],
            "report_url": report_issue_url(s),
        }
        for s in rows
    ]
    maintenance = (
        policy.visible(principal, PlannedMaintenance)
        .filter(status__in=[PlannedMaintenance.Status.SCHEDULED, PlannedMaintenance.Status.IN_PROGRESS])
        .prefetch_related("services")
        .order_by("starts_at", "id")[:20]
    )
    return render(
        request,
        "health/admin_health.html",
        {
            "service_rows": service_rows,
            "active": active,
            "recent": recent[:RECENT_SHOWN],
            "recent_more": max(0, len(recent) - RECENT_SHOWN),
            "maintenance": maintenance,
        },
    )


@requires(P.HEALTH_VIEW, portal="admin")
def admin_issue(request: HttpRequest, issue_id: str) -> HttpResponse:
    issue = policy.get_visible(principal_of(request), _issues(request), pk=issue_id)
    return render(
        request,
        "health/admin_issue.html",
        {
            "issue": issue,
            "timeline": _timeline(issue, request),
            "report_urls": [(s, report_issue_url(s)) for s in issue.services.all()],
        },
    )


FILTER_FLAGS = ("unread", "act_by_soon", "major_change")


def _message_display(row: dict[str, Any]) -> dict[str, Any]:
    """What the Message center page shows of a `queries.message_page` row, under the names its template
    reads."""
    return {
        **row,
        "pk": row["id"],
        "display_id": f"MC{row['number']}",
        "tag_list": [tag for tag in row["tags"].split(",") if tag],
        "get_category_display": MessagePost.Category(row["category"]).label,
        "service_list": queries.service_refs(row),
    }


@requires(P.MESSAGES_VIEW, portal="admin")
def admin_messages(request: HttpRequest) -> HttpResponse:
    principal = principal_of(request)
    params: dict[str, Any] = {
        "service": request.GET.get("service", ""),
        "category": request.GET.get("category", ""),
        "tag": request.GET.get("tag", ""),
        "view": request.GET.get("view", "inbox"),
        "search": request.GET.get("q", ""),
        **{flag: request.GET.get(flag) == "1" for flag in FILTER_FLAGS},
    }
    # "Services shown" in the admin's preferences leaves posts about other services out, unless a
    # service is asked for.
    page = queries.message_page(
        principal, params, cursor=request.GET.get("cursor"), limit=50, shown_only=not params["service"]
    )
    page = Page(items=[_message_display(row) for row in page.items], next_cursor=page.next_cursor)
    query_string = urlencode(
        {
            k: ("1" if v is True else v)
            for k, v in {**params, "q": params["search"]}.items()
            if v and k != "search"
        }
    )
    return render(
        request,
        "health/admin_messages.html",
        {
            "page": page,
            "filters": params,
            "services": policy.visible(principal, Service).order_by("name"),
            "categories": MessagePost.Category.choices,
            "tags": [
                t
                for t in MessagePost.Tag.choices
                if t[0] != "data_privacy" or principal.has(P.MESSAGES_PRIVACY)
            ],
            "query_string": query_string,
            "unread": queries.unread_count(principal, shown_only=True),
        },
    )


@requires(P.MESSAGES_VIEW, portal="admin")
def admin_message(request: HttpRequest, message_id: str) -> HttpResponse:
    post = policy.get_visible(
        principal_of(request), _messages(request).prefetch_related("services"), pk=message_id
    )
    return render(
        request,
        "health/admin_message.html",
        {"message": post, "revisions": post.revisions.all(), "attachments": post.attachments.all()},
    )


@requires(P.MESSAGES_VIEW, portal="admin")
def admin_message_attachment(request: HttpRequest, message_id: str, attachment_id: str) -> FileResponse:
    principal = principal_of(request)
    post = policy.get_visible(principal, _messages(request), pk=message_id)
    return queries.attachment_response(principal, post, str(attachment_id))


@require_POST
@requires(P.MESSAGES_VIEW, portal="admin")
def admin_message_state(request: HttpRequest) -> HttpResponse:
    action = request.POST.get("action", "")
    ids = request.POST.getlist("message")
    try:
        message_center.set_view_state(principal_of(request), ids, action)
    except DomainError as error:
        if error.status == 404:
            raise
        messages.error(request, error.message)
    following = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(following, allowed_hosts={request.get_host()}):
        following = reverse("health:admin_messages")
    return redirect(following)


@requires(P.MESSAGES_VIEW, portal="admin")
def admin_preferences(request: HttpRequest) -> HttpResponse:
    principal = principal_of(request)
    preference = preferences.preferences_for(principal.user)
    saved = preference.pk is not None
    initial = {
        "services": list(preference.services.all()) if saved else [],
        "weekly_digest": preference.weekly_digest,
        "email_major_changes": preference.email_major_changes,
        "email_data_privacy": preference.email_data_privacy,
        "email_health_issues": preference.email_health_issues,
        "health_services": list(preference.health_services.all()) if saved else [],
        "extra_email_1": [*preference.extra_emails, "", ""][0],
        "extra_email_2": [*preference.extra_emails, "", ""][1],
    }
    form = forms.PreferencesForm(
        request.POST or None,
        initial=initial,
        services=policy.visible(principal, Service).order_by("name"),
        privacy=principal.has(P.MESSAGES_PRIVACY),
    )
    chosen = inputs.from_form(form, PreferencesIO) if request.method == "POST" else None
    if chosen is not None:
        try:
            preferences.update_preferences(
                principal,
                service_ids=chosen.services,
                weekly_digest=chosen.weekly_digest,
                email_major_changes=chosen.email_major_changes,
                email_data_privacy=chosen.email_data_privacy,
                email_health_issues=chosen.email_health_issues,
                health_service_ids=chosen.health_services,
                extra_emails=chosen.extra_emails,
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Your preferences were saved."))
            return redirect("health:admin_preferences")
    return render(request, "health/admin_preferences.html", {"form": form}, status=_status(form))


@requires(P.HEALTH_FEED_MANAGE, portal="admin")
def admin_feed(request: HttpRequest) -> HttpResponse:
    principal = principal_of(request)
    new_url = None
    if request.method == "POST":
        try:
            if request.POST.get("action") == "revoke":
                token = policy.get_visible(principal, FeedToken, pk=request.POST.get("token", ""))
                preferences.revoke_feed_token(principal, token)
                messages.success(request, _("The feed link no longer works."))
            else:
                new = preferences.create_feed_token(principal)
                new_url = request.build_absolute_uri(reverse("health:feed", args=[new.raw]))
        except DomainError as error:
            messages.error(request, error.message)
    tokens = policy.visible(principal, FeedToken).order_by("-created_at")[:20]
    return render(request, "health/admin_feed.html", {"tokens": tokens, "new_url": new_url})


@public
def feed(request: HttpRequest, token: str) -> HttpResponse:
    """The tenant's Atom feed of Message center posts and health issues; the token is the credential."""
    organization = preferences.organization_for_feed(token)
    if organization is None:
        return HttpResponse(
            _("This feed link is unknown or was revoked."), status=404, content_type="text/plain"
        )
    posts = list(
        queries.messages_for_tenant(organization, include_privacy=False).order_by("-last_modified_at", "id")[
            :50
        ]
    )
    issues = list(queries.issues_for_tenant(organization).order_by("-last_modified_at", "id")[:50])
    entries: list[dict[str, Any]] = [
        {"id": f"urn:uuid:{p.pk}", "title": f"{p.display_id} {p.title}", "updated": p.last_modified_at,
         "link": request.build_absolute_uri(reverse("health:admin_message", args=[p.pk])),
         "summary": p.body, "category": p.get_category_display()}
        for p in posts
    ] + [
        {"id": f"urn:uuid:{i.pk}", "title": f"{i.display_id} {i.title} ({i.get_status_display()})",
         "updated": i.last_modified_at,
         "link": request.build_absolute_uri(reverse("health:admin_issue", args=[i.pk])),
         "summary": i.impact_description, "category": i.get_classification_display()}
        for i in issues
    ]  # fmt: skip
    entries.sort(key=lambda entry: entry["updated"], reverse=True)
    updated = entries[0]["updated"] if entries else timezone.now()
    return render(
        request,
        "health/feed.xml",
        {
            "organization": organization,
            "entries": entries,
            "updated": updated,
            "self_url": request.build_absolute_uri(),
        },
        content_type="application/atom+xml; charset=utf-8",
    )


# --- Partner center -------------------------------------------------------------------------------


@requires(P.HEALTH_VIEW, portal="partner")
def partner_health(request: HttpRequest) -> HttpResponse:
    principal = principal_of(request)
    issues = list(
        _issues(request)
        .exclude(status__in=CLOSED_STATUSES)
        .prefetch_related("services")
        .order_by("-start_at", "id")[:50]
    )
    posts = (
        list(policy.visible(principal, MessagePost).order_by("-last_modified_at", "id")[:20])
        if principal.has(P.MESSAGES_VIEW)
        else []
    )
    affected = request.GET.get("affected") == "1"
    customers = (
        queries.customers_affected_by_active_issues(principal)
        if affected
        else policy.visible(principal, _customer_model()).filter(kind=OrgKind.CUSTOMER)
    )
    page = paginate(customers, ordering=["name", "id"], cursor=request.GET.get("cursor"), limit=50)
    return render(
        request,
        "health/partner_health.html",
        {
            "issues": issues,
            "posts": posts,
            "page": page,
            "affected": affected,
            "query_string": "affected=1" if affected else "",
        },
    )


def _customer_model() -> Any:
    from partnerdesk.tenancy.models import Organization

    return Organization


@requires(P.HEALTH_VIEW, portal="partner")
def partner_issue(request: HttpRequest, issue_id: str) -> HttpResponse:
    principal = principal_of(request)
    issue = policy.get_visible(principal, _issues(request), pk=issue_id)
    affected = queries.affected_customers_of_issue(issue, principal.organization.pk).order_by("name", "id")
    return render(
        request,
        "health/partner_issue.html",
        {"issue": issue, "timeline": _timeline(issue, request), "affected": affected[:500]},
    )


@requires(P.MESSAGES_VIEW, portal="partner")
def partner_message(request: HttpRequest, message_id: str) -> HttpResponse:
    principal = principal_of(request)
    post = policy.get_visible(principal, MessagePost, pk=message_id)
    affected = queries.affected_customers_of_message(post, principal.organization.pk).order_by("name", "id")
    return render(request, "health/partner_message.html", {"message": post, "affected": affected[:500]})


@requires(P.HEALTH_VIEW, portal="partner")
def partner_customer_health(request: HttpRequest, customer_id: str) -> HttpResponse:
    principal = principal_of(request)
    customer = policy.get_visible(
        principal, policy.visible(principal, _customer_model()).filter(kind=OrgKind.CUSTOMER), pk=customer_id
    )
    rows = list(queries.entitled_services_of(customer))
    issues = queries.issue_history(queries.issues_for_tenant(customer), 30)
    history = queries.daily_history(issues, [s.pk for s in rows], days=30)
    return render(
        request,
        "health/partner_customer_health.html",
        {
            "customer": customer,
            "service_rows": [{"service": s, "history": history[s.pk]} for s in rows],
            "active": [i for i in issues if i["status"] not in CLOSED_STATUSES],
        },
    )
