"""Service health: issues, their timeline of posts and revisions, the post-incident report, and each
service's status derived from its open published issues.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from partnerdesk.access.principal import Principal
from partnerdesk.audit import services as audit
from partnerdesk.catalog.models import Feature, Region, Service, ServiceStatus
from partnerdesk.errors import Conflict, DomainError
from partnerdesk.etags import next_version
from partnerdesk.health import changes as counters
from partnerdesk.health import emit
from partnerdesk.health.common import next_number, require_health_manage, required_text, services_by_id
from partnerdesk.health.models import (
    CLOSED_STATUSES,
    ISSUE_STATUSES,
    STATUS_SEVERITY,
    HealthIssue,
    HealthIssuePost,
    HealthIssueRevision,
    ServiceStatusChange,
)
from partnerdesk.health.rendering import render_markdown


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
    require_health_manage(principal)
    if classification not in HealthIssue.Classification.values:
        raise DomainError(_("Unknown classification."), code="invalid_classification")
    _check_status(status)
    services = services_by_id(service_ids)
    with transaction.atomic():
        counters.changed(counters.ISSUES)
        issue = HealthIssue.objects.create(
            number=next_number("HI"),
            classification=classification,
            status=status,
            title=required_text(title, _("Title")),
            impact_description=required_text(impact_description, _("User impact")),
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
    emit.issue("health_issue.published", issue)


def publish_issue(principal: Principal, issue: HealthIssue) -> HealthIssue:
    """Publish a draft issue: tenants entitled to its services see it from now on."""
    require_health_manage(principal)
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
    require_health_manage(principal)
    body = required_text(body, _("Text"))
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
        old_status = locked.status
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
        emit.issue_posted(locked, old_status)
    issue.status, issue.end_at, issue.last_modified_at = locked.status, locked.end_at, locked.last_modified_at
    return post


def revise_issue(
    principal: Principal, issue: HealthIssue, changes: dict[str, Any], *, note: str = ""
) -> HealthIssue:
    """Change an issue's title, impact, classification or dates; visible as a revision once published."""
    require_health_manage(principal)
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
                new = services_by_id(value)
                new_ids = {str(s.pk) for s in new}
                if new_ids != old_services:
                    before["services"], after["services"] = sorted(old_services), sorted(new_ids)
                    locked.services.set(new)
                continue
            if field in ("title", "impact_description"):
                value = required_text(value, field)
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
        if locked.is_published:
            emit.issue("health_issue.updated", locked)
    return locked


def publish_incident_report(principal: Principal, issue: HealthIssue, *, report: str) -> HealthIssue:
    """Attach the post-incident report; the issue moves to "post-incident review published"."""
    require_health_manage(principal)
    report = required_text(report, _("Report"))
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
