"""Seats and their ledger: more now (a new lot), fewer now or at renewal, as the offer's policy says.

The ledger is the subscription's lots, each with its refund deadline; fewer seats come from the
refundable lots newest first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from partnerdesk import etags
from partnerdesk.access.principal import Principal
from partnerdesk.audit import services as audit
from partnerdesk.catalog.models import OfferPolicy
from partnerdesk.catalog.services import policy_of
from partnerdesk.errors import Conflict, DomainError
from partnerdesk.subscriptions import emit
from partnerdesk.subscriptions.common import (
    SNAPSHOT,
    _bump,
    _check_addon_fits,
    _check_quantity,
    _lock,
    _require_active,
    _require_change,
    assigned_seats,
    purchased_seats,
)
from partnerdesk.subscriptions.licences import _note_over_assignment
from partnerdesk.subscriptions.models import ScheduledChange, SeatLot, Subscription
from partnerdesk.subscriptions.scheduled_changes import _schedule, revalidate_scheduled


class QuantityBelowAssigned(Conflict):
    code = "quantity_below_assigned"


@dataclass(frozen=True)
class Removable:
    """How many seats can be removed now for a refund, and until when the last of them can."""

    seats: int
    until: datetime | None
    by_deadline: list[tuple[int, datetime]]


def removable_now(subscription: Subscription, now: datetime | None = None) -> Removable:
    """Seats still inside their lot's refund window (the newest lots are consumed first)."""
    now = now or timezone.now()
    lots = subscription.lots.filter(refundable_until__gt=now, remaining__gt=0).order_by("refundable_until")
    by_deadline = [(lot.remaining, lot.refundable_until) for lot in lots]
    seats = sum(n for n, _deadline in by_deadline)
    return Removable(seats=seats, until=by_deadline[0][1] if by_deadline else None, by_deadline=by_deadline)


@dataclass(frozen=True)
class QuantityChange:
    subscription: Subscription
    scheduled: ScheduledChange | None


def change_quantity(
    principal: Principal,
    subscription: Subscription,
    quantity: int,
    *,
    expected_etag: str | None = None,
    now: datetime | None = None,
) -> QuantityChange:
    """Increase now (a new lot); decrease from refundable lots newest first, or at renewal, per policy."""
    _require_change(principal)
    now = now or timezone.now()
    with transaction.atomic():
        pool, locked = _lock(subscription)
        etags.check(expected_etag, locked)
        _require_active(locked)
        offer = locked.offer
        _check_quantity(offer, quantity)
        policy = policy_of(offer)
        before = audit.snapshot(locked, SNAPSHOT)
        scheduled = None
        if quantity == locked.quantity:
            return QuantityChange(locked, None)
        if quantity > locked.quantity:
            if locked.base_id is not None:
                _check_addon_fits(
                    offer, quantity, Subscription.objects.select_for_update().get(pk=locked.base_id)
                )
            added = quantity - locked.quantity
            SeatLot.objects.create(
                subscription=locked,
                kind=SeatLot.Kind.INCREASE,
                quantity=added,
                remaining=added,
                refundable_until=now + timedelta(hours=policy.cancellation_window_hours),
                created_at=now,
            )
            locked.quantity = quantity
            _bump(locked, ["quantity"])
            action = "subscription.seats_increased"
        else:
            _check_base_covers_addons(locked, quantity)
            assigned = assigned_seats(locked.customer_id, offer.sku_id)
            others = purchased_seats(locked.customer_id, offer.sku_id) - locked.quantity
            if quantity + others < assigned:
                raise QuantityBelowAssigned(
                    _(
                        "%(assigned)s licences are assigned; the customer must remove licences "
                        "before the quantity can go below that."
                    )
                    % {"assigned": assigned}
                )
            removing = locked.quantity - quantity
            refundable = removable_now(locked, now).seats
            immediate = policy.seat_decrease == OfferPolicy.SeatDecrease.ANYTIME or (
                policy.seat_decrease == OfferPolicy.SeatDecrease.WITHIN_WINDOW and removing <= refundable
            )
            if immediate:
                _consume_lots(locked, removing, now)
                locked.quantity = quantity
                _bump(locked, ["quantity"])
                action = "subscription.seats_decreased"
            else:
                scheduled = _schedule(principal, locked, quantity, now)
                _bump(locked, [])
                action = "subscription.decrease_scheduled"
        audit.record(
            principal,
            action=action,
            target=locked,
            organization=locked.customer,
            before=before,
            after={
                **audit.snapshot(locked, SNAPSHOT),
                **({"quantity_at_renewal": quantity} if scheduled else {}),
            },
        )
        if scheduled is None:
            emit.subscription("subscription.quantity_changed", locked, previous_quantity=before["quantity"])
        revalidate_scheduled(principal, locked, now=now)
        _note_over_assignment(pool, now)
    return QuantityChange(locked, scheduled)


def _consume_lots(subscription: Subscription, seats: int, now: datetime) -> None:
    """Take `seats` from the lots, refundable ones newest first, then the rest newest first."""
    lots = list(subscription.lots.filter(remaining__gt=0).order_by("-created_at", "-id"))
    ordered = [lot for lot in lots if lot.refundable_until > now] + [
        lot for lot in lots if lot.refundable_until <= now
    ]
    for lot in ordered:
        if seats == 0:
            break
        taken = min(seats, lot.remaining)
        SeatLot.objects.filter(pk=lot.pk).update(remaining=lot.remaining - taken)
        seats -= taken


def _check_base_covers_addons(base: Subscription, quantity: int) -> None:
    """A base subscription cannot go below the seats of an active add-on on it (locked base)."""
    largest = (
        Subscription.objects.filter(base=base, status=Subscription.Status.ACTIVE, quantity__gt=quantity)
        .select_related("offer__sku")
        .order_by("-quantity")
        .first()
    )
    if largest is not None:
        raise DomainError(
            _(
                "The add-on %(sku)s has %(addon)s seats: reduce it first, "
                "or keep at least %(addon)s seats here."
            )
            % {"sku": largest.offer.sku.name, "addon": largest.quantity},
            code="base_below_addons",
        )
