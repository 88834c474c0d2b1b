"""Read-side helpers shared by pages and the API: scoped querysets with what lists need joined,
queue filters, self-help look-ups and the permission-checked attachment download.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

from django.db.models import (
    BooleanField,
    CharField,
    DateTimeField,
    ExpressionWrapper,
    F,
    Field,
    Q,
    QuerySet,
    UUIDField,
)
from django.http import FileResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from partnerdesk import sql, uploads
from partnerdesk.access import policy, rules
from partnerdesk.access.permissions import OrgKind
from partnerdesk.access.principal import Principal
from partnerdesk.errors import DomainError
from partnerdesk.health.queries import active_issues_for_services
from partnerdesk.pagination import Page, keyset_slice, paginate_prepared
from partnerdesk.sql import BoundedCount, Prepared, Slot, bounded_count
from partnerdesk.support import search, sla
from partnerdesk.support.models import (
    Attachment,
    HelpArticle,
    Message,
    PartnerFlag,
    ServiceRequest,
    Severity,
    SupportRequest,
    SupportTopic,
)


def support_requests(principal: Principal) -> QuerySet[SupportRequest]:
    """The support requests the principal may see, with what a list row shows joined in."""
    return (
        policy.visible(principal, SupportRequest)
        .select_related("customer", "partner", "service", "assignee")
        .annotate(
            # Joins on the one-to-one's unique index: PostgreSQL hashed a subquery over every service
            # request for EXISTS, which grew with the table (bench/RESULTS.md, scenario 3).
            escalated=ExpressionWrapper(Q(service_request__isnull=False), output_field=BooleanField()),
            merged_into_number=F("merged_into__number"),
        )
    )


def service_requests(principal: Principal) -> QuerySet[ServiceRequest]:
    return policy.visible(principal, ServiceRequest).select_related(
        "topic", "partner", "customer", "service", "contact", "assignee"
    )


# --- The queues, read as rows through queries built once per process (bench/RESULTS.md, 3 and 4) --

QUEUE_ORDERING = ["-created_at", "-id"]
SLA_FIELDS = ("status", "paused_at", "first_response_at", "first_response_due_at", "resolution_due_at")
# What a queue row shows of a support request (the API's `support_out` and the queue pages).
SUPPORT_ROW = (
    "id", "number", "title", "description", "severity", "status", "contact_name", "contact_email",
    "contact_phone", "contact_method", "first_response_due_at", "resolution_due_at", "first_response_at",
    "paused_at", "created_at", "updated_at", "resolved_at", "closed_at", "escalated", "merged_into_id",
    "merged_into_number", "customer_id", "customer__name", "partner_id", "partner__name", "service_id",
    "service__name", "assignee_id", "assignee__display_name", "assignee__email",
)  # fmt: skip
# What a queue row shows of a service request (the API's `service_out` and the queue pages).
SERVICE_ROW = (
    "id", "number", "title", "description", "severity", "status", "resolution", "first_response_due_at",
    "resolution_due_at", "first_response_at", "paused_at", "created_at", "updated_at", "closed_at",
    "support_request_id", "topic_id", "topic__name", "partner_id", "partner__name", "customer_id",
    "customer__name", "service_id", "service__name", "contact_id", "contact__display_name",
    "contact__email", "assignee_id", "assignee__display_name", "assignee__email",
)  # fmt: skip
ID_FILTERS = ("customer", "assignee", "partner", "topic")
# Filters whose text is matched (bound into a prepared queue as a slot, like the ids).
TEXT_FILTERS = ("customer_name", "partner_name")
SLOTTED = "<slot>"
SLOTTED_TEXT = "<text slot>"


def _filter_shape(filters: dict[str, str], known: dict[str, tuple[str, ...]]) -> tuple[Any, dict[str, Any]]:
    """A queue's filters as a prepared query's shape (ids become slots, unknown values nothing) and
    the values the slots bind."""
    shape, values = [], dict[str, Any]()
    for name in sorted(filters):
        value = filters[name]
        if name in ID_FILTERS and value not in ("", "none", "any"):
            try:
                values[name], value = uuid.UUID(value), SLOTTED
            except ValueError:
                value = "-"  # not an id: matches nothing
        elif name in TEXT_FILTERS and value:
            values[name], value = value, SLOTTED_TEXT
        elif name in known and value not in known[name]:
            value = ""
        shape.append((name, value))
    return tuple(shape), values


def _slotted(shape: tuple[Any, ...]) -> dict[str, Any]:
    fields: dict[str, Field[Any, Any]] = {SLOTTED: UUIDField(), SLOTTED_TEXT: CharField()}
    return {name: Slot(name, fields[value]) if value in fields else value for name, value in shape}


SEVERITIES = ("critical", "moderate", "minimal")
SLA_STATES = ("breached", "near", "paused")


def _support_queue(principal: Principal, filters: tuple[Any, ...], after: bool, size: int) -> Any:
    rows = filter_support_requests(support_requests(principal), _slotted(filters)).values(*SUPPORT_ROW)
    return keyset_slice(rows, QUEUE_ORDERING, after=after, size=size)


def _service_queue(principal: Principal, filters: tuple[Any, ...], after: bool, size: int) -> Any:
    rows = filter_service_requests(policy.visible(principal, ServiceRequest), _slotted(filters))
    return keyset_slice(rows.values(*SERVICE_ROW), QUEUE_ORDERING, after=after, size=size)


SUPPORT_QUEUE = Prepared(_support_queue)
SERVICE_QUEUE = Prepared(_service_queue)


def _with_display(rows: list[dict[str, Any]], model: Any) -> list[dict[str, Any]]:
    """Add what a queue shows beyond the columns: the SLA state, the labels of status and severity,
    and the joined rows under the names the queue templates read (`item.customer.name`, …)."""
    now = timezone.now()
    finished = {SupportRequest: ("resolved", "closed"), ServiceRequest: ("closed",)}[model]
    for row in rows:
        clock = SimpleNamespace(is_finished=row["status"] in finished, **{f: row[f] for f in SLA_FIELDS})
        row["sla_state"] = sla.state(clock, now)
        row["pk"] = row["id"]
        row["get_status_display"] = model.Status(row["status"]).label
        row["get_severity_display"] = Severity(row["severity"]).label
        for related, fields in (
            ("customer", ("name",)), ("partner", ("name",)), ("service", ("name",)), ("topic", ("name",)),
            ("assignee", ("display_name", "email")), ("contact", ("display_name", "email")),
        ):  # fmt: skip
            if f"{related}_id" in row:
                row[related] = (
                    {"id": row[f"{related}_id"], **{f: row[f"{related}__{f}"] for f in fields}}
                    if row[f"{related}_id"] is not None
                    else None
                )
    return rows


def support_queue(
    principal: Principal, filters: dict[str, str], *, cursor: str | None, limit: int | None
) -> Page[dict[str, Any]]:
    """One page of the support queue `filters` select, as rows (`SUPPORT_ROW` and `_with_display`)."""
    shape, values = _filter_shape(
        filters,
        {"status": ("active", *SupportRequest.Status.values), "severity": SEVERITIES, "sla": SLA_STATES},
    )
    values["soon"] = timezone.now() + sla.near_window()
    page = paginate_prepared(
        SUPPORT_QUEUE, principal, shape, ordering=QUEUE_ORDERING, cursor=cursor, limit=limit, values=values
    )
    return Page(items=_with_display(page.items, SupportRequest), next_cursor=page.next_cursor)


def service_queue(
    principal: Principal, filters: dict[str, str], *, cursor: str | None, limit: int | None
) -> Page[dict[str, Any]]:
    """One page of the service-request queue `filters` select, as rows (`SERVICE_ROW`)."""
    shape, values = _filter_shape(
        filters,
        {"status": ("active", *ServiceRequest.Status.values), "severity": SEVERITIES, "sla": SLA_STATES},
    )
    values["soon"] = timezone.now() + sla.near_window()
    page = paginate_prepared(
        SERVICE_QUEUE, principal, shape, ordering=QUEUE_ORDERING, cursor=cursor, limit=limit, values=values
    )
    return Page(items=_with_display(page.items, ServiceRequest), next_cursor=page.next_cursor)


def is_escalated(request: SupportRequest) -> bool:
    annotated = getattr(request, "escalated", None)
    if annotated is not None:
        return bool(annotated)
    return ServiceRequest.objects.filter(support_request=request).exists()


def merged_into_number(request: SupportRequest) -> str | None:
    """The number of the request this one was merged into (annotated by `support_requests`)."""
    if not request.merged_into_id:
        return None
    annotated = getattr(request, "merged_into_number", None)
    if annotated is not None:
        return str(annotated)
    return SupportRequest.objects.filter(pk=request.merged_into_id).values_list("number", flat=True).first()


def messages(principal: Principal, request: SupportRequest) -> QuerySet[Message]:
    return policy.visible(principal, Message).filter(support_request=request).order_by("created_at", "id")


def _sla_q(state: str, now: Any) -> Q:
    """The queues' SLA filter; `now` is a slot in a prepared queue, which binds `soon` beside it."""
    running = Q(paused_at__isnull=True)
    first = Q(first_response_at__isnull=True, first_response_due_at__isnull=False)
    if state == "breached":
        return running & ((first & Q(first_response_due_at__lte=now)) | Q(resolution_due_at__lte=now))
    if state == "near":
        soon = Slot("soon", DateTimeField()) if isinstance(now, Slot) else now + sla.near_window()
        return running & (
            (first & Q(first_response_due_at__gt=now, first_response_due_at__lte=soon))
            | Q(resolution_due_at__gt=now, resolution_due_at__lte=soon)
        )
    if state == "paused":
        return Q(paused_at__isnull=False)
    return Q()


def filter_support_requests(
    queryset: QuerySet[SupportRequest], filters: dict[str, str]
) -> QuerySet[SupportRequest]:
    """Apply the queue filters; unknown values are ignored rather than refused."""
    status = filters.get("status", "")
    if status == "active":
        queryset = queryset.exclude(status__in=["resolved", "closed"])
    elif status in SupportRequest.Status.values:
        queryset = queryset.filter(status=status)
    if filters.get("severity") in ("critical", "moderate", "minimal"):
        queryset = queryset.filter(severity=filters["severity"])
    queryset = _by_id(queryset, "customer_id", filters.get("customer", ""))
    if filters.get("customer_name"):  # the partner with too many customers to list: part of a name
        queryset = queryset.filter(customer__name__icontains=filters["customer_name"])
    assignee = filters.get("assignee", "")
    if assignee == "none":
        queryset = queryset.filter(assignee__isnull=True)
    else:
        queryset = _by_id(queryset, "assignee_id", assignee)
    if filters.get("sla") in ("breached", "near", "paused"):
        queryset = queryset.exclude(status__in=["resolved", "closed"]).filter(
            _sla_q(filters["sla"], sql.now())
        )
    return queryset


def filter_service_requests(
    queryset: QuerySet[ServiceRequest], filters: dict[str, str]
) -> QuerySet[ServiceRequest]:
    status = filters.get("status", "")
    if status == "active":
        queryset = queryset.exclude(status="closed")
    elif status in ServiceRequest.Status.values:
        queryset = queryset.filter(status=status)
    if filters.get("severity") in ("critical", "moderate", "minimal"):
        queryset = queryset.filter(severity=filters["severity"])
    queryset = _by_id(queryset, "partner_id", filters.get("partner", ""))
    if filters.get("partner_name"):  # the operator with too many partners to list: part of a name
        queryset = queryset.filter(partner__name__icontains=filters["partner_name"])
    queryset = _by_id(queryset, "topic_id", filters.get("topic", ""))
    if filters.get("customer") == "none":
        queryset = queryset.filter(customer__isnull=True)
    elif filters.get("customer") == "any":
        queryset = queryset.filter(customer__isnull=False)
    assignee = filters.get("assignee", "")
    if assignee == "none":
        queryset = queryset.filter(assignee__isnull=True)
    else:
        queryset = _by_id(queryset, "assignee_id", assignee)
    if filters.get("sla") in ("breached", "near", "paused"):
        queryset = queryset.exclude(status="closed").filter(_sla_q(filters["sla"], sql.now()))
    return queryset


def count_support_requests(principal: Principal, filters: dict[str, str]) -> BoundedCount:
    """How many support requests the queue shows with `filters`, up to 99 (a dashboard's card)."""
    return bounded_count(filter_support_requests(policy.visible(principal, SupportRequest), filters))


def count_service_requests(principal: Principal, filters: dict[str, str]) -> BoundedCount:
    """How many service requests the queue shows with `filters`, up to 99 (a dashboard's card)."""
    return bounded_count(filter_service_requests(policy.visible(principal, ServiceRequest), filters))


def partner_flags(principal: Principal) -> QuerySet[PartnerFlag]:
    """The inappropriate-escalation flags the principal sees (the operator: all), with their partner."""
    return policy.visible(principal, PartnerFlag).select_related("partner", "service_request")


def flagged_partners(principal: Principal) -> QuerySet[Any]:
    """The partners the principal sees that carry at least one flag."""
    from partnerdesk.tenancy.models import Organization

    flagged = policy.visible(principal, PartnerFlag).values("partner_id")
    return policy.visible(principal, Organization).filter(kind=OrgKind.PARTNER, pk__in=flagged)


def _by_id(queryset: Any, field: str, value: Any) -> Any:
    if not value:
        return queryset
    if isinstance(value, Slot):  # a prepared queue's id, bound per request
        return queryset.filter(**{field: value})
    try:
        return queryset.filter(**{field: uuid.UUID(str(value))})
    except ValueError:
        return queryset.none()


def get_service(principal: Principal, service_id: Any) -> Any:
    """The service a request names, among those the principal sees (a customer: its entitled ones)."""
    from partnerdesk.catalog.models import Service

    try:
        return policy.visible(principal, Service).get(pk=service_id)
    except (Service.DoesNotExist, ValueError, Exception):
        raise DomainError(_("Unknown service."), code="invalid_service") from None


def get_topic(topic_id: Any) -> SupportTopic:
    try:
        return SupportTopic.objects.get(pk=topic_id, active=True)
    except (SupportTopic.DoesNotExist, ValueError, Exception):
        raise DomainError(_("Unknown support topic."), code="invalid_topic") from None


def attachment_response(principal: Principal, attachment_id: Any) -> FileResponse:
    """Stream an attachment to someone who may see its request; everyone else gets a 404."""
    attachment = policy.get_visible(principal, Attachment, pk=attachment_id)
    principal.require(
        rules.SUPPORT_REQUESTS_WORK if attachment.support_request_id else rules.SERVICE_REQUESTS_WORK
    )
    return uploads.download(
        attachment.file, filename=attachment.filename, content_type=attachment.content_type
    )


SELF_HELP_MAX_RESULTS = 20


def self_help_articles(
    principal: Principal, text: str, service_id: Any = None, *, limit: int = 5
) -> list[HelpArticle]:
    """The articles the principal may read that best match the problem `text` describes.

    Relevance decides (full text: the words of the request's title and description); the reader's
    language comes first, and an article about the chosen service wins only between equal matches,
    so an unrelated article about the service never hides the one that answers the problem.
    Articles about the service that match no word fill the remaining places.
    """
    if service_id:
        try:
            service_id = uuid.UUID(str(service_id))
        except ValueError:
            raise DomainError(_("Unknown service."), code="invalid_service") from None
    articles = policy.visible(principal, HelpArticle).filter(published=True)
    found = search.search(articles, text, limit=limit * 4)
    language = principal.user.effective_language
    about: set[Any] = set()
    if service_id:
        about = set(
            HelpArticle.services.through.objects.filter(
                service_id=service_id, helparticle_id__in=[a.pk for a in found]
            ).values_list("helparticle_id", flat=True)
        )
    found.sort(key=lambda a: (a.language != language, -round(getattr(a, "rank", 0.0), 6), a.pk not in about))
    if service_id and len(found) < limit:
        extra = (
            articles.filter(services__id=service_id)
            .exclude(pk__in=[a.pk for a in found])
            .order_by("-updated_at")
        )
        found += list(extra[: limit - len(found)])
    return found[:limit]


def active_health_issues(service_ids: list[Any]) -> list[Any]:
    """Published, unresolved service-health issues for these services (health is a layer below)."""
    ids = [s for s in service_ids if s]
    if not ids:
        return []
    return list(active_issues_for_services(ids)[:10])


def recent_window() -> timedelta:
    return timedelta(days=7)
