"""API: service health (services, issues and their posts, maintenance) and Message center."""

import uuid
from collections import defaultdict
from datetime import date, datetime
from typing import Any, Literal

from django.http import FileResponse, HttpRequest, HttpResponse
from ninja import File, Query, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import Field

from partnerdesk import etags
from partnerdesk.access import policy, rules
from partnerdesk.access.permissions import Permission
from partnerdesk.access.principal import Principal
from partnerdesk.api import ERRORS, ErrorOut, Out, PageOut, principal_of, requires
from partnerdesk.catalog import services as catalog_services
from partnerdesk.catalog.models import Feature, Service
from partnerdesk.health import changes as counters
from partnerdesk.health import issues, message_center, planned_maintenance, preferences, queries
from partnerdesk.health.inputs import (
    AudienceIn,
    IssueIn,
    IssuePatch,
    IssuePostIn,
    MaintenanceIn,
    MessageIn,
    MessagePatch,
    PreferencesIO,
    ReportIn,
    RescheduleIn,
    ServiceIn,
)
from partnerdesk.health.message_center import AudienceSpec
from partnerdesk.health.models import (
    CLOSED_STATUSES,
    AdminPreference,
    HealthIssue,
    HealthIssuePost,
    MessageAttachment,
    MessagePost,
    PlannedMaintenance,
)
from partnerdesk.pagination import paginate

router = Router(tags=["service health and Message center"])

P = Permission


# --- Schemas --------------------------------------------------------------------------------------


class ServiceRef(Out):
    id: uuid.UUID
    key: str
    name: str


class FeatureOut(Out):
    id: uuid.UUID
    group: str
    name: str


class ServiceOut(Out):
    id: uuid.UUID
    key: str
    name: str
    description: str
    status: str = Field(description="Derived from the open published issues, worst wins.")
    features: list[FeatureOut]


class IssuePostOut(Out):
    id: uuid.UUID
    kind: Literal["update", "correction", "report"]
    status: str
    body: str
    notifies: bool
    created_at: datetime


class IssueRevisionOut(Out):
    before: dict[str, Any]
    after: dict[str, Any]
    note: str
    created_at: datetime


class IssueOut(Out):
    id: uuid.UUID
    display_id: str
    classification: Literal["incident", "advisory"]
    status: str
    is_resolved: bool
    is_published: bool
    title: str
    impact_description: str
    services: list[ServiceRef]
    start_at: datetime
    end_at: datetime | None
    published_at: datetime | None
    last_modified_at: datetime
    has_incident_report: bool


class IssueDetailOut(IssueOut):
    posts: list[IssuePostOut]
    revisions: list[IssueRevisionOut]
    incident_report: str


class CustomerRef(Out):
    id: uuid.UUID
    name: str


class MaintenanceOut(Out):
    id: uuid.UUID
    display_id: str
    title: str
    description: str
    services: list[ServiceRef]
    starts_at: datetime
    ends_at: datetime
    status: Literal["scheduled", "in_progress", "completed", "cancelled"]
    reminder_hours: list[int]


class ViewStateOut(Out):
    is_read: bool
    is_archived: bool
    is_favorited: bool


class MessageOut(Out):
    id: uuid.UUID
    display_id: str
    title: str
    body: str
    body_html: str
    category: str
    severity: str
    is_major_change: bool
    act_by: date | None
    services: list[ServiceRef]
    tags: list[str]
    status: Literal["draft", "scheduled", "published"]
    published_at: datetime | None
    last_modified_at: datetime
    expires_at: datetime | None
    revision: int
    view_state: ViewStateOut | None = Field(description="The caller's own state; null for the operator.")


class AttachmentOut(Out):
    id: uuid.UUID
    name: str
    size: int
    content_type: str


class MessageDetailOut(MessageOut):
    attachments: list[AttachmentOut]


class MessageOperatorOut(MessageOut):
    audience: dict[str, Any]


class ReachIn(Schema):
    audience: AudienceIn
    services: list[uuid.UUID] = Field(default=[], description="The services the post is about.")


class ReachOut(Out):
    tenants: int
    admins: int


class StateIn(Schema):
    message_ids: list[str] = Field(min_length=1, max_length=200, description="Ids or MC numbers")
    action: Literal["mark_read", "mark_unread", "archive", "unarchive", "favorite", "unfavorite"]


class StateOut(Out):
    updated: int


class UnreadOut(Out):
    unread: int = Field(
        description="Live posts in the caller's inbox not yet read, counted up to 99 (a badge shows 99+)."
    )
    more: bool = Field(description="True when there are more than 99 such posts: `unread` is then 99.")


# --- Serialisers ----------------------------------------------------------------------------------


def _service_refs(rows: Any) -> list[dict[str, Any]]:
    return [{"id": s.pk, "key": s.key, "name": s.name} for s in rows]


def _issue_out(issue: HealthIssue) -> dict[str, Any]:
    return {
        "id": issue.pk,
        "display_id": issue.display_id,
        "classification": issue.classification,
        "status": issue.status,
        "is_resolved": issue.is_resolved,
        "is_published": issue.is_published,
        "title": issue.title,
        "impact_description": issue.impact_description,
        "services": _service_refs(issue.services.all()),
        "start_at": issue.start_at,
        "end_at": issue.end_at,
        "published_at": issue.published_at,
        "last_modified_at": issue.last_modified_at,
        "has_incident_report": bool(issue.incident_report),
    }


def _post_out(post: HealthIssuePost) -> dict[str, Any]:
    return {
        "id": post.pk,
        "kind": post.kind,
        "status": post.status,
        "body": post.body,
        "notifies": post.notifies,
        "created_at": post.created_at,
    }


def _issue_detail(issue: HealthIssue) -> dict[str, Any]:
    return {
        **_issue_out(issue),
        "posts": [_post_out(p) for p in issue.posts.all()],
        "revisions": [
            {"before": r.before, "after": r.after, "note": r.note, "created_at": r.created_at}
            for r in issue.revisions.all()
        ],
        "incident_report": issue.incident_report,
    }


def _maintenance_out(maintenance: PlannedMaintenance) -> dict[str, Any]:
    return {
        "id": maintenance.pk,
        "display_id": maintenance.display_id,
        "title": maintenance.title,
        "description": maintenance.description,
        "services": _service_refs(maintenance.services.all()),
        "starts_at": maintenance.starts_at,
        "ends_at": maintenance.ends_at,
        "status": maintenance.status,
        "reminder_hours": maintenance.reminder_hours,
    }


def _service_refs_of_posts(post_ids: list[Any]) -> dict[Any, list[dict[str, Any]]]:
    """The services each post of a page names, in one narrow query.

    Cheaper than prefetch_related, which builds a manager and a queryset per post (a third of a
    Message center page's time, bench/RESULTS.md).
    """
    refs: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    rows = (
        MessagePost.services.through.objects.filter(  # unscoped: the links of posts already visible
            messagepost_id__in=post_ids
        )
        .order_by("service__name", "service_id")
        .values_list("messagepost_id", "service_id", "service__key", "service__name")
    )
    for post_id, pk, key, name in rows:
        refs[post_id].append({"id": pk, "key": key, "name": name})
    return refs


def _message_out(
    post: MessagePost, principal: Principal, services: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    state = None
    if not rules.on_operator_side(principal):
        state = {
            "is_read": bool(getattr(post, "state_read", False)),
            "is_archived": bool(getattr(post, "state_archived", False)),
            "is_favorited": bool(getattr(post, "state_favorited", False)),
        }
    data: dict[str, Any] = {
        "id": post.pk,
        "display_id": post.display_id,
        "title": post.title,
        "body": post.body,
        "body_html": post.body_html,
        "category": post.category,
        "severity": post.severity,
        "is_major_change": post.is_major_change,
        "act_by": post.act_by,
        "services": _service_refs(post.services.all()) if services is None else services,
        "tags": post.tag_list,
        "status": post.status,
        "published_at": post.published_at,
        "last_modified_at": post.last_modified_at,
        "expires_at": post.expires_at,
        "revision": post.revision,
        "view_state": state,
    }
    if rules.on_operator_side(principal):
        data["audience"] = {
            "type": post.audience,
            "services": [str(s.pk) for s in post.audience_services.all()],
            "partner_id": str(post.audience_partner_id) if post.audience_partner_id else None,
            "customer_ids": [str(c.pk) for c in post.audience_customers.all()],
        }
    return data


MESSAGE_ROW = queries.MESSAGE_ROW


def _message_row_out(row: dict[str, Any], services: list[dict[str, Any]]) -> dict[str, Any]:
    """`_message_out` of a `MESSAGE_ROW` row, for a reader outside the operator (who sees audiences)."""
    return {
        "id": row["id"],
        "display_id": f"MC{row['number']}",
        "title": row["title"],
        "body": row["body"],
        "body_html": row["body_html"],
        "category": row["category"],
        "severity": row["severity"],
        "is_major_change": row["is_major_change"],
        "act_by": row["act_by"],
        "services": services,
        "tags": [tag for tag in row["tags"].split(",") if tag],
        "status": row["status"],
        "published_at": row["published_at"],
        "last_modified_at": row["last_modified_at"],
        "expires_at": row["expires_at"],
        "revision": row["revision"],
        "view_state": {
            "is_read": bool(row["state_read"]),
            "is_archived": bool(row["state_archived"]),
            "is_favorited": bool(row["state_favorited"]),
        },
    }


def _messages(principal: Principal, *, prefetch: bool = True) -> Any:
    rows = queries.with_view_state(policy.visible(principal, MessagePost), principal.user.pk)
    return rows.prefetch_related("services") if prefetch else rows


def _get_message(principal: Principal, message_id: str) -> MessagePost:
    lookup: dict[str, Any] = {"pk": message_id}
    if message_id.upper().startswith("MC") and message_id[2:].isdigit():
        lookup = {"number": int(message_id[2:])}
    return policy.get_visible(principal, _messages(principal), **lookup)


REVALIDATION = (
    "Answers an `ETag`; send it back in `If-None-Match` and the answer is `304 Not Modified` "
    "without a body as long as nothing you would see changed."
)

# --- Services -------------------------------------------------------------------------------------


@router.get(
    "/health/services",
    response={200: PageOut[ServiceOut], 304: None, **ERRORS},
    summary="List services and their status",
    description=REVALIDATION,
)
@requires(P.HEALTH_VIEW)
def list_services(
    request: HttpRequest, response: HttpResponse, cursor: str | None = None, limit: int | None = None
) -> Any:
    principal = principal_of(request)
    rows = policy.visible(principal, Service).only("id", "key", "name", "description", "status")
    page = paginate(counters.with_feature_count(rows), ordering=["name", "id"], cursor=cursor, limit=limit)
    tag = counters.service_list_tag(request, page.items)
    if unchanged := etags.not_modified(request, tag):
        return unchanged
    etags.revalidated(response, tag)
    # Features in one narrow query rather than prefetch_related's queryset per service.
    features: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    for pk, service_id, group, name in (
        Feature.objects.filter(service_id__in=[s.pk for s in page.items])  # unscoped: of visible services
        .order_by("group", "name", "id")
        .values_list("id", "service_id", "group", "name")
    ):
        features[service_id].append({"id": pk, "group": group, "name": name})
    return page.answer(
        lambda s: {
            "id": s.pk,
            "key": s.key,
            "name": s.name,
            "description": s.description,
            "status": s.status,
            "features": features[s.pk],
        }
    )


class StatusChangeOut(Out):
    status: str
    at: datetime
    issue: str | None = Field(description="The issue (HI number) whose change caused this status.")


class DayOut(Out):
    date: date
    status: str = Field(description="The worst status the service was in that day.")


class ServiceHistoryOut(Out):
    key: str
    name: str
    status: str
    days: list[DayOut] = Field(description="The last 30 days, oldest first, from the stored history.")
    changes: list[StatusChangeOut] = Field(description="The status changes of those days, newest first.")


@router.get(
    "/health/services/{service_key}/history",
    response={200: ServiceHistoryOut, **ERRORS},
    summary="A service's status changes and daily status of the last 30 days",
)
@requires(P.HEALTH_VIEW)
def service_history(request: HttpRequest, service_key: str) -> Any:
    service = policy.get_visible(principal_of(request), Service, key=service_key)
    history = queries.status_history(service)
    return {
        "key": service.key,
        "name": service.name,
        "status": service.status,
        "days": [{"date": day, "status": status} for day, status in history.days],
        "changes": [
            {"status": c.status, "at": c.at, "issue": c.issue.display_id if c.issue else None}
            for c in history.changes
        ],
    }


@router.post("/health/services", response={201: ServiceOut, **ERRORS}, summary="Add a service to the catalog")
@requires(P.HEALTH_MANAGE)
def create_service(request: HttpRequest, payload: ServiceIn) -> Any:
    service = catalog_services.create_service(
        principal_of(request), key=payload.key, name=payload.name, description=payload.description
    )
    return Status(
        201,
        {
            "id": service.pk,
            "key": service.key,
            "name": service.name,
            "description": service.description,
            "status": service.status,
            "features": [],
        },
    )


# --- Issues ---------------------------------------------------------------------------------------


@router.get("/health/issues", response=PageOut[IssueOut], summary="List health issues")
@requires(P.HEALTH_VIEW)
def list_issues(
    request: HttpRequest,
    cursor: str | None = None,
    limit: int | None = None,
    active: bool | None = None,
    service: uuid.UUID | None = None,
) -> Any:
    principal = principal_of(request)
    rows = policy.visible(principal, HealthIssue).prefetch_related("services")
    if active is True:
        rows = rows.exclude(status__in=CLOSED_STATUSES)
    elif active is False:
        rows = rows.filter(status__in=CLOSED_STATUSES)
    if service:
        rows = rows.filter(services__pk=service)
    return paginate(rows, ordering=["-start_at", "id"], cursor=cursor, limit=limit).answer(_issue_out)


@router.post("/health/issues", response={201: IssueDetailOut, **ERRORS}, summary="Open a health issue")
@requires(P.HEALTH_MANAGE)
def create_issue(request: HttpRequest, payload: IssueIn) -> Any:
    issue = issues.create_issue(
        principal_of(request),
        title=payload.title,
        impact_description=payload.impact_description,
        classification=payload.classification,
        status=payload.status,
        service_ids=payload.services,
        feature_ids=payload.features,
        region_ids=payload.regions,
        start_at=payload.start_at,
        first_post=payload.first_post,
        publish=payload.publish,
    )
    return Status(201, _issue_detail(issue))


def _get_issue(request: HttpRequest, issue_id: uuid.UUID) -> HealthIssue:
    return policy.get_visible(principal_of(request), HealthIssue, pk=issue_id)


@router.get("/health/issues/{issue_id}", response={200: IssueDetailOut, **ERRORS}, summary="Get an issue")
@requires(P.HEALTH_VIEW)
def get_issue(request: HttpRequest, issue_id: uuid.UUID, response: HttpResponse) -> Any:
    issue = _get_issue(request, issue_id)
    etags.tag(response, issue)
    return _issue_detail(issue)


@router.patch(
    "/health/issues/{issue_id}", response={200: IssueDetailOut, **ERRORS}, summary="Revise an issue (visible)"
)
@requires(P.HEALTH_MANAGE)
def revise_issue(
    request: HttpRequest, issue_id: uuid.UUID, payload: IssuePatch, response: HttpResponse
) -> Any:
    issue = _get_issue(request, issue_id)
    changes = payload.model_dump(exclude_unset=True, exclude={"note"})
    if "services" in changes:
        changes["service_ids"] = changes.pop("services")
    with etags.guarded(etags.if_match(request), issue):
        issues.revise_issue(principal_of(request), issue, changes, note=payload.note)
    fresh = _get_issue(request, issue_id)
    etags.tag(response, fresh)
    return _issue_detail(fresh)


@router.post(
    "/health/issues/{issue_id}/publish", response={200: IssueDetailOut, **ERRORS}, summary="Publish a draft"
)
@requires(P.HEALTH_MANAGE)
def publish_issue(request: HttpRequest, issue_id: uuid.UUID) -> Any:
    issue = issues.publish_issue(principal_of(request), _get_issue(request, issue_id))
    return _issue_detail(issue)


@router.get(
    "/health/issues/{issue_id}/posts",
    response={200: PageOut[IssuePostOut], **ERRORS},
    summary="An issue's timeline, oldest first",
)
@requires(P.HEALTH_VIEW)
def list_issue_posts(
    request: HttpRequest, issue_id: uuid.UUID, cursor: str | None = None, limit: int | None = None
) -> Any:
    posts = _get_issue(request, issue_id).posts.all()
    return paginate(posts, ordering=["created_at", "id"], cursor=cursor, limit=limit).answer(_post_out)


@router.post(
    "/health/issues/{issue_id}/posts",
    response={201: IssuePostOut, **ERRORS},
    summary="Post an update (optionally changing the status)",
)
@requires(P.HEALTH_MANAGE)
def add_issue_post(request: HttpRequest, issue_id: uuid.UUID, payload: IssuePostIn) -> Any:
    post = issues.add_issue_post(
        principal_of(request),
        _get_issue(request, issue_id),
        body=payload.body,
        status=payload.status,
        notifies=payload.notifies,
        correction=payload.correction,
    )
    return Status(201, _post_out(post))


@router.post(
    "/health/issues/{issue_id}/incident-report",
    response={200: IssueDetailOut, **ERRORS},
    summary="Publish the post-incident report",
)
@requires(P.HEALTH_MANAGE)
def publish_report(request: HttpRequest, issue_id: uuid.UUID, payload: ReportIn) -> Any:
    issue = issues.publish_incident_report(
        principal_of(request), _get_issue(request, issue_id), report=payload.report
    )
    return _issue_detail(issue)


@router.get(
    "/health/issues/{issue_id}/affected-customers",
    response={200: PageOut[CustomerRef], **ERRORS},
    summary="Which of my customers an issue affects (partners)",
)
@requires(rules.ISSUE_AFFECTED_CUSTOMERS)
def issue_affected_customers(
    request: HttpRequest, issue_id: uuid.UUID, cursor: str | None = None, limit: int | None = None
) -> Any:
    principal = principal_of(request)
    customers = queries.affected_customers_of_issue(_get_issue(request, issue_id), principal.organization.pk)
    return paginate(customers, ordering=["name", "id"], cursor=cursor, limit=limit).answer()


# --- Maintenance ----------------------------------------------------------------------------------


@router.get("/maintenance", response=PageOut[MaintenanceOut], summary="List planned maintenance")
@requires(P.HEALTH_VIEW)
def list_maintenance(request: HttpRequest, cursor: str | None = None, limit: int | None = None) -> Any:
    rows = policy.visible(principal_of(request), PlannedMaintenance).prefetch_related("services")
    return paginate(rows, ordering=["-starts_at", "id"], cursor=cursor, limit=limit).answer(_maintenance_out)


@router.post("/maintenance", response={201: MaintenanceOut, **ERRORS}, summary="Schedule maintenance")
@requires(P.HEALTH_MANAGE)
def create_maintenance(request: HttpRequest, payload: MaintenanceIn) -> Any:
    maintenance = planned_maintenance.create_maintenance(
        principal_of(request),
        title=payload.title,
        description=payload.description,
        service_ids=payload.services,
        starts_at=payload.starts_at,
        ends_at=payload.ends_at,
        reminder_hours=payload.reminder_hours,
    )
    return Status(201, _maintenance_out(maintenance))


@router.post(
    "/maintenance/{maintenance_id}/reschedule",
    response={200: MaintenanceOut, **ERRORS},
    summary="Move a window",
)
@requires(P.HEALTH_MANAGE)
def reschedule_maintenance(request: HttpRequest, maintenance_id: uuid.UUID, payload: RescheduleIn) -> Any:
    principal = principal_of(request)
    maintenance = policy.get_visible(principal, PlannedMaintenance, pk=maintenance_id)
    maintenance = planned_maintenance.reschedule_maintenance(
        principal, maintenance, starts_at=payload.starts_at, ends_at=payload.ends_at
    )
    return _maintenance_out(maintenance)


@router.post(
    "/maintenance/{maintenance_id}/cancel",
    response={200: MaintenanceOut, **ERRORS},
    summary="Cancel a window",
)
@requires(P.HEALTH_MANAGE)
def cancel_maintenance(request: HttpRequest, maintenance_id: uuid.UUID) -> Any:
    principal = principal_of(request)
    maintenance = policy.get_visible(principal, PlannedMaintenance, pk=maintenance_id)
    return _maintenance_out(planned_maintenance.cancel_maintenance(principal, maintenance))


# --- Message center -------------------------------------------------------------------------------


class MessageFilters(Schema):
    service: str = ""
    category: str = ""
    tag: str = ""
    unread: bool = False
    act_by_soon: bool = False
    major_change: bool = False
    view: Literal["inbox", "archived", "favorites", "all"] = "inbox"
    search: str = ""


@router.get(
    "/messages",
    response={200: PageOut[MessageOut], 304: None},
    summary="List Message center posts",
    description=REVALIDATION,
)
@requires(P.MESSAGES_VIEW)
def list_messages(
    request: HttpRequest,
    response: HttpResponse,
    filters: Query[MessageFilters],
    cursor: str | None = None,
    limit: int | None = None,
) -> Any:
    principal = principal_of(request)
    tag = counters.message_list_tag(principal, request)
    if tag is not None:
        if unchanged := etags.not_modified(request, tag):
            return unchanged
        etags.revalidated(response, tag)
    if rules.on_operator_side(principal):  # the operator's rows carry their audiences
        rows = queries.filter_messages(_messages(principal, prefetch=False), **filters.model_dump())
        page = paginate(rows, ordering=queries.MESSAGE_ORDERING, cursor=cursor, limit=limit)
        services = _service_refs_of_posts([m.pk for m in page.items])
        return page.answer(lambda m: _message_out(m, principal, services[m.pk]))
    page = queries.message_page(principal, filters.model_dump(), cursor=cursor, limit=limit)
    return page.answer(lambda row: _message_row_out(row, queries.service_refs(row)))


@router.get("/messages/unread-count", response=UnreadOut, summary="The caller's unread count")
@requires(P.MESSAGES_VIEW)
def unread_count(request: HttpRequest) -> Any:
    counted = queries.unread_count(principal_of(request))
    return {"unread": counted.unread, "more": counted.more}


@router.get("/messages/preferences", response=PreferencesIO, summary="The caller's preferences")
@requires(P.MESSAGES_VIEW)
def get_preferences(request: HttpRequest, response: HttpResponse) -> Any:
    return _preferences_out(preferences.preferences_for(principal_of(request).user), response)


def _preferences_out(preference: AdminPreference, response: HttpResponse) -> dict[str, Any]:
    etags.tag(response, preference)
    saved = preference.pk is not None
    return {
        "services": [s.pk for s in preference.services.all()] if saved else [],
        "weekly_digest": preference.weekly_digest,
        "email_major_changes": preference.email_major_changes,
        "email_data_privacy": preference.email_data_privacy,
        "email_health_issues": preference.email_health_issues,
        "health_services": [s.pk for s in preference.health_services.all()] if saved else [],
        "extra_emails": preference.extra_emails,
    }


@router.put("/messages/preferences", response={200: PreferencesIO, **ERRORS}, summary="Save preferences")
@requires(P.MESSAGES_VIEW)
def put_preferences(request: HttpRequest, payload: PreferencesIO, response: HttpResponse) -> Any:
    principal = principal_of(request)
    with etags.guarded(etags.if_match(request), preferences.preferences_for(principal.user)):
        preferences.update_preferences(
            principal,
            service_ids=payload.services,
            weekly_digest=payload.weekly_digest,
            email_major_changes=payload.email_major_changes,
            email_data_privacy=payload.email_data_privacy,
            email_health_issues=payload.email_health_issues,
            health_service_ids=payload.health_services,
            extra_emails=payload.extra_emails,
        )
    return _preferences_out(preferences.preferences_for(principal.user), response)


@router.post("/messages/state", response={200: StateOut, **ERRORS}, summary="Read/archive/favourite posts")
@requires(P.MESSAGES_VIEW)
def set_state(request: HttpRequest, payload: StateIn) -> Any:
    return {
        "updated": message_center.set_view_state(principal_of(request), payload.message_ids, payload.action)
    }


@router.post("/messages/reach", response={200: ReachOut, **ERRORS}, summary="Preview an audience's reach")
@requires(P.HEALTH_MANAGE)
def audience_reach(request: HttpRequest, payload: ReachIn) -> Any:
    spec = payload.audience.spec()
    spec = AudienceSpec(
        type=spec.type,
        service_ids=spec.service_ids,
        partner_id=spec.partner_id,
        customer_ids=spec.customer_ids,
        named_service_ids=tuple(str(s) for s in payload.services),
    )
    reach = message_center.audience_reach(spec)
    return {"tenants": reach.tenants, "admins": reach.admins}


@router.post(
    "/messages",
    response={201: MessageOperatorOut, **ERRORS},
    summary="Write a Message center post (operator)",
)
@requires(P.HEALTH_MANAGE)
def create_message(request: HttpRequest, payload: MessageIn) -> Any:
    principal = principal_of(request)
    post = message_center.create_message(
        principal,
        title=payload.title,
        body=payload.body,
        category=payload.category,
        severity=payload.severity,
        is_major_change=payload.is_major_change,
        act_by=payload.act_by,
        service_ids=payload.services,
        tags=payload.tags,
        expires_at=payload.expires_at,
        audience=payload.audience.spec(),
        publish=payload.publish,
        publish_at=payload.publish_at,
    )
    return Status(201, _message_out(post, principal))


@router.get(
    "/messages/{message_id}", response={200: MessageDetailOut, **ERRORS}, summary="Get a post and its files"
)
@requires(P.MESSAGES_VIEW)
def get_message(request: HttpRequest, message_id: str, response: HttpResponse) -> Any:
    principal = principal_of(request)
    post = _get_message(principal, message_id)
    etags.tag(response, post)
    return {
        **_message_out(post, principal),
        "attachments": [_attachment_out(a) for a in post.attachments.all()],
    }


def _attachment_out(attachment: MessageAttachment) -> dict[str, Any]:
    return {
        "id": attachment.pk,
        "name": attachment.name,
        "size": attachment.size,
        "content_type": attachment.content_type,
    }


@router.patch(
    "/messages/{message_id}", response={200: MessageOperatorOut, **ERRORS}, summary="Revise a post (operator)"
)
@requires(P.HEALTH_MANAGE)
def revise_message(
    request: HttpRequest, message_id: str, payload: MessagePatch, response: HttpResponse
) -> Any:
    principal = principal_of(request)
    post = _get_message(principal, message_id)
    changes = payload.model_dump(exclude_unset=True, exclude={"note", "notifies"})
    if "services" in changes:
        changes["service_ids"] = changes.pop("services")
    with etags.guarded(etags.if_match(request), post):
        message_center.revise_message(principal, post, changes, note=payload.note, notifies=payload.notifies)
    fresh = _get_message(principal, str(post.pk))
    etags.tag(response, fresh)
    return _message_out(fresh, principal)


@router.post(
    "/messages/{message_id}/publish", response={200: MessageOperatorOut, **ERRORS}, summary="Publish now"
)
@requires(P.HEALTH_MANAGE)
def publish_message(request: HttpRequest, message_id: str) -> Any:
    principal = principal_of(request)
    post = message_center.publish_message(principal, _get_message(principal, message_id))
    return _message_out(post, principal)


@router.post(
    "/messages/{message_id}/attachments",
    response={201: AttachmentOut, 413: ErrorOut, 415: ErrorOut, **ERRORS},
    summary="Attach a file to a post (operator; multipart field `file`)",
)
@requires(P.HEALTH_MANAGE)
def add_attachment(request: HttpRequest, message_id: str, file: File[UploadedFile]) -> Any:
    principal = principal_of(request)
    post = _get_message(principal, message_id)
    return Status(201, _attachment_out(message_center.add_attachment(principal, post, file)))


@router.get(
    "/messages/{message_id}/attachments/{attachment_id}",
    response={200: None, **ERRORS},
    summary="Download a post's attachment (only for those who can see the post)",
)
@requires(P.MESSAGES_VIEW)
def download_attachment(request: HttpRequest, message_id: str, attachment_id: str) -> FileResponse:
    principal = principal_of(request)
    return queries.attachment_response(principal, _get_message(principal, message_id), attachment_id)


@router.get(
    "/messages/{message_id}/affected-customers",
    response={200: PageOut[CustomerRef], **ERRORS},
    summary="Which of my customers a post reaches (partners)",
)
@requires(rules.MESSAGE_AFFECTED_CUSTOMERS)
def message_affected_customers(
    request: HttpRequest, message_id: str, cursor: str | None = None, limit: int | None = None
) -> Any:
    principal = principal_of(request)
    post = _get_message(principal, message_id)
    customers = queries.affected_customers_of_message(post, principal.organization.pk)
    return paginate(customers, ordering=["name", "id"], cursor=cursor, limit=limit).answer()
