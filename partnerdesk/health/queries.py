"""Read-side questions about service health and Message center, for this app and others.

Audiences are evaluated here, when reading: a tenant's posts are one query whatever the number of
tenants, and publishing never writes a row per tenant.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING, Any, NamedTuple

from django.db.models import (
    CharField,
    DateField,
    Exists,
    Field,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    UUIDField,
)
from django.db.models.functions import JSONObject
from django.http import FileResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from partnerdesk import sql, uploads
from partnerdesk.access import policy
from partnerdesk.access.permissions import OrgKind, Permission
from partnerdesk.catalog.models import Service
from partnerdesk.errors import NotFound
from partnerdesk.health.models import (
    CLOSED_STATUSES,
    AdminPreference,
    HealthIssue,
    MessageAttachment,
    MessagePost,
    PlannedMaintenance,
)
from partnerdesk.pagination import Page, keyset_slice, paginate_prepared
from partnerdesk.sql import SHOWN_AT_MOST, PerRowExists, Prepared, SlotList

if TYPE_CHECKING:
    from partnerdesk.access.principal import Principal


def active_issues_for_services(service_ids: Iterable[uuid.UUID | str]) -> QuerySet[HealthIssue]:
    """Published issues not yet resolved or closed that affect any of `service_ids` (support self-help)."""
    ids = list(service_ids)
    affecting = HealthIssue.services.through.objects.filter(healthissue_id=OuterRef("pk"), service_id__in=ids)
    return (
        HealthIssue.objects.filter(is_published=True)
        .exclude(status__in=CLOSED_STATUSES)
        .filter(Exists(affecting))
        .order_by("-start_at", "id")
    )


def entitled_service_ids(organization: Any) -> Any:
    """The ids of the services a tenant is entitled to: kept on its row, so no query of its own.

    (A stand-in tenant's, in a prepared query, are a slot bound per request.)"""
    ids = organization.entitled_service_ids
    return ids if isinstance(ids, SlotList) else list(ids)


def entitled_services_of(customer: Any) -> QuerySet[Service]:
    return Service.objects.filter(pk__in=entitled_service_ids(customer)).order_by("name")


def live_messages() -> QuerySet[MessagePost]:
    """Published posts that have not expired."""
    now = timezone.now()
    return MessagePost.objects.filter(status=MessagePost.Status.PUBLISHED).filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=now)
    )


def _concerns(service_ids: Any) -> Q:
    """A post that names services concerns only tenants entitled to one of them, whatever its audience."""
    named = MessagePost.services.through.objects.filter(messagepost_id=OuterRef("pk"))
    return ~Q(PerRowExists(named)) | Q(PerRowExists(named.filter(service_id__in=service_ids)))


def audience_q(organization: Any) -> Q:
    """The condition on MessagePost under which the post reaches the tenant `organization`.

    Checks each post of a page by index lookups against the tenant's entitled services, a fixed
    list kept on its row: the cost follows the page, not the number of posts.
    """
    customer_id, partner_id = organization.pk, organization.partner_id
    service_ids = entitled_service_ids(organization)
    audience_service = MessagePost.audience_services.through.objects.filter(
        messagepost_id=OuterRef("pk"), service_id__in=service_ids
    )
    listed = MessagePost.audience_customers.through.objects.filter(
        messagepost_id=OuterRef("pk"), organization_id=customer_id
    )
    return _concerns(service_ids) & (
        Q(audience=MessagePost.Audience.ALL)
        | (Q(audience=MessagePost.Audience.SERVICES) & Q(PerRowExists(audience_service)))
        | (Q(audience=MessagePost.Audience.PARTNER_CUSTOMERS) & Q(audience_partner_id=partner_id))
        | (Q(audience=MessagePost.Audience.TENANTS) & Q(PerRowExists(listed)))
    )


def messages_for_tenant(organization: Any, *, include_privacy: bool) -> QuerySet[MessagePost]:
    """The live posts a tenant's admins see; data-privacy posts only when `include_privacy`."""
    queryset = live_messages().filter(audience_q(organization))
    if not include_privacy:
        queryset = queryset.exclude(tags__contains=f",{MessagePost.Tag.DATA_PRIVACY},")
    return queryset


def issues_for_tenant(organization: Any) -> QuerySet[HealthIssue]:
    """Published issues affecting a service the tenant is entitled to."""
    affecting = HealthIssue.services.through.objects.filter(
        healthissue_id=OuterRef("pk"), service_id__in=entitled_service_ids(organization)
    )
    return HealthIssue.objects.filter(is_published=True).filter(Exists(affecting))


# --- Scoping rules (registered in partnerdesk.access.policy) ------------------------------------


def _partner_service_ids(partner_id: uuid.UUID) -> QuerySet[Any]:
    """Services any customer of the partner is entitled to, as a subquery."""
    from partnerdesk.subscriptions.queries import ENTITLING_STATUSES

    return Service.objects.filter(
        skus__offers__subscriptions__customer__partner_id=partner_id,
        skus__offers__subscriptions__status__in=ENTITLING_STATUSES,
    ).values("pk")


def partner_audience_q(partner_id: uuid.UUID) -> Q:
    """The condition on MessagePost under which the post reaches at least one of the partner's customers."""
    from partnerdesk.tenancy.models import Organization

    audience_service = MessagePost.audience_services.through.objects.filter(
        messagepost_id=OuterRef("pk"), service_id__in=_partner_service_ids(partner_id)
    )
    listed = MessagePost.audience_customers.through.objects.filter(
        messagepost_id=OuterRef("pk"), organization__partner_id=partner_id
    )
    has_customers = Organization.objects.filter(partner_id=partner_id)
    # A subquery, not a list read here: the rule then runs no query of its own (`sql.Prepared` builds it).
    return _concerns(_partner_service_ids(partner_id)) & (
        (Q(audience=MessagePost.Audience.ALL) & Q(Exists(has_customers)))
        | (Q(audience=MessagePost.Audience.SERVICES) & Q(Exists(audience_service)))
        | (Q(audience=MessagePost.Audience.PARTNER_CUSTOMERS) & Q(audience_partner_id=partner_id))
        | (Q(audience=MessagePost.Audience.TENANTS) & Q(Exists(listed)))
    )


def scope_issues(principal: Principal, queryset: QuerySet[Any]) -> QuerySet[Any]:
    if principal.kind == OrgKind.OPERATOR:
        return queryset
    if principal.kind == OrgKind.PARTNER:
        return queryset.filter(is_published=True)
    affecting = HealthIssue.services.through.objects.filter(
        healthissue_id=OuterRef("pk"), service_id__in=entitled_service_ids(principal.organization)
    )
    return queryset.filter(is_published=True).filter(Exists(affecting))


def scope_maintenance(principal: Principal, queryset: QuerySet[Any]) -> QuerySet[Any]:
    if principal.kind != OrgKind.CUSTOMER:
        return queryset
    affecting = PlannedMaintenance.services.through.objects.filter(
        plannedmaintenance_id=OuterRef("pk"),
        service_id__in=entitled_service_ids(principal.organization),
    )
    return queryset.filter(Exists(affecting))


def scope_messages(principal: Principal, queryset: QuerySet[Any]) -> QuerySet[Any]:
    now = sql.now()  # a slot in the unread badge's prepared query
    if principal.kind == OrgKind.OPERATOR:
        return queryset
    live = queryset.filter(status=MessagePost.Status.PUBLISHED).filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=now)
    )
    if principal.kind == OrgKind.PARTNER:
        return live.filter(partner_audience_q(principal.organization.pk))
    live = live.filter(audience_q(principal.organization))
    if not principal.has(Permission.MESSAGES_PRIVACY):
        live = live.exclude(tags__contains=f",{MessagePost.Tag.DATA_PRIVACY},")
    return live


# --- Lists with the caller's view state -----------------------------------------------------------


def with_view_state(queryset: QuerySet[MessagePost], user_id: Any) -> QuerySet[Any]:
    """Annotate `is_read`, `is_archived`, `is_favorited` for one user (no row means all False)."""
    from partnerdesk.health.models import MessageViewState

    mine = MessageViewState.objects.filter(user_id=user_id, message_id=OuterRef("pk"))
    return queryset.annotate(
        state_read=PerRowExists(mine.filter(is_read=True)),
        state_archived=PerRowExists(mine.filter(is_archived=True)),
        state_favorited=PerRowExists(mine.filter(is_favorited=True)),
    )


def with_attachment_flag(queryset: QuerySet[MessagePost]) -> QuerySet[Any]:
    """Annotate `has_attachments`: an EXISTS per row of the page. (A COUNT over the join grouped every
    visible post before the page was cut: 320 ms at 20,000 posts, bench/RESULTS.md 2g.)"""
    return queryset.annotate(
        has_attachments=PerRowExists(MessageAttachment.objects.filter(message_id=OuterRef("pk")))
    )


ACT_BY_SOON_DAYS = 30


def filter_messages(
    queryset: QuerySet[Any],
    *,
    service: Any = "",
    category: str = "",
    tag: str = "",
    unread: bool = False,
    act_by_soon: bool = False,
    major_change: bool = False,
    view: str = "inbox",
    search: Any = "",
    number: Any = None,
    today: Any = None,
    soon: Any = None,
) -> QuerySet[Any]:
    """Apply Message center's filters to a queryset annotated by `with_view_state`.

    `view` is inbox (not archived), archived, favorites or all. In a prepared list (`MESSAGE_PAGE`)
    `service` and `search` are slots, `number` the slot of the post number a search names (or None),
    and `today`/`soon` the slots of the "act by soon" window.
    """
    if isinstance(service, sql.Slot):
        queryset = queryset.filter(services__pk=service)
    elif service:
        try:
            queryset = queryset.filter(services__pk=uuid.UUID(service))
        except ValueError:
            queryset = queryset.none()
    if category in MessagePost.Category.values:
        queryset = queryset.filter(category=category)
    if tag in MessagePost.Tag.values:
        queryset = queryset.filter(tags__contains=f",{tag},")
    if unread:
        queryset = queryset.filter(state_read=False)
    if act_by_soon:
        today = timezone.localdate() if today is None else today
        soon = today + timedelta(days=ACT_BY_SOON_DAYS) if soon is None else soon
        queryset = queryset.filter(act_by__gte=today, act_by__lte=soon)
    if major_change:
        queryset = queryset.filter(is_major_change=True)
    if view == "archived":
        queryset = queryset.filter(state_archived=True)
    elif view == "favorites":
        queryset = queryset.filter(state_favorited=True)
    elif view != "all":
        queryset = queryset.filter(state_archived=False)
    if not isinstance(search, sql.Slot):
        search = search.strip()
        if search:
            digits = search[2:] if search.upper().startswith("MC") else search
            number = int(digits) if digits.isdigit() else None
    if search:
        by_number = Q(number=number) if number is not None else Q(pk__in=[])
        queryset = queryset.filter(Q(title__icontains=search) | Q(body__icontains=search) | by_number)
    return queryset


# What a tenant admin's Message center list shows of each post, read as rows rather than model
# instances (the list is polled by every admin; bench/RESULTS.md).
MESSAGE_ROW = (
    "id", "number", "title", "body", "body_html", "category", "severity", "is_major_change", "act_by",
    "tags", "status", "published_at", "last_modified_at", "expires_at", "revision",
    "state_read", "state_archived", "state_favorited",
)  # fmt: skip
MESSAGE_ORDERING = ["-last_modified_at", "id"]
SLOTTED = "=slot"
_MESSAGE_SLOTS: dict[str, Field[Any, Any]] = {
    "service": UUIDField(),
    "search": CharField(),
    "number": IntegerField(),
    "today": DateField(),
    "soon": DateField(),
}
_LARGEST_NUMBER = 2**31 - 1


def _message_page(
    principal: Principal, filters: tuple[Any, ...], shown_only: bool, after: bool, size: int
) -> Any:
    slotted: dict[str, Any] = {
        name: sql.Slot(name, _MESSAGE_SLOTS[name]) if value == SLOTTED else value for name, value in filters
    }
    posts = with_view_state(policy.visible(principal, MessagePost), principal.user.pk)
    posts = filter_messages(posts, **slotted)
    if shown_only:
        posts = shown_messages(posts, principal.user.pk)
    rows = posts.annotate(service_refs=_service_refs_json())
    return keyset_slice(rows.values(*MESSAGE_ROW, "service_refs"), MESSAGE_ORDERING, after=after, size=size)


def _service_refs_json() -> Subquery:
    """The services a post names, as one JSON array of {id, key, name}: read with the post's row."""
    links = MessagePost.services.through.objects.filter(messagepost_id=OuterRef("pk")).annotate(
        ref=JSONObject(id="service_id", key="service__key", name="service__name")
    )
    return sql.json_array_of(links, "ref", per="messagepost_id")


def service_refs(row: dict[str, Any]) -> list[dict[str, Any]]:
    """The services of a `message_page` row, by name as the post's page lists them."""
    refs = [{**ref, "id": uuid.UUID(ref["id"])} for ref in row["service_refs"] or ()]
    return sorted(refs, key=lambda ref: (ref["name"], ref["id"].hex))


# A tenant's Message center list: compiled once per process for each shape of its filters.
MESSAGE_PAGE = Prepared(_message_page)


def message_page(
    principal: Principal,
    filters: dict[str, Any],
    *,
    cursor: str | None,
    limit: int | None,
    shown_only: bool = False,
) -> Page[dict[str, Any]]:
    """One page of the Message center list `filters` select (`filter_messages`), as `MESSAGE_ROW` rows
    with the caller's view state and the services each post names (`service_refs`), in one query, for
    a reader outside the operator (whose rows carry audiences). `shown_only`: only the posts the
    reader's "Services shown" lets through (`shown_messages`, the admin center's page)."""
    shape, values = dict(filters), dict[str, Any]()
    if shape.get("service"):
        try:
            values["service"], shape["service"] = uuid.UUID(shape["service"]), SLOTTED
        except ValueError:
            shape["service"] = "-"  # not an id: matches nothing
    search = str(shape.pop("search", "")).strip()
    if search:
        values["search"], shape["search"] = search, SLOTTED
        digits = search[2:] if search.upper().startswith("MC") else search
        if digits.isdigit() and int(digits) <= _LARGEST_NUMBER:
            values["number"], shape["number"] = int(digits), SLOTTED
    if shape.get("act_by_soon"):
        today = timezone.localdate()
        values["today"], values["soon"] = today, today + timedelta(days=ACT_BY_SOON_DAYS)
        shape["today"] = shape["soon"] = SLOTTED
    # Unknown values filter nothing (as `filter_messages` reads them): one shape for all of them.
    if shape.get("category") not in MessagePost.Category.values:
        shape["category"] = ""
    if shape.get("tag") not in MessagePost.Tag.values:
        shape["tag"] = ""
    if shape.get("view") not in ("inbox", "archived", "favorites", "all"):
        shape["view"] = "inbox"
    return paginate_prepared(
        MESSAGE_PAGE,
        principal,
        tuple(sorted(shape.items())),
        shown_only,
        ordering=MESSAGE_ORDERING,
        cursor=cursor,
        limit=limit,
        values=values,
    )


def _services_shown(user_id: Any) -> QuerySet[Any]:
    """The services the admin chose under "Services shown" in their preferences (none: all of them)."""
    return AdminPreference.services.through.objects.filter(adminpreference__user_id=user_id)


def shown_messages(queryset: QuerySet[Any], user_id: Any) -> QuerySet[Any]:
    """The posts the admin's "Services shown" lets through: about a chosen service, or about no
    service in particular; all when they chose none. Subqueries only: no query of its own, so a
    bounded count stays one query."""
    chosen = _services_shown(user_id)
    named = MessagePost.services.through.objects.filter(messagepost_id=OuterRef("pk"))
    return queryset.filter(
        ~Exists(chosen) | ~Exists(named) | Exists(named.filter(service_id__in=chosen.values("service_id")))
    )


def shown_issues(queryset: QuerySet[HealthIssue], user_id: Any) -> QuerySet[HealthIssue]:
    """The health issues affecting a service of the admin's "Services shown" (all when none chosen)."""
    chosen = _services_shown(user_id)
    affecting = HealthIssue.services.through.objects.filter(
        healthissue_id=OuterRef("pk"), service_id__in=chosen.values("service_id")
    )
    return queryset.filter(~Exists(chosen) | Exists(affecting))


class UnreadCount(NamedTuple):
    """The caller's unread posts as a badge shows them: `unread` up to 99, `more` when beyond."""

    unread: int
    more: bool


def _unread_posts(principal: Principal, shown_only: bool) -> QuerySet[Any]:
    """The posts `unread_count` counts, up to the badge's "99+" (built once per shape: `UNREAD`)."""
    from partnerdesk.access import policy
    from partnerdesk.health.models import MessageViewState

    read_or_archived = MessageViewState.objects.filter(
        Q(is_read=True) | Q(is_archived=True), user_id=principal.user.pk, message_id=OuterRef("pk")
    )
    posts = policy.visible(principal, MessagePost).filter(~PerRowExists(read_or_archived))
    if shown_only:
        posts = shown_messages(posts, principal.user.pk)
    return posts.order_by().values("pk")[: SHOWN_AT_MOST + 1]


# Building and compiling the audience's EXISTS branches was nearly all of the badge's Python time
# (~4 ms against well under one to run it): compiled once per process for each shape.
UNREAD = Prepared(_unread_posts)


def unread_count(principal: Principal, *, shown_only: bool = False) -> UnreadCount:
    """How many live, unarchived posts the caller has not read, up to 99 and whether there are more;
    `shown_only`: only those their "Services shown" lets through (the admin center's badge, which
    opens the list that applies it).

    One query, any number of tenants: a COUNT over a subquery LIMIT-ed to 100 rows, so the cost
    stops growing with the number of posts once the badge would show "99+".
    """
    counted = UNREAD.bounded_count(principal, shown_only)
    return UnreadCount(unread=counted.number, more=counted.more)


def affected_customers_of_issue(issue: HealthIssue, partner_id: uuid.UUID) -> QuerySet[Any]:
    """The partner's customers entitled to a service the issue affects."""
    from partnerdesk.subscriptions.models import Subscription
    from partnerdesk.subscriptions.queries import ENTITLING_STATUSES
    from partnerdesk.tenancy.models import Organization

    entitled = Subscription.objects.filter(
        customer_id=OuterRef("pk"),
        status__in=ENTITLING_STATUSES,
        offer__sku__services__in=issue.services.values("pk"),
    )
    return Organization.objects.filter(kind=OrgKind.CUSTOMER, partner_id=partner_id).filter(Exists(entitled))


def affected_customers_of_message(post: MessagePost, partner_id: uuid.UUID) -> QuerySet[Any]:
    """The partner's customers a post's audience reaches."""
    from partnerdesk.health.message_center import audience_customers

    return audience_customers(post).filter(partner_id=partner_id)


# --- History --------------------------------------------------------------------------------------


def daily_history(
    issues: Iterable[dict[str, Any]], service_ids: Iterable[Any], *, days: int
) -> dict[Any, list[str]]:
    """Per service, the worst status of each of the last `days` days (oldest first), from the rows of
    `issue_history`: an issue counts on every day between its start and its end (or now)."""
    from partnerdesk.catalog.models import ServiceStatus
    from partnerdesk.health.models import STATUS_SEVERITY

    today = timezone.localdate()
    first = today - timedelta(days=days - 1)
    history: dict[Any, list[str]] = {pk: [ServiceStatus.SERVICE_OPERATIONAL] * days for pk in service_ids}
    for issue in issues:
        start = timezone.localdate(issue["start_at"])
        end = timezone.localdate(issue["end_at"]) if issue["end_at"] else today
        # A closed issue shows the worst status it had; its final status is a closing one.
        worst = max(
            [issue["status"], *issue["post_statuses"]], key=lambda status: STATUS_SEVERITY.get(status, -1)
        )
        if worst not in STATUS_SEVERITY or worst == ServiceStatus.SERVICE_OPERATIONAL:
            worst = ServiceStatus.INVESTIGATING
        for service_id in issue["service_ids"]:
            if service_id not in history:
                continue
            row = history[service_id]
            for offset in range(days):
                day = first + timedelta(days=offset)
                if start <= day <= end and STATUS_SEVERITY[worst] > STATUS_SEVERITY.get(row[offset], 0):
                    row[offset] = worst
    return history


def issue_history(queryset: QuerySet[HealthIssue], days: int) -> list[dict[str, Any]]:
    """The issues open at any time in the last `days` days, newest first, as rows: what the health
    pages' daily bars and lists show, with the ids of the services each affects and the statuses of
    its posts, in one query (instances with both prefetched cost ~1 ms an issue at 720 issues)."""
    from partnerdesk.catalog.models import ServiceStatus
    from partnerdesk.health.models import HealthIssuePost

    since = timezone.now() - timedelta(days=days)
    posts = HealthIssuePost.objects.filter(issue_id=OuterRef("pk"))
    services = HealthIssue.services.through.objects.filter(healthissue_id=OuterRef("pk"))
    rows = (
        queryset.filter(Q(end_at__isnull=True) | Q(end_at__gte=since))
        .annotate(
            post_statuses=sql.json_array_of(posts, "status", per="issue_id"),
            service_ids=sql.json_array_of(services, "service_id", per="healthissue_id"),
        )
        .order_by("-start_at", "id")
        .values("id", "number", "title", "status", "start_at", "end_at", "post_statuses", "service_ids")
    )
    return [
        {
            **row,
            "pk": row["id"],
            "display_id": f"HI{row['number']}",
            "get_status_display": ServiceStatus(row["status"]).label,
            "post_statuses": row["post_statuses"] or [],
            "service_ids": [uuid.UUID(str(pk)) for pk in row["service_ids"] or ()],
        }
        for row in rows
    ]


def active_issues(principal: Principal, *, shown_only: bool = False) -> QuerySet[HealthIssue]:
    """Published issues not yet resolved that the principal sees (a tenant: those affecting its
    services; `shown_only`: those affecting a service of the admin's "Services shown")."""
    from partnerdesk.access import policy

    issues = (
        policy.visible(principal, HealthIssue).filter(is_published=True).exclude(status__in=CLOSED_STATUSES)
    )
    return shown_issues(issues, principal.user.pk) if shown_only else issues


def draft_issues(principal: Principal) -> QuerySet[HealthIssue]:
    """Issues written but not published yet, and not resolved (the operator's own drafts)."""
    from partnerdesk.access import policy

    return (
        policy.visible(principal, HealthIssue).filter(is_published=False).exclude(status__in=CLOSED_STATUSES)
    )


def filter_issues(queryset: QuerySet[HealthIssue], status: str) -> QuerySet[HealthIssue]:
    """The operator's issue list filter: `active` (published, not resolved) or `draft`; others show all."""
    if status == "active":
        return queryset.filter(is_published=True).exclude(status__in=CLOSED_STATUSES)
    if status == "draft":
        return queryset.filter(is_published=False).exclude(status__in=CLOSED_STATUSES)
    return queryset


def upcoming_maintenance(principal: Principal) -> QuerySet[PlannedMaintenance]:
    """Planned maintenance scheduled or in progress that the principal sees, soonest first."""
    from partnerdesk.access import policy

    return (
        policy.visible(principal, PlannedMaintenance)
        .filter(status__in=[PlannedMaintenance.Status.SCHEDULED, PlannedMaintenance.Status.IN_PROGRESS])
        .order_by("starts_at", "id")
    )


def draft_messages(principal: Principal) -> QuerySet[MessagePost]:
    """Message center posts saved as drafts, awaiting publication."""
    from partnerdesk.access import policy

    return policy.visible(principal, MessagePost).filter(status=MessagePost.Status.DRAFT)


def unread_messages(principal: Principal, **filters: Any) -> QuerySet[Any]:
    """The caller's unread inbox posts narrowed by Message center filters (`major_change`,
    `act_by_soon`) and their "Services shown"."""
    from partnerdesk.access import policy

    posts = with_view_state(policy.visible(principal, MessagePost), principal.user.pk)
    # The admin's "Services shown" applies, as on the Message center list the count opens.
    return shown_messages(filter_messages(posts, unread=True, **filters), principal.user.pk)


def customers_affected_by_active_issues(principal: Principal) -> QuerySet[Any]:
    """The principal's customers entitled to a service that an active issue affects."""
    from partnerdesk.access import policy
    from partnerdesk.subscriptions.models import Subscription
    from partnerdesk.subscriptions.queries import ENTITLING_STATUSES
    from partnerdesk.tenancy.models import Organization

    affected_services = HealthIssue.services.through.objects.filter(
        healthissue__in=active_issues(principal)
    ).values("service_id")
    entitled = Subscription.objects.filter(
        customer_id=OuterRef("pk"),
        status__in=ENTITLING_STATUSES,
        offer__sku__services__in=affected_services,
    )
    return policy.visible(principal, Organization).filter(kind=OrgKind.CUSTOMER).filter(Exists(entitled))


def attachment_response(principal: Principal, post: MessagePost, attachment_id: str) -> FileResponse:
    """Serve one file of a post the principal can see; any other id is a 404 that says nothing."""
    try:
        uuid.UUID(str(attachment_id))
    except ValueError:
        raise NotFound(_("Not found.")) from None
    attachment = policy.get_visible(principal, MessageAttachment, pk=attachment_id, message=post)
    return uploads.download(attachment.file, filename=attachment.name, content_type=attachment.content_type)


class StatusHistory(NamedTuple):
    changes: list[Any]
    days: list[tuple[Any, str]]


def status_history(service: Service, *, days: int = 30) -> StatusHistory:
    """The service's stored status changes of the last `days` days (newest first) and, per day
    (oldest first), the worst status it was in that day.

    Two queries: the changes in the window, and the last change before it (the status the window
    starts in).
    """
    from partnerdesk.catalog.models import ServiceStatus
    from partnerdesk.health.models import STATUS_SEVERITY, ServiceStatusChange

    today = timezone.localdate()
    first = today - timedelta(days=days - 1)
    start = timezone.make_aware(datetime.combine(first, time.min))
    rows = ServiceStatusChange.objects.filter(service=service)  # the service was looked up visibly
    changes = list(rows.filter(at__gte=start).select_related("issue").order_by("-at", "-id"))
    before = rows.filter(at__lt=start).order_by("-at", "-id").values_list("status", flat=True).first()
    current = before or ServiceStatus.SERVICE_OPERATIONAL
    worst: dict[Any, str] = {}
    position = first
    for change in reversed(changes):
        day = timezone.localdate(change.at)
        while position < day:
            worst.setdefault(position, current)
            position += timedelta(days=1)
        worst.setdefault(day, current)
        if STATUS_SEVERITY.get(change.status, 0) > STATUS_SEVERITY.get(worst[day], 0):
            worst[day] = change.status
        current = change.status
    # Days after the last change keep the status it set.
    bars = [(day, worst.get(day, current)) for day in (first + timedelta(days=n) for n in range(days))]
    return StatusHistory(changes=changes, days=bars)
