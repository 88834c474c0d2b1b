"""Term ends, run by the worker: renewal (applying scheduled changes), expiry, data deletion after retention.

Each is idempotent: it acts through a conditional update on the state it found, so a second run or a
second worker finds nothing left to do.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from partnerdesk import etags
from partnerdesk.audit import services as audit
from partnerdesk.catalog.models import AddOnRule
from partnerdesk.catalog.services import policy_of
from partnerdesk.subscriptions import emit, reminders
from partnerdesk.subscriptions.common import SNAPSHOT, _bump, _lock, retention
from partnerdesk.subscriptions.entitlements import refresh_entitled_services
from partnerdesk.subscriptions.licences import _note_over_assignment
from partnerdesk.subscriptions.lifecycle import add_term
from partnerdesk.subscriptions.models import LicensePool, ScheduledChange, SeatLot, Subscription
from partnerdesk.subscriptions.scheduled_changes import _invalidate, _scheduled_problem, revalidate_scheduled


def renew_due(now: datetime | None = None) -> int:
    """Renew active auto-renewing subscriptions whose term ended: apply scheduled changes, new term, new lot.

    Each renewal is a conditional update on the old term end, so a second run (or worker) renews nothing.
    """
    now = now or timezone.now()
    renewed = 0
    due = Subscription.objects.filter(status=Subscription.Status.ACTIVE, auto_renew=True, term_end__lte=now)
    # Bases before their add-ons, so a co-terminous add-on renews to its base's new term end.
    bases_first = sorted(due.values_list("pk", "base_id"), key=lambda row: row[1] is not None)
    for pk, _base in bases_first:
        with transaction.atomic():
            subscription = Subscription.objects.filter(pk=pk).first()
            if subscription is None:
                continue
            pool, locked = _lock(subscription)
            if not (
                locked.status == Subscription.Status.ACTIVE and locked.auto_renew and locked.term_end <= now
            ):
                continue
            _renew(locked, pool, now)
            renewed += 1
    return renewed


def _renew(subscription: Subscription, pool: LicensePool, now: datetime) -> None:
    before = audit.snapshot(subscription, SNAPSHOT)
    offer = subscription.offer
    policy = policy_of(offer)
    quantity = subscription.quantity
    for change in subscription.scheduled_changes.filter(status=ScheduledChange.Status.PENDING).order_by(
        "created_at"
    ):
        problem = _scheduled_problem(subscription, change)
        if problem:
            _invalidate(None, subscription, change, problem, now)
            continue
        quantity = change.quantity
        ScheduledChange.objects.filter(pk=change.pk).update(
            status=ScheduledChange.Status.APPLIED, decided_at=now
        )
    start = subscription.term_end
    end = add_term(start, offer.term)
    if subscription.base_id is not None:
        base = Subscription.objects.get(pk=subscription.base_id)
        rule = AddOnRule.objects.filter(addon_sku_id=offer.sku_id, base_sku_id=base.offer.sku_id).first()
        if rule and rule.coterminous and base.term_end > start:
            end = base.term_end
    while end <= now:  # a worker that was down for longer than a term catches up in one step
        start, end = end, add_term(end, offer.term)
    subscription.quantity = quantity
    subscription.term_start = start
    subscription.term_end = end
    subscription.unit_price = offer.price_at(start)
    _bump(subscription, ["quantity", "term_start", "term_end", "unit_price"])
    SeatLot.objects.create(
        subscription=subscription,
        kind=SeatLot.Kind.RENEWAL,
        quantity=quantity,
        remaining=quantity,
        refundable_until=start + timedelta(hours=policy.cancellation_window_hours),
        created_at=start,
    )
    audit.record(
        None,
        action="subscription.renewed",
        target=subscription,
        organization=subscription.customer,
        before=before,
        after={**audit.snapshot(subscription, SNAPSHOT), "unit_price": str(subscription.unit_price)},
    )
    emit.subscription("subscription.renewed", subscription)
    _note_over_assignment(pool, now)


def expire_due(now: datetime | None = None) -> int:
    """End subscriptions whose term is over and that will not renew (auto-renew off, or suspended)."""
    now = now or timezone.now()
    expired = 0
    due = Subscription.objects.filter(term_end__lte=now).filter(
        Q(status=Subscription.Status.ACTIVE, auto_renew=False) | Q(status=Subscription.Status.SUSPENDED)
    )
    for subscription in due.select_related("offer"):
        with transaction.atomic():
            pool, locked = _lock(subscription)
            entitlements = emit.EntitlementWatch.licensed(locked.customer_id, subscription.offer.sku_id)
            won = (
                Subscription.objects.filter(pk=locked.pk, status=locked.status, term_end__lte=now)
                .filter(
                    Q(status=Subscription.Status.ACTIVE, auto_renew=False)
                    | Q(status=Subscription.Status.SUSPENDED)
                )
                .update(
                    status=Subscription.Status.EXPIRED, status_changed_at=now, version=etags.next_version()
                )
            )
            if not won:
                continue
            refresh_entitled_services([locked.customer_id])
            audit.record(
                None,
                action="subscription.expired",
                target=locked,
                organization=locked.customer,
                before={"status": locked.status},
                after={"status": Subscription.Status.EXPIRED},
            )
            locked.status = Subscription.Status.EXPIRED
            emit.subscription("subscription.expired", locked)
            entitlements.emit_changes(cause="subscription.expired", partner_id=locked.partner_id)
            revalidate_scheduled(None, locked, now=now)
            _note_over_assignment(pool, now)
            reminders.status_changed(locked, action="subscription.expired", at=now)
            expired += 1
    return expired


def delete_data_due(now: datetime | None = None) -> int:
    """Delete the data of subscriptions suspended, expired or cancelled for longer than the retention."""
    now = now or timezone.now()
    cutoff = now - retention()
    deleted = 0
    due = Subscription.objects.filter(
        status__in=(
            Subscription.Status.SUSPENDED,
            Subscription.Status.EXPIRED,
            Subscription.Status.CANCELLED,
        ),
        status_changed_at__lte=cutoff,
        data_deleted_at__isnull=True,
    )
    for subscription in due.select_related("customer"):
        with transaction.atomic():
            won = Subscription.objects.filter(
                pk=subscription.pk,
                status=subscription.status,
                status_changed_at__lte=cutoff,
                data_deleted_at__isnull=True,
            ).update(
                status=Subscription.Status.DELETED,
                data_deleted_at=now,
                status_changed_at=now,
                version=etags.next_version(),
            )
            if not won:
                continue
            refresh_entitled_services([subscription.customer_id])
            audit.record(
                None,
                action="subscription.data_deleted",
                target=subscription,
                organization=subscription.customer,
                before={"status": subscription.status},
                after={"status": Subscription.Status.DELETED},
                reason=_("Retention period of %(days)s days ended.") % {"days": retention().days},
            )
            subscription.status = Subscription.Status.DELETED
            emit.subscription("subscription.deleted", subscription)
            deleted += 1
    return deleted
