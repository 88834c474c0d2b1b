"""Reminders that a delegated relationship expires, 30 and 7 days before, to both sides (ADR 0015),
and the `relationship.expired` event when it has.

The partner's global admins and the customer's global admins are told, each in their language and
time zone, once per relationship, threshold and expiry however many workers run the job: the
`SentNotice` row is claimed in the transaction that queues the mails. A relationship given a new
expiry is reminded again.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone

from partnerdesk.access.permissions import ROLE_LABELS, Role
from partnerdesk.accounts.services import notice_recipients, queue_notice
from partnerdesk.notifications.models import SentNotice
from partnerdesk.notifications.services import claim_notice, threshold_windows
from partnerdesk.sql import keyset_batches
from partnerdesk.tenancy.models import DelegatedRelationship
from partnerdesk.tenancy.services import emit_relationship

if TYPE_CHECKING:
    from partnerdesk.accounts.models import User

# Days before the expiry; only the nearest one that has come fires (`threshold_windows`).
THRESHOLDS = (30, 7)
OBJECT_TYPE = "relationship"
BATCH = 200
# A relationship that expired longer ago than this when the job first sees it (an install upgrading, a
# worker stopped for weeks) is not announced any more: the event says what just happened.
EXPIRED_ANNOUNCED_WITHIN = timedelta(days=7)


def send_due(now: datetime | None = None) -> int:
    """Queue the expiry reminders that are due; return how many relationships were reminded."""
    now = now or timezone.now()
    sent = 0
    for days, nearer, farther in threshold_windows(THRESHOLDS):
        kind = f"expiring_{days}"
        notices = SentNotice.objects.filter(
            object_type=OBJECT_TYPE, object_id=OuterRef("pk"), kind=kind, due_at=OuterRef("expires_at")
        )
        due = (
            DelegatedRelationship.objects.filter(
                status=DelegatedRelationship.Status.ACTIVE,
                expires_at__gt=now + nearer,
                expires_at__lte=now + farther,
                # The reminder's moment falls after the customer accepted: a 10-day relationship gets
                # no "expires in 30 days".
                decided_at__lt=F("expires_at") - farther,
            )
            .exclude(Exists(notices))
            .select_related("partner", "customer")
        )
        for batch in keyset_batches(due, "expires_at", size=BATCH):
            people = {
                **notice_recipients({r.customer_id for r in batch}, {Role.GLOBAL_ADMIN}),
                **notice_recipients({r.partner_id for r in batch}, {Role.PARTNER_GLOBAL_ADMIN}),
            }
            for relationship in batch:
                sent += _notify(relationship, kind, people)
    return sent


def _notify(relationship: DelegatedRelationship, kind: str, people: dict[Any, list[User]]) -> int:
    """Claim the notice and queue its mails to both sides in one transaction; 0 if already sent."""
    assert relationship.expires_at is not None
    with transaction.atomic():
        if not claim_notice(
            object_type=OBJECT_TYPE, object_id=relationship.pk, kind=kind, due_at=relationship.expires_at
        ):
            return 0
        context = {
            "relationship": relationship.name,
            "partner": relationship.partner.name,
            "customer": relationship.customer.name,
            # Lazy labels: each mail shows them in its recipient's language.
            "roles": [ROLE_LABELS.get(Role(role), role) for role in relationship.roles],
            "when": relationship.expires_at,
        }
        queue_notice(
            people.get(relationship.customer_id, []),
            template="tenancy_relationship_expiring",
            context={**context, "link": f"{settings.SITE_URL}/admin/relationships/"},
            kind=f"tenancy.relationship_{kind}",
        )
        queue_notice(
            people.get(relationship.partner_id, []),
            template="tenancy_relationship_expiring",
            context={**context, "for_partner": True, "link": f"{settings.SITE_URL}/partner/relationships/"},
            kind=f"tenancy.relationship_{kind}",
        )
    return 1


def announce_expired(now: datetime | None = None) -> int:
    """Emit `relationship.expired` once for each accepted relationship whose expiry has come.

    The row keeps its status (expiry is read from `expires_at`), so "once" is a claimed `SentNotice`
    for the relationship and its expiry, in the event's own transaction, however many workers run
    this; a relationship given a new expiry that then passes is announced again.
    """
    now = now or timezone.now()
    notices = SentNotice.objects.filter(
        object_type=OBJECT_TYPE, object_id=OuterRef("pk"), kind="expired", due_at=OuterRef("expires_at")
    )
    due = DelegatedRelationship.objects.filter(
        status=DelegatedRelationship.Status.ACTIVE,
        expires_at__lte=now,
        expires_at__gt=now - EXPIRED_ANNOUNCED_WITHIN,
    ).exclude(Exists(notices))
    announced = 0
    for batch in keyset_batches(due, "expires_at", size=BATCH):
        for relationship in batch:
            assert relationship.expires_at is not None
            with transaction.atomic():
                if claim_notice(
                    object_type=OBJECT_TYPE,
                    object_id=relationship.pk,
                    kind="expired",
                    due_at=relationship.expires_at,
                ):
                    emit_relationship("relationship.expired", relationship, status="expired")
                    announced += 1
    return announced
