"""Lifecycle mails of subscriptions, to the customer's global admins and billing contact and to the
partner's global and billing admins (ADR 0015):

- 30 and 7 days before the term ends: it renews (what, how many seats, for which term, on which date)
  or, with auto-renew off, it ends;
- when it is suspended, reactivated or expires (queued in the change's own transaction);
- 30 and 7 days before the data of a suspended or expired subscription is deleted.

Each is sent once per subscription, kind and due time, however many workers run the job: the
`SentNotice` row is claimed in the transaction that queues the mails. The due time is in the key, so
a new term or a new suspension fires its reminders again. A cancelled subscription gets none.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone

from partnerdesk.access.permissions import Role
from partnerdesk.accounts.services import notice_recipients, queue_notice
from partnerdesk.catalog.models import Offer
from partnerdesk.notifications.models import SentNotice
from partnerdesk.notifications.services import claim_notice, queue_mail, threshold_windows
from partnerdesk.sql import keyset_batches
from partnerdesk.subscriptions.common import retention
from partnerdesk.subscriptions.models import Subscription

# Days before the due time; only the nearest one that has come fires (`threshold_windows`).
THRESHOLDS = (30, 7)
CUSTOMER_ROLES = frozenset({Role.GLOBAL_ADMIN})
PARTNER_ROLES = frozenset({Role.PARTNER_GLOBAL_ADMIN, Role.BILLING_ADMIN})
# The kind of a change mail, by the audit action of the change.
CHANGES = {
    "subscription.suspended": "suspended",
    "subscription.reactivated": "reactivated",
    "subscription.expired": "expired",
}
OBJECT_TYPE = "subscription"
BATCH = 200


def send_due(now: datetime | None = None) -> int:
    """Queue every term-end reminder and data-deletion warning that is due; return how many notices."""
    now = now or timezone.now()
    sent = 0
    for days, nearer, farther in threshold_windows(THRESHOLDS):
        for auto_renew, kind in ((True, "renewal"), (False, "ending")):
            due = Subscription.objects.filter(
                status=Subscription.Status.ACTIVE,
                auto_renew=auto_renew,
                term_end__gt=now + nearer,
                term_end__lte=now + farther,
                # The reminder's moment falls inside the term: no "renews in 30 days" on buying a
                # monthly subscription.
                term_start__lt=F("term_end") - farther,
            )
            due = _not_sent(due, f"{kind}_{days}", "term_end")
            for batch in keyset_batches(_loaded(due), "term_end", size=BATCH):
                sent += _notify_batch(batch, f"{kind}_{days}", "term_end", days=days)
        sent += _deletion_warnings(now, days, nearer, farther)
    return sent


def _deletion_warnings(now: datetime, days: int, nearer: timedelta, farther: timedelta) -> int:
    """Warn about data deleted within the window (`renewals.delete_data_due` deletes it then).

    The deletion follows from when the suspension or expiry began (`status_changed_at` + retention),
    so the notice is keyed by that moment. A suspended subscription whose term ends first expires
    then and starts a new clock: it is warned about after it expired.
    """
    if retention() <= farther:
        return 0
    due = Subscription.objects.filter(
        Q(status=Subscription.Status.EXPIRED)
        | Q(status=Subscription.Status.SUSPENDED, term_end__gte=F("status_changed_at") + retention()),
        data_deleted_at__isnull=True,
        status_changed_at__gt=now + nearer - retention(),
        status_changed_at__lte=now + farther - retention(),
    )
    kind = f"deletion_{days}"
    due = _not_sent(due, kind, "status_changed_at")
    sent = 0
    for batch in keyset_batches(_loaded(due), "status_changed_at", size=BATCH):
        sent += _notify_batch(batch, kind, "status_changed_at", days=days, critical=True)
    return sent


def status_changed(subscription: Subscription, *, action: str, at: datetime) -> int:
    """Queue the mails of a suspension, reactivation or expiry; call in the change's transaction.

    Any other change (a cancellation) mails nothing here.
    """
    kind = CHANGES.get(action)
    if kind is None:
        return 0
    loaded = _loaded(Subscription.objects.filter(pk=subscription.pk)).get()
    return _notify(loaded, kind, at, _people([loaded]), days=0)


def _not_sent(due: QuerySet[Subscription], kind: str, field: str) -> QuerySet[Subscription]:
    sent = SentNotice.objects.filter(
        object_type=OBJECT_TYPE, object_id=OuterRef("pk"), kind=kind, due_at=OuterRef(field)
    )
    return due.exclude(Exists(sent))


def _loaded(due: QuerySet[Subscription]) -> QuerySet[Subscription]:
    return due.select_related("customer", "partner", "offer", "offer__sku")


def _people(subscriptions: list[Subscription], *, critical: bool = False) -> dict[Any, list[Any]]:
    """Who is told about these subscriptions, by organization: two queries for the whole batch."""
    customers = {s.customer_id for s in subscriptions}
    partners = {s.partner_id for s in subscriptions}
    return {
        **notice_recipients(customers, CUSTOMER_ROLES, critical=critical),
        **notice_recipients(partners, PARTNER_ROLES, critical=critical),
    }


def _notify_batch(
    batch: list[Subscription], kind: str, field: str, *, days: int, critical: bool = False
) -> int:
    people = _people(batch, critical=critical)
    return sum(_notify(s, kind, getattr(s, field), people, days=days) for s in batch)


def _notify(
    subscription: Subscription, kind: str, due_at: datetime, people: dict[Any, list[Any]], *, days: int
) -> int:
    """Claim the notice and queue its mails to both sides in one transaction; 0 if already sent."""
    with transaction.atomic():
        if not claim_notice(object_type=OBJECT_TYPE, object_id=subscription.pk, kind=kind, due_at=due_at):
            return 0
        context = _context(subscription, kind.rsplit("_", 1)[0], days=days)
        customer_people = people.get(subscription.customer_id, [])
        template = f"subscriptions_{context['what']}"
        mail_kind = f"subscriptions.{kind}"
        queue_notice(
            customer_people,
            template=template,
            context={**context, "link": f"{settings.SITE_URL}/admin/subscriptions/"},
            kind=mail_kind,
        )
        _mail_billing_contact(subscription, customer_people, template, context, mail_kind)
        queue_notice(
            people.get(subscription.partner_id, []),
            template=template,
            context={
                **context,
                "for_partner": True,
                "link": f"{settings.SITE_URL}/partner/subscriptions/{subscription.pk}/",
            },
            kind=mail_kind,
        )
    return 1


def _mail_billing_contact(
    subscription: Subscription, people: list[Any], template: str, context: dict[str, Any], kind: str
) -> None:
    """The customer's billing e-mail (its billing profile) is told too, unless an admin has that address.

    It is an address, not a person with preferences: the organization's language and time zone.
    """
    customer = subscription.customer
    address = customer.billing_email.strip()
    if not address or address.lower() in {person.email.lower() for person in people}:
        return
    queue_mail(
        to=[address],
        template=template,
        context={
            **context,
            "name": customer.billing_contact or customer.name,
            "link": f"{settings.SITE_URL}/admin/subscriptions/",
        },
        language=customer.language,
        time_zone=customer.time_zone,
        kind=kind,
    )


def _context(subscription: Subscription, what: str, *, days: int) -> dict[str, Any]:
    """What every mail about `subscription` says: which subscription, whose, and the date that matters."""
    deletion_at = _deletion_at(subscription)
    when = {
        "renewal": subscription.term_end,
        "ending": subscription.term_end,
        "deletion": deletion_at,
        "suspended": subscription.status_changed_at,
        "reactivated": subscription.status_changed_at,
        "expired": subscription.status_changed_at,
    }[what]
    return {
        "what": "deletion_warning" if what == "deletion" else what,
        "days": days,
        "subscription": str(subscription),
        "product": subscription.offer.sku.name,
        "seats": subscription.quantity,
        # Lazy labels: each mail shows them in its recipient's language.
        "term": Offer.Term(subscription.offer.term).label,
        "customer": subscription.customer.name,
        "partner": subscription.partner.name,
        "when": when,
        "term_end": subscription.term_end,
        "deletion_at": deletion_at,
        "reason": (
            Subscription.SuspensionReason(subscription.suspension_reason).label
            if subscription.status == Subscription.Status.SUSPENDED and subscription.suspension_reason
            else ""
        ),
    }


def _deletion_at(subscription: Subscription) -> datetime | None:
    """When `renewals.delete_data_due` deletes the data, if nothing changes: None while active."""
    if subscription.status == Subscription.Status.EXPIRED:
        return subscription.status_changed_at + retention()
    if subscription.status == Subscription.Status.SUSPENDED:
        clock = subscription.status_changed_at + retention()
        # Its term ends first: it expires then, and the retention starts again.
        return clock if subscription.term_end >= clock else subscription.term_end + retention()
    return None
