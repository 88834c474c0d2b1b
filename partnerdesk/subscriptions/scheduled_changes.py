"""Scheduled changes: a seat decrease that waits for the renewal, and why one no longer applies.

Every change that can make a pending decrease impossible (fewer seats, a suspension, licences
assigned) calls `revalidate_scheduled`; the partner is told in words.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import translation

from partnerdesk import texts
from partnerdesk.access.principal import Principal
from partnerdesk.audit import services as audit
from partnerdesk.subscriptions.common import PARTNER_PEOPLE, _mail, assigned_seats, purchased_seats
from partnerdesk.subscriptions.models import ScheduledChange, Subscription


def _schedule(
    principal: Principal, subscription: Subscription, quantity: int, now: datetime
) -> ScheduledChange:
    for previous in subscription.scheduled_changes.filter(status=ScheduledChange.Status.PENDING):
        _invalidate(
            principal,
            subscription,
            previous,
            ("subscriptions.scheduled_replaced", {"quantity": quantity}),
            now,
            status=ScheduledChange.Status.CANCELLED,
        )
    return ScheduledChange.objects.create(
        subscription=subscription, quantity=quantity, created_by=principal.user, created_at=now
    )


def _invalidate(
    principal: Principal | None,
    subscription: Subscription,
    change: ScheduledChange,
    problem: Problem,
    now: datetime,
    *,
    status: str = ScheduledChange.Status.INVALID,
) -> None:
    """Mark a scheduled change as no longer applying, say why, audit it, tell the partner.

    The reason is stored as its code (read in each reader's language) and in English.
    """
    code, params = problem
    with translation.override("en"):
        english = texts.render(code, params, code)
    reason = texts.render(code, params, english)
    ScheduledChange.objects.filter(pk=change.pk).update(
        status=status, invalid_reason=english, reason_code=code, reason_params=params, decided_at=now
    )
    audit.record(
        principal,
        action="subscription.scheduled_change_invalidated",
        target=subscription,
        organization=subscription.customer,
        before={"quantity_at_renewal": change.quantity, "status": change.status},
        after={"status": status},
        reason=reason,
    )
    _mail(
        subscription.partner,
        PARTNER_PEOPLE,
        "subscriptions_scheduled_change_invalid",
        {
            "subscription": str(subscription),
            "customer": subscription.customer.name,
            "quantity": change.quantity,
            "reason": reason,
        },
    )


Problem = tuple[str, dict[str, Any]]


def _scheduled_problem(subscription: Subscription, change: ScheduledChange) -> Problem | None:
    """Why a scheduled change can no longer apply at renewal (a `texts` code and its parameters)."""
    if subscription.status == Subscription.Status.SUSPENDED:
        return "subscriptions.scheduled_suspended", {"reason": subscription.suspension_reason}
    if subscription.status != Subscription.Status.ACTIVE:
        return "subscriptions.scheduled_not_renewing", {"status": subscription.status}
    if not subscription.auto_renew:
        return "subscriptions.scheduled_auto_renew_off", {}
    offer = subscription.offer
    if change.quantity < offer.min_quantity or change.quantity > offer.max_quantity:
        return "subscriptions.scheduled_outside_limits", {
            "quantity": change.quantity,
            "min": offer.min_quantity,
            "max": offer.max_quantity,
        }
    assigned = assigned_seats(subscription.customer_id, offer.sku_id)
    others = purchased_seats(subscription.customer_id, offer.sku_id) - (
        subscription.quantity if subscription.status == Subscription.Status.ACTIVE else 0
    )
    if change.quantity + others < assigned:
        return "subscriptions.scheduled_below_assigned", {"assigned": assigned, "quantity": change.quantity}
    return None


def revalidate_scheduled(principal: Principal | None, subscription: Subscription, *, now: datetime) -> None:
    """Check pending scheduled changes again after a change; invalidate what no longer fits."""
    for change in subscription.scheduled_changes.filter(status=ScheduledChange.Status.PENDING):
        _revalidate(principal, subscription, change, now)


def revalidate_pool(principal: Principal | None, customer_id: Any, sku_id: Any, *, now: datetime) -> None:
    """The same for every active subscription of a tenant's SKU (its licences changed), in one query."""
    pending = ScheduledChange.objects.filter(
        status=ScheduledChange.Status.PENDING,
        subscription__customer_id=customer_id,
        subscription__offer__sku_id=sku_id,
        subscription__status=Subscription.Status.ACTIVE,
    ).select_related("subscription__offer", "subscription__customer", "subscription__partner")
    for change in pending.order_by("subscription_id", "created_at"):
        _revalidate(principal, change.subscription, change, now)


def _revalidate(
    principal: Principal | None, subscription: Subscription, change: ScheduledChange, now: datetime
) -> None:
    problem = _scheduled_problem(subscription, change)
    if problem:
        _invalidate(principal, subscription, change, problem, now)
