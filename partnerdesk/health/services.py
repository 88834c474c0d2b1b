"""Service health and Message center: the rules for publishing, and for each admin's own state.

Publishing is cheap whatever the audience: nothing is written per tenant. E-mails that follow a
publication are found and queued by the jobs in `partnerdesk.health.jobs`, once per person.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from partnerdesk import uploads
from partnerdesk.access.permissions import OrgKind, Permission, Role
from partnerdesk.access.principal import Principal
from partnerdesk.audit import services as audit
from partnerdesk.catalog.models import Feature, Region, Service, ServiceStatus
from partnerdesk.errors import Conflict, DomainError, NotFound
from partnerdesk.etags import next_version
from partnerdesk.health import changes as counters
from partnerdesk.health.models import (
    CLOSED_STATUSES,
    ISSUE_STATUSES,
    STATUS_SEVERITY,
    AdminPreference,
    DisplayNumber,
    FeedToken,
    HealthIssue,
    HealthIssuePost,
    HealthIssueRevision,
    MessageAttachment,
    MessagePost,
    MessageRevision,
    MessageViewState,
    PlannedMaintenance,
    ServiceStatusChange,
)
from partnerdesk.health.rendering import render_markdown

FIRST_NUMBER = 100000
MAX_EXTRA_EMAILS = 2
FEED_TOKEN_PREFIX = "pdf_"
# Customer roles that read Message center (and so are "admins" an audience reaches).
MESSAGE_READER_ROLES = (
    Role.GLOBAL_ADMIN,
    Role.SERVICE_SUPPORT_ADMIN,
    Role.MESSAGE_CENTER_READER,
    Role.PRIVACY_READER,
)


def next_number(kind: str) -> int:
    """Hand out the next display number of `kind` (MC, HI, MA); call inside a transaction."""
    DisplayNumber.objects.get_or_create(kind=kind, defaults={"last": FIRST_NUMBER - 1})
    counter = DisplayNumber.objects.select_for_update().get(kind=kind)
    counter.last += 1
    counter.save(update_fields=["last"])
    return counter.last


def _operator(principal: Principal) -> None:
    principal.require(Permission.HEALTH_MANAGE)


def _text(value: str, field: str) -> str:
    value = (value or "").strip()
    if not value:
        raise DomainError(_("%(field)s is required.") % {"field": field}, code="field_required")
    return value


def _services(ids: Iterable[uuid.UUID | str], *, required: bool = True) -> list[Service]:
    wanted = {str(i) for i in ids}
    try:
        found = list(Service.objects.filter(pk__in=wanted))
    except (ValueError, TypeError, ValidationError):
        raise DomainError(_("Unknown service."), code="unknown_service") from None
    if len(found) != len(wanted):
        raise DomainError(_("Unknown service."), code="unknown_service")
    if required and not found:
        raise DomainError(_("Choose at least one service."), code="services_required")
    return found


def refresh_service_status(service_ids: Iterable[uuid.UUID], *, issue: HealthIssue | None = None) -> None:
    """Re-derive each service's status from its open published issues (worst wins); log changes.

    Runs inside the transaction that changed an issue; the services are locked so two concurrent
    issue changes append their history in order.
    """
    for service in Service.objects.select_for_update().filter(pk__in=list(service_ids)).order_by("pk"):
        statuses = (
            HealthIssue.objects.filter(services=service, is_published=True)
            .exclude(status__in=CLOSED_STATUSES)
            .values_list("status", flat=True)
        )
        derived = max(
            statuses,
            key=lambda status: STATUS_SEVERITY.get(status, 0),
            default=ServiceStatus.SERVICE_OPERATIONAL,
        )
        if derived != service.status:
            Service.objects.filter(pk=service.pk).update(status=derived)
            ServiceStatusChange.objects.create(service=service, status=derived, issue=issue)


# --- Health issues --------------------------------------------------------------------------------

ISSUE_FIELDS = ["title", "impact_description", "classification", "start_at", "end_at", "status"]


def _check_status(status: str) -> str:
    if status not in ISSUE_STATUSES:
        raise DomainError(_("Unknown status: %(status)s.") % {"status": status}, code="invalid_status")
    return status


def create_issue(
    principal: Principal,
    *,
    title: str,
    impact_description: str,
    service_ids: Iterable[uuid.UUID | str],
    classification: str = HealthIssue.Classification.INCIDENT,
    status: str = ServiceStatus.INVESTIGATING,
    feature_ids: Iterable[uuid.UUID | str] = (),
    region_ids: Iterable[uuid.UUID | str] = (),
    start_at: datetime | None = None,
    first_post: str = "",
    publish: bool = False,
) -> HealthIssue:
    """Open an incident or advisory, as a draft or published at once."""
    _operator(principal)
    if classification not in HealthIssue.Classification.values:
        raise DomainError(_("Unknown classification."), code="invalid_classification")
    _check_status(status)
    services = _services(service_ids)
    with transaction.atomic():
        counters.changed(counters.ISSUES)
        issue = HealthIssue.objects.create(
            number=next_number("HI"),
            classification=classification,
            status=status,
            title=_text(title, _("Title")),
            impact_description=_text(impact_description, _("User impact")),
            start_at=start_at or timezone.now(),
            created_by=principal.user,
        )
        issue.services.set(services)
        if feature_ids:
            issue.features.set(Feature.objects.filter(pk__in=list(feature_ids), service__in=services))
        if region_ids:
            issue.regions.set(Region.objects.filter(pk__in=list(region_ids)))
        if first_post.strip():
            HealthIssuePost.objects.create(
                issue=issue,
                status=status,
                body=first_post.strip(),
                body_html=render_markdown(first_post.strip()),
                notifies=True,
                created_by=principal.user,
            )
        audit.record(
            principal,
            action="health_issue.created",
            target=issue,
            organization=None,
            after={**audit.snapshot(issue, ISSUE_FIELDS), "services": [str(s.pk) for s in services]},
        )
        if publish:
            _publish_issue(principal, issue)
    return issue


def _publish_issue(principal: Principal, issue: HealthIssue) -> None:
    now = timezone.now()
    won = HealthIssue.objects.filter(pk=issue.pk, is_published=False).update(
        is_published=True, published_at=now, last_modified_at=now, version=next_version()
    )
    if not won:
        raise Conflict(_("This issue is already published."), code="already_published")
    issue.is_published, issue.published_at, issue.last_modified_at = True, now, now
    HealthIssuePost.objects.filter(issue=issue, notifies=True).update(mail_pending=True)
    refresh_service_status(issue.services.values_list("pk", flat=True), issue=issue)
    audit.record(principal, action="health_issue.published", target=issue, organization=None)


def publish_issue(principal: Principal, issue: HealthIssue) -> HealthIssue:
    """Publish a draft issue: tenants entitled to its services see it from now on."""
    _operator(principal)
    with transaction.atomic():
        counters.changed(counters.ISSUES)
        _publish_issue(principal, issue)
    return issue


def add_issue_post(
    principal: Principal,
    issue: HealthIssue,
    *,
    body: str,
    status: str | None = None,
    notifies: bool = True,
    correction: bool = False,
) -> HealthIssuePost:
    """Append a timeline post, optionally moving the issue to a new status.

    A correction is a new post that says so: published posts are never edited.
    """
    _operator(principal)
    body = _text(body, _("Text"))
    with transaction.atomic():
        counters.changed(counters.ISSUES)
        locked = HealthIssue.objects.select_for_update().get(pk=issue.pk)
        new_status = _check_status(status) if status else locked.status
        now = timezone.now()
        post = HealthIssuePost.objects.create(
            issue=locked,
            kind=HealthIssuePost.Kind.CORRECTION if correction else HealthIssuePost.Kind.UPDATE,
            status=new_status,
            body=body,
            body_html=render_markdown(body),
            notifies=notifies,
            mail_pending=notifies and locked.is_published,
            created_by=principal.user,
        )
        before = audit.snapshot(locked, ["status", "end_at"])
        locked.status = new_status
        locked.last_modified_at = now
        if new_status in CLOSED_STATUSES and locked.end_at is None:
            locked.end_at = now
        elif new_status not in CLOSED_STATUSES:
            locked.end_at = None
        locked.save(update_fields=["status", "last_modified_at", "end_at"])
        if locked.is_published:
            refresh_service_status(locked.services.values_list("pk", flat=True), issue=locked)
        audit.record(
            principal,
            action="health_issue.posted",
            target=locked,
            organization=None,
            before=before,
            after={
                **audit.snapshot(locked, ["status", "end_at"]),
                "post": str(post.pk),
                "notifies": notifies,
            },
        )
    issue.status, issue.end_at, issue.last_modified_at = locked.status, locked.end_at, locked.last_modified_at
    return post


def revise_issue(
    principal: Principal, issue: HealthIssue, changes: dict[str, Any], *, note: str = ""
) -> HealthIssue:
    """Change an issue's title, impact, classification or dates; visible as a revision once published."""
    _operator(principal)
    allowed = {"title", "impact_description", "classification", "start_at", "end_at", "service_ids"}
    unknown = set(changes) - allowed
    if unknown:
        raise DomainError(
            _("You may not change: %(fields)s.") % {"fields": ", ".join(sorted(unknown))},
            code="field_not_allowed",
        )
    with transaction.atomic():
        counters.changed(counters.ISSUES)
        locked = HealthIssue.objects.select_for_update().get(pk=issue.pk)
        before: dict[str, Any] = {}
        after: dict[str, Any] = {}
        old_services = {str(pk) for pk in locked.services.values_list("pk", flat=True)}
        for field, value in changes.items():
            if field == "service_ids":
                new = _services(value)
                new_ids = {str(s.pk) for s in new}
                if new_ids != old_services:
                    before["services"], after["services"] = sorted(old_services), sorted(new_ids)
                    locked.services.set(new)
                continue
            if field in ("title", "impact_description"):
                value = _text(value, field)
            if field == "classification" and value not in HealthIssue.Classification.values:
                raise DomainError(_("Unknown classification."), code="invalid_classification")
            if getattr(locked, field) != value:
                before[field] = audit.snapshot(locked, [field])[field]
                setattr(locked, field, value)
                after[field] = audit.snapshot(locked, [field])[field]
        if not after:
            return locked
        locked.last_modified_at = timezone.now()
        locked.save()
        if locked.is_published:
            HealthIssueRevision.objects.create(
                issue=locked, before=before, after=after, note=note.strip(), created_by=principal.user
            )
            touched = old_services | {str(pk) for pk in locked.services.values_list("pk", flat=True)}
            refresh_service_status([uuid.UUID(pk) for pk in touched], issue=locked)
        audit.record(
            principal,
            action="health_issue.revised",
            target=locked,
            organization=None,
            before=before,
            after=after,
        )
    return locked


def publish_incident_report(principal: Principal, issue: HealthIssue, *, report: str) -> HealthIssue:
    """Attach the post-incident report; the issue moves to "post-incident review published"."""
    _operator(principal)
    report = _text(report, _("Report"))
    if not issue.is_published:
        raise Conflict(_("Publish the issue first."), code="not_published")
    with transaction.atomic():
        counters.changed(counters.ISSUES)
        locked = HealthIssue.objects.select_for_update().get(pk=issue.pk)
        now = timezone.now()
        before = audit.snapshot(locked, ["status", "incident_report"])
        locked.incident_report = report
        locked.incident_report_published_at = now
        locked.status = ServiceStatus.POST_INCIDENT_REVIEW_PUBLISHED
        locked.end_at = locked.end_at or now
        locked.last_modified_at = now
        locked.save()
        notice = _("The post-incident report is available.")
        HealthIssuePost.objects.create(
            issue=locked,
            kind=HealthIssuePost.Kind.REPORT,
            status=locked.status,
            body=notice,
            body_html=render_markdown(notice),
            notifies=True,
            mail_pending=True,
            created_by=principal.user,
        )
        refresh_service_status(locked.services.values_list("pk", flat=True), issue=locked)
        audit.record(
            principal,
            action="health_issue.report_published",
            target=locked,
            organization=None,
            before=before,
            after=audit.snapshot(locked, ["status", "incident_report"]),
        )
    return locked


# --- Planned maintenance --------------------------------------------------------------------------

DEFAULT_REMINDER_HOURS = [72, 24, 1]


def _reminders_already_past(hours: list[int], starts_at: datetime) -> list[int]:
    """Reminders not to send: all whose moment has passed except the nearest to the start.

    A window announced 30 minutes ahead gets its "1 h" reminder at once, not a stale "72 h" one too.
    """
    now = timezone.now()
    past = [h for h in hours if starts_at - timedelta(hours=h) <= now]
    return [h for h in past if h != min(past)]


def create_maintenance(
    principal: Principal,
    *,
    title: str,
    description: str,
    service_ids: Iterable[uuid.UUID | str],
    starts_at: datetime,
    ends_at: datetime,
    reminder_hours: list[int] | None = None,
) -> PlannedMaintenance:
    """Schedule a maintenance window; the worker reminds, starts and ends it."""
    _operator(principal)
    if ends_at <= starts_at:
        raise DomainError(_("The window must end after it starts."), code="invalid_window")
    hours = sorted(
        {int(h) for h in (DEFAULT_REMINDER_HOURS if reminder_hours is None else reminder_hours)}, reverse=True
    )
    if any(h <= 0 for h in hours):
        raise DomainError(_("Reminders are whole hours before the start."), code="invalid_reminders")
    services = _services(service_ids)
    with transaction.atomic():
        maintenance = PlannedMaintenance.objects.create(
            number=next_number("MA"),
            title=_text(title, _("Title")),
            description=description.strip(),
            starts_at=starts_at,
            ends_at=ends_at,
            reminder_hours=hours,
            reminders_sent=_reminders_already_past(hours, starts_at),
            created_by=principal.user,
        )
        maintenance.services.set(services)
        audit.record(
            principal,
            action="maintenance.created",
            target=maintenance,
            organization=None,
            after={**audit.snapshot(maintenance, ["title", "starts_at", "ends_at"])},
        )
    return maintenance


def reschedule_maintenance(
    principal: Principal, maintenance: PlannedMaintenance, *, starts_at: datetime, ends_at: datetime
) -> PlannedMaintenance:
    """Move a scheduled window; subscribers are told, and reminders restart for the new time."""
    _operator(principal)
    if ends_at <= starts_at:
        raise DomainError(_("The window must end after it starts."), code="invalid_window")
    with transaction.atomic():
        locked = PlannedMaintenance.objects.select_for_update().get(pk=maintenance.pk)
        if locked.status != PlannedMaintenance.Status.SCHEDULED:
            raise Conflict(_("Only a scheduled window can be moved."), code="not_scheduled")
        before = audit.snapshot(locked, ["starts_at", "ends_at"])
        now = timezone.now()
        locked.starts_at, locked.ends_at, locked.last_modified_at = starts_at, ends_at, now
        locked.reminders_sent = _reminders_already_past(locked.reminder_hours, starts_at)
        locked.save()
        _queue_maintenance_mail(locked, event="rescheduled")
        audit.record(
            principal,
            action="maintenance.rescheduled",
            target=locked,
            organization=None,
            before=before,
            after=audit.snapshot(locked, ["starts_at", "ends_at"]),
        )
    return locked


def cancel_maintenance(principal: Principal, maintenance: PlannedMaintenance) -> PlannedMaintenance:
    """Cancel a scheduled window and tell subscribers."""
    _operator(principal)
    with transaction.atomic():
        won = PlannedMaintenance.objects.filter(
            pk=maintenance.pk, status=PlannedMaintenance.Status.SCHEDULED
        ).update(status=PlannedMaintenance.Status.CANCELLED, last_modified_at=timezone.now())
        if not won:
            raise Conflict(_("Only a scheduled window can be cancelled."), code="not_scheduled")
        locked = PlannedMaintenance.objects.get(pk=maintenance.pk)
        _queue_maintenance_mail(locked, event="cancelled")
        audit.record(
            principal,
            action="maintenance.cancelled",
            target=locked,
            organization=None,
            before={"status": "scheduled"},
            after={"status": "cancelled"},
        )
    return locked


def _queue_maintenance_mail(maintenance: PlannedMaintenance, *, event: str) -> int:
    from partnerdesk.health import mail

    return mail.mail_maintenance(maintenance, event=event)


# --- Message center -------------------------------------------------------------------------------


@dataclass(frozen=True)
class AudienceSpec:
    """Who a post is for: all, tenants entitled to services, one partner's customers, or a list."""

    type: str
    service_ids: tuple[str, ...] = ()
    partner_id: str | None = None
    customer_ids: tuple[str, ...] = ()
    # The services the post is about: only tenants entitled to one of them are reached.
    named_service_ids: tuple[str, ...] = ()


def _resolve_audience(spec: AudienceSpec) -> tuple[list[Service], Any, list[Any]]:
    from partnerdesk.tenancy.models import Organization

    if spec.type not in MessagePost.Audience.values:
        raise DomainError(_("Unknown audience type."), code="invalid_audience")
    services: list[Service] = []
    partner = None
    customers: list[Any] = []
    if spec.type == MessagePost.Audience.SERVICES:
        services = _services(spec.service_ids)
    elif spec.type == MessagePost.Audience.PARTNER_CUSTOMERS:
        try:
            if not spec.partner_id:
                raise ValueError
            partner = Organization.objects.get(pk=str(spec.partner_id), kind=OrgKind.PARTNER)
        except (Organization.DoesNotExist, ValueError, TypeError, ValidationError):
            raise DomainError(_("Unknown partner."), code="unknown_partner") from None
    elif spec.type == MessagePost.Audience.TENANTS:
        wanted = {str(i) for i in spec.customer_ids}
        try:
            customers = list(Organization.objects.filter(pk__in=wanted, kind=OrgKind.CUSTOMER))
        except (ValueError, TypeError, ValidationError):
            customers = []
        if not wanted or len(customers) != len(wanted):
            raise DomainError(_("Unknown or missing tenants."), code="unknown_tenant")
    return services, partner, customers


def audience_customers(spec_or_post: AudienceSpec | MessagePost) -> Any:
    """The tenants an audience reaches, as a queryset (used for counts, previews and mailing)."""
    from partnerdesk.subscriptions.queries import ENTITLING_STATUSES
    from partnerdesk.tenancy.models import Organization

    customers = Organization.objects.filter(kind=OrgKind.CUSTOMER)
    if isinstance(spec_or_post, MessagePost):
        post = spec_or_post
        kind = post.audience
        service_ids: Any = post.audience_services.values("pk")
        partner_id = post.audience_partner_id
        listed: Any = post.audience_customers.values("pk")
        named_service_ids: Any = list(post.services.values_list("pk", flat=True))
    else:
        services, partner, listed_rows = _resolve_audience(spec_or_post)
        kind = spec_or_post.type
        service_ids = [s.pk for s in services]
        partner_id = partner.pk if partner else None
        listed = [c.pk for c in listed_rows]
        named_service_ids = [s.pk for s in _services(spec_or_post.named_service_ids, required=False)]
    from partnerdesk.subscriptions.models import Subscription

    def entitled_to(ids: Any) -> Exists:
        return Exists(
            Subscription.objects.filter(
                customer_id=OuterRef("pk"), status__in=ENTITLING_STATUSES, offer__sku__services__in=ids
            )
        )

    # A post that names services concerns only tenants entitled to one of them (see queries._concerns).
    if named_service_ids:
        customers = customers.filter(entitled_to(named_service_ids))
    if kind == MessagePost.Audience.ALL:
        return customers
    if kind == MessagePost.Audience.SERVICES:
        return customers.filter(entitled_to(service_ids))
    if kind == MessagePost.Audience.PARTNER_CUSTOMERS:
        return customers.filter(partner_id=partner_id)
    return customers.filter(pk__in=listed)


@dataclass(frozen=True)
class Reach:
    tenants: int
    admins: int


def audience_reach(spec_or_post: AudienceSpec | MessagePost) -> Reach:
    """How many tenants and Message center admins an audience reaches (two counting queries)."""
    from partnerdesk.accounts.models import User

    customers = audience_customers(spec_or_post)
    admins = (
        User.objects.filter(
            organization__in=customers.values("pk"), role_assignments__role__in=MESSAGE_READER_ROLES
        )
        .distinct()
        .count()
    )
    return Reach(tenants=customers.count(), admins=admins)


MESSAGE_FIELDS = ["title", "body", "category", "severity", "is_major_change", "act_by", "expires_at", "tags"]


def _clean_tags(tags: Iterable[str]) -> str:
    tags = list(tags)
    unknown = set(tags) - set(MessagePost.Tag.values)
    if unknown:
        raise DomainError(
            _("Unknown tag: %(tags)s.") % {"tags": ", ".join(sorted(unknown))}, code="invalid_tag"
        )
    return MessagePost.join_tags(tags)


def create_message(
    principal: Principal,
    *,
    title: str,
    body: str,
    category: str,
    audience: AudienceSpec,
    severity: str = MessagePost.Severity.NORMAL,
    is_major_change: bool = False,
    act_by: date | None = None,
    service_ids: Iterable[uuid.UUID | str] = (),
    tags: Iterable[str] = (),
    expires_at: datetime | None = None,
    publish: bool = False,
    publish_at: datetime | None = None,
) -> MessagePost:
    """Write a Message center post: a draft, scheduled for `publish_at`, or published at once.

    The audience is stored as a rule, never expanded: the cost is the same for 10 or 100,000 tenants.
    """
    _operator(principal)
    if category not in MessagePost.Category.values:
        raise DomainError(_("Unknown category."), code="invalid_category")
    if severity not in MessagePost.Severity.values:
        raise DomainError(_("Unknown severity."), code="invalid_severity")
    audience_services, partner, customers = _resolve_audience(audience)
    services = _services(service_ids, required=False)
    title, body = _text(title, _("Title")), _text(body, _("Body"))
    with transaction.atomic():
        counters.changed(counters.MESSAGES)
        counters.expires(expires_at)
        post = MessagePost.objects.create(
            number=next_number("MC"),
            title=title,
            body=body,
            body_html=render_markdown(body),
            category=category,
            severity=severity,
            is_major_change=is_major_change,
            act_by=act_by,
            tags=_clean_tags(tags),
            expires_at=expires_at,
            audience=audience.type,
            audience_partner=partner,
            created_by=principal.user,
        )
        post.services.set(services)
        post.audience_services.set(audience_services)
        post.audience_customers.set(customers)
        audit.record(
            principal,
            action="message.created",
            target=post,
            organization=None,
            after={**audit.snapshot(post, MESSAGE_FIELDS), "audience": audience.type},
        )
        if publish:
            _publish_message(principal, post)
        elif publish_at is not None:
            MessagePost.objects.filter(pk=post.pk).update(
                status=MessagePost.Status.SCHEDULED, publish_at=publish_at, version=next_version()
            )
            post.status, post.publish_at = MessagePost.Status.SCHEDULED, publish_at
    return post


def _publish_message(principal: Principal | None, post: MessagePost) -> bool:
    now = timezone.now()
    won = MessagePost.objects.filter(
        pk=post.pk, status__in=[MessagePost.Status.DRAFT, MessagePost.Status.SCHEDULED]
    ).update(
        status=MessagePost.Status.PUBLISHED,
        published_at=now,
        last_modified_at=now,
        mail_pending=True,
        version=next_version(),
    )
    if not won:
        return False
    post.status, post.published_at, post.last_modified_at = MessagePost.Status.PUBLISHED, now, now
    post.mail_pending = True
    audit.record(principal, action="message.published", target=post, organization=None)
    return True


def publish_message(principal: Principal, post: MessagePost) -> MessagePost:
    """Publish a draft or scheduled post now."""
    _operator(principal)
    with transaction.atomic():
        counters.changed(counters.MESSAGES)
        if not _publish_message(principal, post):
            raise Conflict(_("This post is already published."), code="already_published")
    return post


def publish_scheduled_messages() -> int:
    """Publish every scheduled post whose time has come (the worker's job; safe to run twice)."""
    published = 0
    due = MessagePost.objects.filter(status=MessagePost.Status.SCHEDULED, publish_at__lte=timezone.now())
    for post in due:
        with transaction.atomic():
            counters.changed(counters.MESSAGES)
            published += _publish_message(None, post)
    return published


def revise_message(
    principal: Principal,
    post: MessagePost,
    changes: dict[str, Any],
    *,
    note: str = "",
    notifies: bool = False,
) -> MessagePost:
    """Change a post. Once published, the earlier text is kept as a visible revision that says
    whether this change notified; a notifying revision marks the post unread for everyone again.
    """
    _operator(principal)
    allowed = set(MESSAGE_FIELDS) | {"service_ids"}
    unknown = set(changes) - allowed
    if unknown:
        raise DomainError(
            _("You may not change: %(fields)s.") % {"fields": ", ".join(sorted(unknown))},
            code="field_not_allowed",
        )
    with transaction.atomic():
        counters.changed(counters.MESSAGES)
        locked = MessagePost.objects.select_for_update().get(pk=post.pk)
        before = audit.snapshot(locked, MESSAGE_FIELDS)
        old_title, old_body, old_body_html = locked.title, locked.body, locked.body_html
        for field, value in changes.items():
            if field == "service_ids":
                locked.services.set(_services(value, required=False))
                continue
            if field in ("title", "body"):
                value = _text(value, field)
            if field == "body":
                locked.body_html = render_markdown(value)
            if field == "tags":
                value = _clean_tags(value)
            if field == "category" and value not in MessagePost.Category.values:
                raise DomainError(_("Unknown category."), code="invalid_category")
            if field == "severity" and value not in MessagePost.Severity.values:
                raise DomainError(_("Unknown severity."), code="invalid_severity")
            setattr(locked, field, value)
        locked.last_modified_at = timezone.now()
        if locked.status == MessagePost.Status.PUBLISHED:
            locked.revision += 1
            MessageRevision.objects.create(
                message=locked,
                revision=locked.revision,
                title=old_title,
                body=old_body,
                body_html=old_body_html,
                note=note.strip(),
                notifies=notifies,
                created_by=principal.user,
            )
            if notifies:
                locked.mail_pending = True
                # The change is news again: everyone sees it as unread (one UPDATE, any audience size).
                MessageViewState.objects.filter(message=locked, is_read=True).update(
                    is_read=False, updated_at=locked.last_modified_at
                )
        locked.save()
        counters.expires(locked.expires_at)
        audit.record(
            principal,
            action="message.revised",
            target=locked,
            organization=None,
            before=before,
            after={**audit.snapshot(locked, MESSAGE_FIELDS), "notifies": notifies},
        )
    return locked


def add_attachment(principal: Principal, post: MessagePost, upload: UploadedFile) -> MessageAttachment:
    """Attach a file to a post, checked and stored as support's attachments are (`uploads`)."""
    _operator(principal)
    checked = uploads.check(upload)
    with transaction.atomic():
        counters.changed(counters.MESSAGES)
        attachment = MessageAttachment(
            message=post,
            name=checked.filename,
            content_type=checked.content_type,
            size=checked.size,
            uploaded_by=principal.user,
        )
        attachment.file.save(checked.filename, upload, save=False)
        attachment.save()
        audit.record(
            principal,
            action="message.attachment_added",
            target=post,
            organization=None,
            after={"attachment": str(attachment.pk), "name": attachment.name, "size": attachment.size},
        )
    return attachment


# --- Per-user view state --------------------------------------------------------------------------

STATE_ACTIONS: dict[str, tuple[str, bool]] = {
    "mark_read": ("is_read", True),
    "mark_unread": ("is_read", False),
    "archive": ("is_archived", True),
    "unarchive": ("is_archived", False),
    "favorite": ("is_favorited", True),
    "unfavorite": ("is_favorited", False),
}


def set_view_state(principal: Principal, message_ids: Iterable[uuid.UUID | str], action: str) -> int:
    """Mark posts read/unread, archived/restored, favourite or not, for the caller only.

    Every id must be a post the caller can see (another audience's post is NotFound). Writes one row
    per (user, post) the caller touched, nothing for anyone else.
    """
    from partnerdesk.access import policy

    principal.require(Permission.MESSAGES_VIEW)
    if action not in STATE_ACTIONS:
        raise DomainError(_("Unknown action."), code="invalid_action")
    field, value = STATE_ACTIONS[action]
    wanted: set[str] = set()
    for raw in message_ids:
        wanted.add(str(raw))
    if not wanted:
        raise DomainError(_("Name at least one post."), code="no_messages")
    try:
        posts = list(
            policy.visible(principal, MessagePost).filter(
                Q(pk__in=_uuids(wanted)) | Q(number__in=_numbers(wanted))
            )
        )
    except (ValueError, TypeError):
        raise NotFound(_("Not found.")) from None
    if len(posts) != len(wanted):
        raise NotFound(_("Not found."))
    now = timezone.now()
    with transaction.atomic():
        counters.changed(counters.state_of(principal.user.pk))
        for post in posts:
            state, created = MessageViewState.objects.select_for_update().get_or_create(
                user=principal.user, message=post, defaults={field: value, "updated_at": now}
            )
            if not created and getattr(state, field) != value:
                MessageViewState.objects.filter(pk=state.pk).update(**{field: value, "updated_at": now})
    return len(posts)


def _uuids(values: set[str]) -> list[uuid.UUID]:
    found = []
    for value in values:
        try:
            found.append(uuid.UUID(value))
        except ValueError:
            continue
    return found


def _numbers(values: set[str]) -> list[int]:
    return [int(v[2:]) for v in values if v.upper().startswith("MC") and v[2:].isdigit()]


# --- Preferences and the feed ---------------------------------------------------------------------


def preferences_for(user: Any) -> AdminPreference:
    """Return a user's preferences (defaults when never saved: weekly digest on, nothing immediate)."""
    try:
        return AdminPreference.objects.get(user=user)
    except AdminPreference.DoesNotExist:
        return AdminPreference(user=user)


def update_preferences(
    principal: Principal,
    *,
    service_ids: Iterable[uuid.UUID | str] = (),
    weekly_digest: bool = True,
    email_major_changes: bool = False,
    email_data_privacy: bool = False,
    email_health_issues: bool = False,
    health_service_ids: Iterable[uuid.UUID | str] = (),
    extra_emails: Iterable[str] = (),
) -> AdminPreference:
    """Save the caller's own Message center and health preferences (up to two extra addresses)."""
    from django.core.validators import validate_email

    from partnerdesk.access import policy

    principal.require(Permission.MESSAGES_VIEW)
    addresses = [a.strip() for a in extra_emails if a and a.strip()]
    if len(addresses) > MAX_EXTRA_EMAILS:
        raise DomainError(_("At most two extra addresses."), code="too_many_addresses")
    for address in addresses:
        try:
            validate_email(address)
        except ValidationError:
            raise DomainError(_("Enter a valid e-mail address."), code="invalid_email") from None
    visible_services = policy.visible(principal, Service)
    services = list(visible_services.filter(pk__in=[str(s) for s in service_ids]))
    health_services = list(visible_services.filter(pk__in=[str(s) for s in health_service_ids]))
    if email_data_privacy and not principal.has(Permission.MESSAGES_PRIVACY):
        email_data_privacy = False
    with transaction.atomic():
        preference, _created = AdminPreference.objects.select_for_update().get_or_create(user=principal.user)
        before = audit.snapshot(
            preference,
            [
                "weekly_digest",
                "email_major_changes",
                "email_data_privacy",
                "email_health_issues",
                "extra_emails",
            ],
        )
        preference.weekly_digest = weekly_digest
        preference.email_major_changes = email_major_changes
        preference.email_data_privacy = email_data_privacy
        preference.email_health_issues = email_health_issues
        preference.extra_emails = addresses
        preference.updated_at = timezone.now()
        preference.save()
        preference.services.set(services)
        preference.health_services.set(health_services)
        audit.record(
            principal,
            action="health_preferences.updated",
            target=preference,
            organization=principal.organization,
            before=before,
            after=audit.snapshot(
                preference,
                [
                    "weekly_digest",
                    "email_major_changes",
                    "email_data_privacy",
                    "email_health_issues",
                    "extra_emails",
                ],
            ),
        )
    return preference


def hash_feed_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@dataclass(frozen=True)
class NewFeedToken:
    token: FeedToken
    raw: str


def create_feed_token(principal: Principal) -> NewFeedToken:
    """Make a new secret feed URL for the caller's tenant (shown once; revoke it any time)."""
    principal.require(Permission.HEALTH_FEED_MANAGE)
    raw = FEED_TOKEN_PREFIX + secrets.token_urlsafe(24)
    with transaction.atomic():
        token = FeedToken.objects.create(
            organization=principal.organization,
            prefix=raw[:10],
            token_hash=hash_feed_token(raw),
            created_by=principal.user,
        )
        audit.record(
            principal, action="feed_token.created", target=token, organization=principal.organization
        )
    return NewFeedToken(token=token, raw=raw)


def revoke_feed_token(principal: Principal, token: FeedToken) -> None:
    """Stop a feed URL working at once."""
    principal.require(Permission.HEALTH_FEED_MANAGE)
    if token.organization_id != principal.organization.pk:
        raise NotFound(_("Not found."))
    with transaction.atomic():
        won = FeedToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
        if not won:
            raise Conflict(_("This feed link is already revoked."), code="already_revoked")
        audit.record(
            principal, action="feed_token.revoked", target=token, organization=principal.organization
        )


def organization_for_feed(raw: str) -> Any:
    """The tenant a feed token belongs to, or None when unknown or revoked."""
    try:
        token = FeedToken.objects.select_related("organization").get(
            token_hash=hash_feed_token(raw), revoked_at__isnull=True
        )
    except FeedToken.DoesNotExist:
        return None
    return token.organization
