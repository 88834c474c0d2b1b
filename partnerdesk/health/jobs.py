"""Service health and Message center jobs: scheduled publishing, maintenance, e-mails, digests.

Each is idempotent: a conditional UPDATE or a once-per-person `MailDelivery` row marks what was
handled, so a second run or a second worker does nothing.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from partnerdesk.audit import services as audit
from partnerdesk.health import mail
from partnerdesk.health.message_center import publish_scheduled_messages
from partnerdesk.health.models import PlannedMaintenance
from partnerdesk.notifications.jobs import periodic


@periodic("health.publish_scheduled", every=timedelta(minutes=1))
def publish_scheduled() -> None:
    """Publish the Message center posts whose scheduled time has come."""
    publish_scheduled_messages()


@periodic("health.mail_pending", every=timedelta(minutes=1))
def mail_pending() -> None:
    """E-mail notifying issue posts and new or revised posts to the admins who asked for them."""
    mail.mail_pending()


def _transition(maintenance_id: uuid.UUID, *, from_status: str, to_status: str, event: str) -> bool:
    with transaction.atomic():
        won = PlannedMaintenance.objects.filter(pk=maintenance_id, status=from_status).update(
            status=to_status, last_modified_at=timezone.now()
        )
        if not won:
            return False
        maintenance = PlannedMaintenance.objects.get(pk=maintenance_id)
        audit.record(
            None,
            action=f"maintenance.{event}",
            target=maintenance,
            organization=None,
            before={"status": from_status},
            after={"status": to_status},
        )
        mail.mail_maintenance(maintenance, event=event)
    return True


@periodic("health.maintenance", every=timedelta(minutes=1))
def run_maintenance() -> None:
    """Send due reminders, start windows that began and end windows that are over."""
    now = timezone.now()
    scheduled = PlannedMaintenance.objects.filter(status=PlannedMaintenance.Status.SCHEDULED)
    for maintenance in scheduled.filter(starts_at__lte=now + timedelta(hours=200)):
        for hours in maintenance.reminder_hours:
            if hours in maintenance.reminders_sent or maintenance.starts_at - timedelta(hours=hours) > now:
                continue
            with transaction.atomic():
                locked = PlannedMaintenance.objects.select_for_update().get(pk=maintenance.pk)
                if hours in locked.reminders_sent or locked.status != PlannedMaintenance.Status.SCHEDULED:
                    continue
                locked.reminders_sent = [*locked.reminders_sent, hours]
                locked.save(update_fields=["reminders_sent"])
                mail.mail_maintenance(locked, event=f"reminder_{hours}h")
    for pk in scheduled.filter(starts_at__lte=now).values_list("pk", flat=True):
        _transition(
            pk,
            from_status=PlannedMaintenance.Status.SCHEDULED,
            to_status=PlannedMaintenance.Status.IN_PROGRESS,
            event="started",
        )
    in_progress = PlannedMaintenance.objects.filter(
        status=PlannedMaintenance.Status.IN_PROGRESS, ends_at__lte=now
    )
    for pk in in_progress.values_list("pk", flat=True):
        _transition(
            pk,
            from_status=PlannedMaintenance.Status.IN_PROGRESS,
            to_status=PlannedMaintenance.Status.COMPLETED,
            event="completed",
        )


@periodic("health.weekly_digest", every=timedelta(hours=1))
def weekly_digest() -> None:
    """Send this ISO week's digest to admins who have not had it yet.

    The first run of each week (Monday, shortly after midnight UTC) sends it; later runs only reach
    admins added since, because the digest is keyed by the ISO week.
    """
    mail.send_weekly_digests()
