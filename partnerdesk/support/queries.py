"""Read-side helpers shared by pages and the API: scoped querysets with what lists need joined,
queue filters, self-help look-ups and the permission-checked attachment download.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from django.db.models import BooleanField, ExpressionWrapper, F, Q, QuerySet
from django.http import FileResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from partnerdesk import uploads
from partnerdesk.access import policy, rules
from partnerdesk.access.permissions import OrgKind
from partnerdesk.access.principal import Principal
from partnerdesk.errors import DomainError
from partnerdesk.health.queries import active_issues_for_services
from partnerdesk.sql import BoundedCount, bounded_count
from partnerdesk.support import search, sla
from partnerdesk.support.models import (
    Attachment,
    HelpArticle,
    Message,
    PartnerFlag,
    ServiceRequest,
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


def _with_names_only(queryset: QuerySet[Any], related: tuple[str, ...]) -> QuerySet[Any]:
    """Every field of the listed model, but only the named fields of the rows it joins in.

    A queue page joins organizations and users, wide rows of which a list shows two or three fields:
    reading only those makes a 50-row page ~25% cheaper (bench/RESULTS.md, scenarios 3 and 4).
    """
    own = [field.name for field in queryset.model._meta.concrete_fields]
    return queryset.only(*own, *related)


def support_request_rows(principal: Principal) -> QuerySet[SupportRequest]:
    """`support_requests` for the API's list: what `support_out` shows of the joined rows."""
    return _with_names_only(
        support_requests(principal),
        ("customer__name", "partner__name", "service__name", "assignee__display_name", "assignee__email"),
    )


def service_request_rows(principal: Principal) -> QuerySet[ServiceRequest]:
    """`service_requests` for the API's list: what `service_out` shows of the joined rows."""
    return _with_names_only(
        service_requests(principal),
        (
            "topic__name",
            "partner__name",
            "customer__name",
            "service__name",
            "contact__display_name",
            "contact__email",
            "assignee__display_name",
            "assignee__email",
        ),
    )


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
    running = Q(paused_at__isnull=True)
    first = Q(first_response_at__isnull=True, first_response_due_at__isnull=False)
    if state == "breached":
        return running & ((first & Q(first_response_due_at__lte=now)) | Q(resolution_due_at__lte=now))
    if state == "near":
        soon = now + sla.near_window()
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
    assignee = filters.get("assignee", "")
    if assignee == "none":
        queryset = queryset.filter(assignee__isnull=True)
    else:
        queryset = _by_id(queryset, "assignee_id", assignee)
    if filters.get("sla") in ("breached", "near", "paused"):
        queryset = queryset.exclude(status__in=["resolved", "closed"]).filter(
            _sla_q(filters["sla"], timezone.now())
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
        queryset = queryset.exclude(status="closed").filter(_sla_q(filters["sla"], timezone.now()))
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


def _by_id(queryset: Any, field: str, value: str) -> Any:
    if not value:
        return queryset
    import uuid

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
