"""Customers' change requests: the customer asks, the partner sees what approval will do, then decides.

A request for seats names the **new total** (as Partner Center does): "30" on a 25-seat subscription
means 30, never 55. Requests written before totals existed hold only the difference (`quantity`);
`seats_after` reads either. `preview` states the result before anything is applied (seats before →
after, the price per billing period after, what happens to refunds or data), for the customer's form,
the partner's approval and the API alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from partnerdesk.access.permissions import Permission, Role
from partnerdesk.access.principal import Principal
from partnerdesk.audit import services as audit
from partnerdesk.catalog.models import OfferPolicy, Sku
from partnerdesk.catalog.services import policy_of
from partnerdesk.errors import Conflict, DomainError, Forbidden
from partnerdesk.subscriptions import emit
from partnerdesk.subscriptions.common import (
    PARTNER_PEOPLE,
    _lock,
    _mail,
    _require_change,
    assigned_seats,
    purchased_seats,
)
from partnerdesk.subscriptions.lifecycle import cancel, cancel_deadline, upgrade, upgrade_targets
from partnerdesk.subscriptions.models import ChangeRequest, Subscription
from partnerdesk.subscriptions.renewals import retention
from partnerdesk.subscriptions.seats import change_quantity, removable_now
from partnerdesk.texts import sentence, when

SEAT_KINDS = (ChangeRequest.Kind.INCREASE, ChangeRequest.Kind.DECREASE)


def seats_after(change_request: ChangeRequest, subscription: Subscription) -> int:
    """The total a seat request asks for: its `seats`, or (legacy rows) now ± the difference."""
    if change_request.seats is not None:
        return change_request.seats
    difference = change_request.quantity or 0
    if change_request.kind == ChangeRequest.Kind.DECREASE:
        return max(0, subscription.quantity - difference)
    return subscription.quantity + difference


@dataclass(frozen=True)
class Preview:
    """What a change request will do if approved now, in numbers and in words."""

    seats_before: int
    seats_after: int
    unit_price: Decimal
    price_after: Decimal
    currency: str
    billing_cycle: str
    consequence: str
    # "" when approval can apply it now; otherwise why not (approval would be refused with this).
    problem: str

    @property
    def applicable(self) -> bool:
        return not self.problem


def preview(
    subscription: Subscription,
    *,
    kind: str,
    seats: int | None = None,
    target_sku_id: object = None,
    now: datetime | None = None,
) -> Preview:
    """The result of `kind` (with `seats`, the new total) on `subscription` as it stands now."""
    now = now or timezone.now()
    offer = subscription.offer
    before = subscription.quantity
    after = before
    unit_price = subscription.unit_price
    cycle = offer.get_billing_cycle_display()
    problem = ""
    if subscription.status not in (Subscription.Status.ACTIVE, Subscription.Status.SUSPENDED):
        problem = _("The subscription is no longer active.")
    if kind == ChangeRequest.Kind.INCREASE:
        after = seats or before
        hours = policy_of(offer).cancellation_window_hours
        consequence = _(
            "%(added)s seats are added now and billed from today; they can be removed for a refund "
            "until %(deadline)s."
        ) % {"added": after - before, "deadline": when(now + timedelta(hours=hours))}
    elif kind == ChangeRequest.Kind.DECREASE:
        after = seats or before
        removing = before - after
        policy = policy_of(offer)
        refundable = removable_now(subscription, now).seats
        in_use = assigned_seats(subscription.customer_id, offer.sku_id) - (
            purchased_seats(subscription.customer_id, offer.sku_id) - before
        )
        if policy.seat_decrease == OfferPolicy.SeatDecrease.ANYTIME:
            consequence = _("%(removed)s seats are removed now.") % {"removed": removing}
        elif policy.seat_decrease == OfferPolicy.SeatDecrease.WITHIN_WINDOW and removing <= refundable:
            consequence = _("%(removed)s seats are removed now and refunded.") % {"removed": removing}
        else:
            consequence = _(
                "Only %(refundable)s seats can still be refunded, so the subscription keeps %(before)s "
                "seats until it renews on %(renewal)s, then renews with %(after)s (no refund)."
            ) % {
                "refundable": refundable,
                "before": before,
                "renewal": when(subscription.term_end),
                "after": after,
            }
        if after < in_use:
            problem = problem or _(
                "%(assigned)s licences are assigned; the customer must remove licences before the "
                "quantity can go below that."
            ) % {"assigned": in_use}
    elif kind == ChangeRequest.Kind.CANCEL:
        after = 0
        deadline = cancel_deadline(subscription)
        if now > deadline:
            consequence = _("Nothing is cancelled: the cancellation window closed on %(deadline)s.") % {
                "deadline": when(deadline)
            }
            problem = problem or _(
                "The cancellation window closed on %(deadline)s; turn auto-renew off instead."
            ) % {"deadline": when(deadline)}
        else:
            consequence = _(
                "The subscription ends now and its %(before)s seats stop working; its data is deleted "
                "after %(days)s days, on %(deleted)s."
            ) % {
                "before": before,
                "days": retention().days,
                "deleted": when(now + retention()),
            }
    else:
        targets = [t for t in upgrade_targets(subscription, now) if target_sku_id in (None, t.offer.sku_id)]
        eligible = [t for t in targets if t.eligible]
        if eligible:
            target = eligible[0].offer
            unit_price = target.price_at(now)
            cycle = target.get_billing_cycle_display()
            consequence = _("The %(seats)s seats move to %(sku)s now, with their licences.") % {
                "seats": before,
                "sku": target.sku.name,
            }
        else:
            consequence = _("No upgrade is applied.")
            problem = problem or (
                targets[0].reason if targets else _("No eligible upgrade is available for this subscription.")
            )
    if kind in SEAT_KINDS and not offer.min_quantity <= after <= offer.max_quantity:
        problem = problem or _("%(quantity)s seats is outside the offer's limits (%(min)s-%(max)s).") % {
            "quantity": after,
            "min": offer.min_quantity,
            "max": offer.max_quantity,
        }
    return Preview(
        seats_before=before,
        seats_after=after,
        unit_price=unit_price,
        price_after=unit_price * after,
        currency=subscription.currency,
        billing_cycle=cycle,
        consequence=sentence(consequence),
        problem=sentence(problem),
    )


def preview_request(change_request: ChangeRequest, now: datetime | None = None) -> Preview:
    """What approving this request would do now (the partner's confirmation step)."""
    subscription = change_request.subscription
    return preview(
        subscription,
        kind=change_request.kind,
        seats=seats_after(change_request, subscription) if change_request.kind in SEAT_KINDS else None,
        target_sku_id=change_request.target_sku_id,
        now=now,
    )


def requested_total(subscription: Subscription, kind: str, seats: int | None, quantity: int | None) -> int:
    """The new total a request asks for, from `seats` (the total) or a legacy `quantity` (difference)."""
    if seats is not None and quantity is not None:
        raise DomainError(
            _("Give the new total of seats, not both the total and a difference."), code="seats_and_quantity"
        )
    if seats is None and quantity is None:
        raise DomainError(_("Say how many seats you want in total."), code="seats_required")
    if seats is None:
        assert quantity is not None
        seats = (
            subscription.quantity + quantity
            if kind == ChangeRequest.Kind.INCREASE
            else subscription.quantity - quantity
        )
    if kind == ChangeRequest.Kind.INCREASE and seats <= subscription.quantity:
        raise DomainError(
            _("The subscription has %(now)s seats: ask for a new total above that.")
            % {"now": subscription.quantity},
            code="seats_not_more",
        )
    if kind == ChangeRequest.Kind.DECREASE and seats >= subscription.quantity:
        raise DomainError(
            _("The subscription has %(now)s seats: ask for a new total below that.")
            % {"now": subscription.quantity},
            code="seats_not_fewer",
        )
    offer = subscription.offer
    if not max(1, offer.min_quantity) <= seats <= offer.max_quantity:
        raise DomainError(
            _("The quantity must be between %(min)s and %(max)s for this offer.")
            % {"min": max(1, offer.min_quantity), "max": offer.max_quantity},
            code="quantity_out_of_range",
        )
    return seats


def request_change(
    principal: Principal,
    subscription: Subscription,
    *,
    kind: str,
    seats: int | None = None,
    quantity: int | None = None,
    target_sku: Sku | None = None,
    note: str = "",
    now: datetime | None = None,
) -> ChangeRequest:
    """A customer admin asks the partner for a change; the partner decides.

    `seats` is the new total; `quantity`, a difference, is what clients wrote before totals existed.
    """
    principal.require(Permission.SUBSCRIPTIONS_REQUEST_CHANGE)
    if principal.is_delegated:
        raise Forbidden(
            _("You are %(customer)s's partner: change the subscription in the partner center instead.")
            % {"customer": subscription.customer.name},
            code="partner_changes_directly",
        )
    now = now or timezone.now()
    if kind not in ChangeRequest.Kind.values:
        raise DomainError(_("Choose more seats, fewer seats, upgrade or cancel."), code="invalid_kind")
    difference = None
    if kind in SEAT_KINDS:
        seats = requested_total(subscription, kind, seats, quantity)
        difference = abs(seats - subscription.quantity)
    else:
        seats = None
    if kind != ChangeRequest.Kind.UPGRADE:
        target_sku = None
    with transaction.atomic():
        change_request = ChangeRequest.objects.create(
            subscription=subscription,
            customer_id=subscription.customer_id,
            partner_id=subscription.partner_id,
            kind=kind,
            seats=seats,
            quantity=difference,
            target_sku=target_sku,
            note=note.strip(),
            created_by=principal.user,
            created_at=now,
        )
        audit.record(
            principal,
            action="change_request.created",
            target=change_request,
            organization=subscription.customer,
            before={"quantity": subscription.quantity} if seats is not None else None,
            after={"kind": kind, "quantity": seats, "note": change_request.note},
        )
        emit.change_request("change_request.created", change_request)
        _mail(
            subscription.partner,
            PARTNER_PEOPLE,
            "subscriptions_change_requested",
            {
                "customer": subscription.customer.name,
                "subscription": str(subscription),
                "kind": change_request.get_kind_display(),
                "seats_before": subscription.quantity,
                "seats_after": seats,
                "note": change_request.note,
            },
        )
    return change_request


def _decide(
    principal: Principal, change_request: ChangeRequest, status: str, response: str, now: datetime
) -> None:
    won = ChangeRequest.objects.filter(
        pk=change_request.pk,
        status__in=(ChangeRequest.Status.OPEN, ChangeRequest.Status.INFORMATION_REQUESTED),
    ).update(status=status, response=response, decided_by=principal.user, decided_at=now)
    if not won:
        raise Conflict(_("This change request was already decided."), code="already_decided")
    audit.record(
        principal,
        action=f"change_request.{status}",
        target=change_request,
        organization=change_request.subscription.customer,
        before={"status": change_request.status},
        after={"status": status},
        reason=response,
    )
    _mail(
        change_request.subscription.customer,
        {Role.GLOBAL_ADMIN},
        "subscriptions_change_request_answered",
        {
            "subscription": str(change_request.subscription),
            "kind": change_request.get_kind_display(),
            "status": ChangeRequest.Status(status).label,
            "response": response,
            "partner": change_request.subscription.partner.name,
        },
    )
    change_request.refresh_from_db()
    emit.change_request(f"change_request.{status}", change_request)


def approve_change_request(
    principal: Principal, change_request: ChangeRequest, *, response: str = "", now: datetime | None = None
) -> ChangeRequest:
    """Apply what the customer asked for and close the request; if the change fails it stays open."""
    subscription = change_request.subscription
    _require_change(principal)
    now = now or timezone.now()
    if not change_request.is_open:
        raise Conflict(_("This change request was already decided."), code="already_decided")
    with transaction.atomic():
        # Read the quantity under the locks: a legacy request for "5 more" means 5 more than now.
        _pool, subscription = _lock(subscription)
        kind = change_request.kind
        if kind in SEAT_KINDS:
            change_quantity(principal, subscription, seats_after(change_request, subscription), now=now)
        elif kind == ChangeRequest.Kind.CANCEL:
            cancel(principal, subscription, now=now)
        else:
            eligible = [
                t.offer
                for t in upgrade_targets(subscription, now)
                if t.eligible
                and (change_request.target_sku_id is None or t.offer.sku_id == change_request.target_sku_id)
            ]
            if not eligible:
                raise Conflict(
                    _("No eligible upgrade is available for this subscription."), code="upgrade_not_eligible"
                )
            upgrade(principal, subscription, eligible[0], now=now)
        _decide(principal, change_request, ChangeRequest.Status.APPROVED, response.strip(), now)
    return change_request


def reject_change_request(
    principal: Principal, change_request: ChangeRequest, *, reason: str, now: datetime | None = None
) -> ChangeRequest:
    """Refuse a change request, saying why."""
    _require_change(principal)
    if not reason.strip():
        raise DomainError(_("Say why the request is rejected."), code="reason_required")
    with transaction.atomic():
        _decide(
            principal, change_request, ChangeRequest.Status.REJECTED, reason.strip(), now or timezone.now()
        )
    return change_request


def inquire_change_request(
    principal: Principal, change_request: ChangeRequest, *, question: str, now: datetime | None = None
) -> ChangeRequest:
    """Ask the customer for more information; the request stays open for its reply."""
    _require_change(principal)
    if not question.strip():
        raise DomainError(_("Write the question for the customer."), code="question_required")
    now = now or timezone.now()
    with transaction.atomic():
        won = ChangeRequest.objects.filter(pk=change_request.pk, status=ChangeRequest.Status.OPEN).update(
            status=ChangeRequest.Status.INFORMATION_REQUESTED, response=question.strip()
        )
        if not won:
            raise Conflict(_("This change request is not waiting on the partner."), code="not_open")
        audit.record(
            principal,
            action="change_request.information_requested",
            target=change_request,
            organization=change_request.customer,
            reason=question.strip(),
        )
        change_request.status = ChangeRequest.Status.INFORMATION_REQUESTED
        emit.change_request("change_request.information_requested", change_request)
        _mail(
            change_request.subscription.customer,
            {Role.GLOBAL_ADMIN},
            "subscriptions_change_request_answered",
            {
                "subscription": str(change_request.subscription),
                "kind": change_request.get_kind_display(),
                "status": ChangeRequest.Status.INFORMATION_REQUESTED.label,
                "response": question.strip(),
                "partner": change_request.subscription.partner.name,
            },
        )
    change_request.refresh_from_db()
    return change_request


def reply_change_request(principal: Principal, change_request: ChangeRequest, *, note: str) -> ChangeRequest:
    """The customer answers the partner's question; the request goes back to the partner."""
    principal.require(Permission.SUBSCRIPTIONS_REQUEST_CHANGE)
    if not note.strip():
        raise DomainError(_("Write your answer."), code="note_required")
    with transaction.atomic():
        won = ChangeRequest.objects.filter(
            pk=change_request.pk, status=ChangeRequest.Status.INFORMATION_REQUESTED
        ).update(status=ChangeRequest.Status.OPEN, note=f"{change_request.note}\n\n{note.strip()}".strip())
        if not won:
            raise Conflict(_("The partner has not asked for information."), code="not_waiting")
        audit.record(
            principal,
            action="change_request.replied",
            target=change_request,
            organization=change_request.customer,
        )
        change_request.status = ChangeRequest.Status.OPEN
        emit.change_request("change_request.replied", change_request)
    change_request.refresh_from_db()
    return change_request
