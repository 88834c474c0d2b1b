"""Planned maintenance: a window, its reminders, rescheduling and cancelling.

The start, the end and the reminders are mailed by the jobs in `partnerdesk.health.jobs`.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from partnerdesk.access.principal import Principal
from partnerdesk.audit import services as audit
from partnerdesk.errors import Conflict, DomainError
from partnerdesk.health.common import next_number, require_health_manage, required_text, services_by_id
from partnerdesk.health.models import (
    PlannedMaintenance,
)

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
    require_health_manage(principal)
    if ends_at <= starts_at:
        raise DomainError(_("The window must end after it starts."), code="invalid_window")
    hours = sorted(
        {int(h) for h in (DEFAULT_REMINDER_HOURS if reminder_hours is None else reminder_hours)}, reverse=True
    )
    if any(h <= 0 for h in hours):
        raise DomainError(_("Reminders are whole hours before the start."), code="invalid_reminders")
    services = services_by_id(service_ids)
    with transaction.atomic():
        maintenance = PlannedMaintenance.objects.create(
            number=next_number("MA"),
            title=required_text(title, _("Title")),
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
    require_health_manage(principal)
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
    require_health_manage(principal)
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
