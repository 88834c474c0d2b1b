"""Subscriptions and licences: only the partner changes a subscription; seats are never oversold.

Every change locks the tenant's licence pool row first, then the subscription row, always in that
order, so a seat decrease and a licence assignment of the same pool cannot interleave.
"""

from __future__ import annotations

import calendar
import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from partnerdesk import etags, texts
from partnerdesk.access.permissions import OrgKind, Permission, Role
from partnerdesk.access.principal import Principal
from partnerdesk.accounts.models import User
from partnerdesk.audit import services as audit
from partnerdesk.catalog.models import AddOnRule, Offer, OfferPolicy, Sku, UpgradePath
from partnerdesk.catalog.services import policy_of
from partnerdesk.errors import Conflict, DomainError, Forbidden, NotFound
from partnerdesk.notifications.services import queue_mail
from partnerdesk.subscriptions import rules as subscription_rules
from partnerdesk.subscriptions.models import (
    LicenseAssignment,
    LicensePool,
    ScheduledChange,
    SeatLot,
    ServiceCredential,
    Subscription,
)
from partnerdesk.tenancy.models import DelegatedRelationship, Organization

SNAPSHOT = ["quantity", "status", "suspension_reason", "auto_renew", "friendly_name", "term_end"]
CUSTOMER_ADMIN_ROLES = {
    Role.GLOBAL_ADMIN,
    Role.USER_ADMIN,
    Role.LICENCE_ADMIN,
    Role.SERVICE_SUPPORT_ADMIN,
    Role.MESSAGE_CENTER_READER,
    Role.PRIVACY_READER,
}


class ChangeNotAllowed(Forbidden):
    code = "subscription_change_not_allowed"


class OutOfLicenses(Conflict):
    code = "out_of_licenses"


class QuantityBelowAssigned(Conflict):
    code = "quantity_below_assigned"


# --- Small helpers ---------------------------------------------------------------------------


def add_term(start: datetime, term: str) -> datetime:
    """The end of a term starting at `start`: one calendar month or year later (31 Jan + P1M = 28/29 Feb)."""
    months = 12 if term == Offer.Term.YEARLY else 1
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return start.replace(year=year, month=month, day=day)


def _emails(organization: Organization, roles: set[Role]) -> list[str]:
    return sorted(
        set(
            User.objects.filter(
                organization=organization, blocked=False, role_assignments__role__in=roles
            ).values_list("email", flat=True)
        )
    )


def _mail(organization: Organization, roles: set[Role], template: str, context: dict[str, Any]) -> None:
    """Queue one mail to the people of `organization` holding `roles` (inside the caller's transaction)."""
    to = _emails(organization, roles)
    if to:
        queue_mail(to=to, template=template, context=context, language=organization.language, kind=template)


PARTNER_PEOPLE = {Role.PARTNER_GLOBAL_ADMIN, Role.ADMIN_AGENT, Role.SALES_AGENT}
LICENCE_PEOPLE = {Role.GLOBAL_ADMIN, Role.LICENCE_ADMIN}


def purchased_seats(customer_id: Any, sku_id: Any) -> int:
    """Seats of a SKU a tenant may assign: the quantity of its active subscriptions (not suspended ones)."""
    total = Subscription.objects.filter(
        customer_id=customer_id, offer__sku_id=sku_id, status=Subscription.Status.ACTIVE
    ).aggregate(total=Sum("quantity"))["total"]
    return int(total or 0)


def assigned_seats(customer_id: Any, sku_id: Any) -> int:
    return LicenseAssignment.objects.filter(customer_id=customer_id, sku_id=sku_id).count()


def _lock(subscription: Subscription) -> tuple[LicensePool, Subscription]:
    """Lock the pool, then the subscription (the one order every writer uses); return fresh rows."""
    pool, _created = LicensePool.objects.get_or_create(
        customer_id=subscription.customer_id, sku_id=subscription.offer.sku_id
    )
    pool = LicensePool.objects.select_for_update().get(pk=pool.pk)
    locked = (
        Subscription.objects.select_for_update().select_related("offer", "offer__sku").get(pk=subscription.pk)
    )
    return pool, locked


def _bump(subscription: Subscription, fields: list[str]) -> None:
    """Save `fields` and count a change even when there are none (a scheduled decrease)."""
    subscription.save(update_fields=[*fields, "version"])


def customer_change_refusal(principal: Principal, customer: Organization, *, what: str) -> ChangeNotAllowed:
    """Audit a customer's attempt to change a subscription directly, and return the refusal to raise.

    Only its partner can (the rule `subscriptions.rules.CHANGE`); the audit event is committed even
    though the request fails.
    """
    partner = customer.partner
    partner_name = partner.name if partner else _("your partner")
    with transaction.atomic():
        audit.record(
            principal,
            action="subscription.change_refused",
            target=customer,
            organization=customer,
            reason=what,
        )
    return ChangeNotAllowed(
        _(
            "Subscriptions are changed only by your partner, %(partner)s. "
            "Send %(partner)s a change request from the Subscriptions page."
        )
        % {"partner": partner_name}
    )


def _require_change(principal: Principal) -> None:
    principal.require(subscription_rules.CHANGE)


# --- Creating --------------------------------------------------------------------------------


def create_subscription(
    principal: Principal,
    *,
    customer: Organization,
    offer: Offer,
    quantity: int,
    friendly_name: str = "",
    base: Subscription | None = None,
    now: datetime | None = None,
) -> Subscription:
    """Buy `quantity` seats of `offer` for a customer: the first lot, refundable within the policy window."""
    _require_change(principal)
    now = now or timezone.now()
    if customer.kind != OrgKind.CUSTOMER or customer.partner_id != principal.organization.pk:
        raise NotFound(_("Not found."))
    if not offer.is_available(now):
        raise DomainError(_("This offer is not available now."), code="offer_not_available")
    _check_quantity(offer, quantity)
    rules = list(AddOnRule.objects.filter(addon_sku_id=offer.sku_id))
    term_end = add_term(now, offer.term)
    if rules or base is not None:
        if base is None:
            raise DomainError(
                _("%(sku)s is an add-on: choose the subscription it adds to.") % {"sku": offer.sku.name},
                code="addon_requires_base",
            )
        rule = next((r for r in rules if r.base_sku_id == base.offer.sku_id), None)
        if rule is None or base.customer_id != customer.pk:
            raise DomainError(
                _("%(sku)s cannot be added to this subscription.") % {"sku": offer.sku.name},
                code="addon_not_allowed",
            )
        if base.status != Subscription.Status.ACTIVE:
            raise Conflict(_("Add-ons can only be added to an active subscription."), code="base_not_active")
        if rule.coterminous:
            term_end = base.term_end
    policy = policy_of(offer)
    with transaction.atomic():
        if base is not None:
            _check_addon_fits(offer, quantity, Subscription.objects.select_for_update().get(pk=base.pk))
        subscription = Subscription.objects.create(
            customer=customer,
            partner_id=customer.partner_id,
            offer=offer,
            quantity=quantity,
            term_start=now,
            term_end=term_end,
            unit_price=offer.price_at(now),
            currency=offer.currency,
            friendly_name=friendly_name.strip(),
            base=base,
            created_at=now,
            status_changed_at=now,
        )
        LicensePool.objects.get_or_create(customer=customer, sku_id=offer.sku_id)
        SeatLot.objects.create(
            subscription=subscription,
            kind=SeatLot.Kind.PURCHASE,
            quantity=quantity,
            remaining=quantity,
            refundable_until=now + timedelta(hours=policy.cancellation_window_hours),
            created_at=now,
        )
        audit.record(
            principal,
            action="subscription.created",
            target=subscription,
            organization=customer,
            after={**audit.snapshot(subscription, SNAPSHOT), "offer": str(offer.pk)},
        )
    return subscription


def _check_addon_fits(offer: Offer, quantity: int, base: Subscription) -> None:
    """An add-on serves the base subscription's users: it cannot have more seats than the base.

    Call with the base row locked, so a concurrent decrease of the base cannot slip under it.
    """
    if quantity > base.quantity:
        raise DomainError(
            _("%(sku)s cannot have more seats (%(quantity)s) than the subscription it adds to (%(base)s).")
            % {"sku": offer.sku.name, "quantity": quantity, "base": base.quantity},
            code="addon_exceeds_base",
        )


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


def _check_quantity(offer: Offer, quantity: int) -> None:
    if quantity < offer.min_quantity or quantity > offer.max_quantity:
        raise DomainError(
            _("The quantity must be between %(min)s and %(max)s for this offer.")
            % {"min": offer.min_quantity, "max": offer.max_quantity},
            code="quantity_out_of_range",
        )


# --- Seats -----------------------------------------------------------------------------------


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
        problem = _scheduled_problem(subscription, change)
        if problem:
            _invalidate(principal, subscription, change, problem, now)


def _require_active(subscription: Subscription) -> None:
    if subscription.status != Subscription.Status.ACTIVE:
        raise Conflict(
            _("Only an active subscription can be changed; this one is %(status)s.")
            % {"status": subscription.get_status_display()},
            code="subscription_not_active",
        )


def _note_over_assignment(pool: LicensePool, now: datetime) -> None:
    """Tell the tenant's licence admins once when assigned exceeds purchased; nothing is removed."""
    purchased = purchased_seats(pool.customer_id, pool.sku_id)
    assigned = assigned_seats(pool.customer_id, pool.sku_id)
    if assigned > purchased and pool.over_assignment_notified_at is None:
        LicensePool.objects.filter(pk=pool.pk).update(over_assignment_notified_at=now)
        customer = Organization.objects.get(pk=pool.customer_id)
        _mail(
            customer,
            LICENCE_PEOPLE,
            "subscriptions_over_assigned",
            {"sku": Sku.objects.get(pk=pool.sku_id).name, "assigned": assigned, "purchased": purchased},
        )
    elif assigned <= purchased and pool.over_assignment_notified_at is not None:
        LicensePool.objects.filter(pk=pool.pk).update(over_assignment_notified_at=None)


# --- Status, auto-renew, name ------------------------------------------------------------------


def _transition(
    principal: Principal,
    subscription: Subscription,
    *,
    allowed_from: tuple[str, ...],
    to: str,
    action: str,
    expected_etag: str | None,
    now: datetime,
    reason: str = "",
) -> Subscription:
    with transaction.atomic():
        pool, locked = _lock(subscription)
        etags.check(expected_etag, locked)
        if locked.status not in allowed_from:
            raise Conflict(
                _("This subscription is %(status)s.") % {"status": locked.get_status_display()},
                code="invalid_transition",
            )
        before = audit.snapshot(locked, SNAPSHOT)
        locked.status = to
        locked.status_changed_at = now
        locked.suspension_reason = reason if to == Subscription.Status.SUSPENDED else ""
        _bump(locked, ["status", "status_changed_at", "suspension_reason"])
        audit.record(
            principal,
            action=action,
            target=locked,
            organization=locked.customer,
            before=before,
            after=audit.snapshot(locked, SNAPSHOT),
            reason=reason,
        )
        revalidate_scheduled(principal, locked, now=now)
        _note_over_assignment(pool, now)
    return locked


def suspend(
    principal: Principal,
    subscription: Subscription,
    *,
    reason: str,
    expected_etag: str | None = None,
    now: datetime | None = None,
) -> Subscription:
    """Suspend (non-payment, fraud, customer request): users lose the services, admins keep their access."""
    _require_change(principal)
    if reason not in Subscription.SuspensionReason.values:
        raise DomainError(_("Say why: non_payment, fraud or customer_request."), code="reason_required")
    return _transition(
        principal,
        subscription,
        allowed_from=(Subscription.Status.ACTIVE,),
        to=Subscription.Status.SUSPENDED,
        action="subscription.suspended",
        expected_etag=expected_etag,
        now=now or timezone.now(),
        reason=reason,
    )


def reactivate(
    principal: Principal,
    subscription: Subscription,
    *,
    expected_etag: str | None = None,
    now: datetime | None = None,
) -> Subscription:
    """Lift a suspension; the seats become assignable again."""
    _require_change(principal)
    return _transition(
        principal,
        subscription,
        allowed_from=(Subscription.Status.SUSPENDED,),
        to=Subscription.Status.ACTIVE,
        action="subscription.reactivated",
        expected_etag=expected_etag,
        now=now or timezone.now(),
    )


def cancel_deadline(subscription: Subscription) -> datetime:
    return subscription.term_start + timedelta(hours=policy_of(subscription.offer).cancellation_window_hours)


def cancel(
    principal: Principal,
    subscription: Subscription,
    *,
    expected_etag: str | None = None,
    now: datetime | None = None,
) -> Subscription:
    """Cancel within the offer's cancellation window after the term started; after it, turn auto-renew off."""
    _require_change(principal)
    now = now or timezone.now()
    if now > cancel_deadline(subscription):
        raise Conflict(
            _("The cancellation window closed on %(deadline)s; turn auto-renew off instead.")
            % {"deadline": cancel_deadline(subscription).strftime("%Y-%m-%d %H:%M UTC")},
            code="cancellation_window_closed",
        )
    return _transition(
        principal,
        subscription,
        allowed_from=(Subscription.Status.ACTIVE, Subscription.Status.SUSPENDED),
        to=Subscription.Status.CANCELLED,
        action="subscription.cancelled",
        expected_etag=expected_etag,
        now=now,
    )


def update_settings(
    principal: Principal,
    subscription: Subscription,
    changes: dict[str, Any],
    *,
    expected_etag: str | None = None,
    now: datetime | None = None,
) -> Subscription:
    """Change auto-renew and the friendly name."""
    _require_change(principal)
    now = now or timezone.now()
    with transaction.atomic():
        _pool, locked = _lock(subscription)
        etags.check(expected_etag, locked)
        changed = {
            k: v
            for k, v in changes.items()
            if k in ("auto_renew", "friendly_name") and getattr(locked, k) != v
        }
        if not changed:
            return locked
        if locked.status in (
            Subscription.Status.CANCELLED,
            Subscription.Status.DELETED,
            Subscription.Status.EXPIRED,
        ):
            raise Conflict(
                _("This subscription is %(status)s.") % {"status": locked.get_status_display()},
                code="invalid_transition",
            )
        before = audit.snapshot(locked, list(changed))
        for key, value in changed.items():
            setattr(locked, key, value.strip() if isinstance(value, str) else value)
        _bump(locked, list(changed))
        audit.record(
            principal,
            action="subscription.updated",
            target=locked,
            organization=locked.customer,
            before=before,
            after=audit.snapshot(locked, list(changed)),
        )
        revalidate_scheduled(principal, locked, now=now)
    return locked


# --- Upgrades --------------------------------------------------------------------------------


@dataclass(frozen=True)
class UpgradeTarget:
    offer: Offer
    eligible: bool
    reason: str


UPGRADE_ORDERING = ["sku__name", "name", "id"]


def upgrade_offers(subscription: Subscription) -> QuerySet[Offer]:
    """Offers of the SKUs the subscription's SKU upgrades to.

    A catalog's handful of paths from one SKU, so its ordering (by SKU name across the join) needs
    no index.
    """
    to_skus = UpgradePath.objects.filter(from_sku_id=subscription.offer.sku_id).values_list(
        "to_sku_id", flat=True
    )
    return Offer.objects.filter(sku_id__in=to_skus).select_related("sku")


def upgrade_targets(
    subscription: Subscription, now: datetime | None = None, *, offers: Iterable[Offer] | None = None
) -> list[UpgradeTarget]:
    """Upgrade offers (all, or those given), each with the reason it is not eligible (or "")."""
    now = now or timezone.now()
    to_skus = UpgradePath.objects.filter(from_sku_id=subscription.offer.sku_id).values_list(
        "to_sku_id", flat=True
    )
    if offers is None:
        offers = upgrade_offers(subscription).order_by(*UPGRADE_ORDERING)
    delegated = DelegatedRelationship.objects.filter(
        partner_id=subscription.partner_id,
        customer_id=subscription.customer_id,
        status=DelegatedRelationship.Status.ACTIVE,
        expires_at__gt=now,
    ).exists()
    conflicting = set(
        Subscription.objects.filter(
            customer_id=subscription.customer_id,
            status__in=(Subscription.Status.ACTIVE, Subscription.Status.SUSPENDED),
            offer__sku_id__in=to_skus,
        ).values_list("offer__sku_id", flat=True)
    )
    targets = []
    for offer in offers:
        reason = ""
        if subscription.status != Subscription.Status.ACTIVE:
            reason = _("The subscription is not active.")
        elif not delegated:
            reason = _("The partner has no active delegated access to this customer.")
        elif offer.sku_id in conflicting:
            reason = _("The customer already has a subscription of %(sku)s.") % {"sku": offer.sku.name}
        elif not offer.is_available(now):
            reason = _("The offer is not available now.")
        elif not offer.min_quantity <= subscription.quantity <= offer.max_quantity:
            reason = _("%(quantity)s seats is outside the offer's limits (%(min)s-%(max)s).") % {
                "quantity": subscription.quantity,
                "min": offer.min_quantity,
                "max": offer.max_quantity,
            }
        targets.append(UpgradeTarget(offer=offer, eligible=not reason, reason=reason))
    return targets


def upgrade(
    principal: Principal, subscription: Subscription, target: Offer, *, now: datetime | None = None
) -> Subscription:
    """Move seats and licences to an upgrade offer: a new subscription and term; the old one ends."""
    _require_change(principal)
    now = now or timezone.now()
    with transaction.atomic():
        _pool, locked = _lock(subscription)
        choice = next((t for t in upgrade_targets(locked, now) if t.offer.pk == target.pk), None)
        if choice is None:
            raise DomainError(_("This offer is not an upgrade of the subscription."), code="not_an_upgrade")
        if not choice.eligible:
            raise Conflict(choice.reason, code="upgrade_not_eligible")
        new = create_subscription(
            principal,
            customer=locked.customer,
            offer=target,
            quantity=locked.quantity,
            friendly_name=locked.friendly_name,
            now=now,
        )
        Subscription.objects.filter(pk=new.pk).update(upgraded_from=locked)
        before = audit.snapshot(locked, SNAPSHOT)
        locked.status = Subscription.Status.CANCELLED
        locked.status_changed_at = now
        _bump(locked, ["status", "status_changed_at"])
        moved = LicenseAssignment.objects.filter(customer_id=locked.customer_id, sku_id=locked.offer.sku_id)
        moved_users = list(moved.values_list("user_id", flat=True))
        already = set(
            LicenseAssignment.objects.filter(sku_id=target.sku_id, user_id__in=moved_users).values_list(
                "user_id", flat=True
            )
        )
        LicenseAssignment.objects.bulk_create(
            LicenseAssignment(
                customer_id=locked.customer_id, sku_id=target.sku_id, user_id=u, assigned_at=now
            )
            for u in moved_users
            if u not in already
        )
        moved.delete()
        audit.record(
            principal,
            action="subscription.upgraded",
            target=locked,
            organization=locked.customer,
            before=before,
            after={
                **audit.snapshot(locked, SNAPSHOT),
                "upgraded_to": str(new.pk),
                "licences_moved": len(moved_users),
            },
        )
        revalidate_scheduled(principal, locked, now=now)
    new.refresh_from_db()
    return new


# --- Licences --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pool:
    sku: Sku
    purchased: int
    suspended: int
    assigned: int

    @property
    def available(self) -> int:
        return max(0, self.purchased - self.assigned)

    @property
    def over_assigned(self) -> int:
        return max(0, self.assigned - self.purchased)


def pool_skus(customer_id: Any) -> QuerySet[Sku]:
    """The SKUs the tenant has (or had) subscriptions or licences of: one pool each."""
    return Sku.objects.filter(
        Q(pk__in=Subscription.objects.filter(customer_id=customer_id).values("offer__sku_id"))
        | Q(pk__in=LicenseAssignment.objects.filter(customer_id=customer_id).values("sku_id"))
    ).select_related("product")


def pools(customer_id: Any, *, skus: list[Sku] | None = None) -> list[Pool]:
    """The tenant's licence pools (all, or those of `skus`), in three queries."""
    subscriptions = Subscription.objects.filter(customer_id=customer_id)
    assignments = LicenseAssignment.objects.filter(customer_id=customer_id)
    if skus is not None:
        subscriptions = subscriptions.filter(offer__sku_id__in=[s.pk for s in skus])
        assignments = assignments.filter(sku_id__in=[s.pk for s in skus])
    seats = subscriptions.values("offer__sku_id").annotate(
        purchased=Sum("quantity", filter=Q(status=Subscription.Status.ACTIVE)),
        suspended=Sum("quantity", filter=Q(status=Subscription.Status.SUSPENDED)),
    )
    by_sku = {row["offer__sku_id"]: row for row in seats}
    assigned = dict(assignments.values("sku_id").annotate(n=Count("id")).values_list("sku_id", "n"))
    if skus is None:
        skus = list(
            Sku.objects.filter(pk__in=set(by_sku) | set(assigned))
            .select_related("product")
            .order_by("name", "id")
        )
    return [
        Pool(
            sku=sku,
            purchased=int(by_sku.get(sku.pk, {}).get("purchased") or 0),
            suspended=int(by_sku.get(sku.pk, {}).get("suspended") or 0),
            assigned=int(assigned.get(sku.pk, 0)),
        )
        for sku in skus
    ]


def pool_of(customer_id: Any, sku: Sku) -> Pool:
    """One SKU's pool of the tenant: what a licence change answers with (two queries, not all pools)."""
    seats = Subscription.objects.filter(customer_id=customer_id, offer__sku_id=sku.pk).aggregate(
        purchased=Sum("quantity", filter=Q(status=Subscription.Status.ACTIVE)),
        suspended=Sum("quantity", filter=Q(status=Subscription.Status.SUSPENDED)),
    )
    return Pool(
        sku=sku,
        purchased=int(seats["purchased"] or 0),
        suspended=int(seats["suspended"] or 0),
        assigned=assigned_seats(customer_id, sku.pk),
    )


def assign_licences(
    principal: Principal, *, customer: Organization, sku: Sku, users: list[User], now: datetime | None = None
) -> list[LicenseAssignment]:
    """Assign a SKU's licences to users; all or none, never past the purchased seats (out_of_licenses)."""
    principal.require(Permission.LICENSES_ASSIGN)
    now = now or timezone.now()
    if any(u.organization_id != customer.pk for u in users):
        raise NotFound(_("Not found."))
    with transaction.atomic():
        pool = LicensePool.objects.select_for_update().filter(customer=customer, sku=sku).first()
        purchased = purchased_seats(customer.pk, sku.pk) if pool else 0
        holders = set(
            LicenseAssignment.objects.filter(sku=sku, user__in=users).values_list("user_id", flat=True)
        )
        new_users = [u for u in {u.pk: u for u in users}.values() if u.pk not in holders]
        assigned = assigned_seats(customer.pk, sku.pk)
        if pool is None or assigned + len(new_users) > purchased:
            raise OutOfLicenses(
                _(
                    "Out of licences: %(sku)s has %(available)s available and %(wanted)s were asked for. "
                    "Ask your partner for more seats."
                )
                % {"sku": sku.name, "available": max(0, purchased - assigned), "wanted": len(new_users)}
            )
        created = LicenseAssignment.objects.bulk_create(
            LicenseAssignment(customer=customer, sku=sku, user=u, assigned_at=now) for u in new_users
        )
        for assignment in created:
            audit.record(
                principal,
                action="licence.assigned",
                target=assignment,
                organization=customer,
                after={"sku": str(sku.pk), "user": str(assignment.user_id)},
            )
        for subscription in Subscription.objects.filter(
            customer=customer, offer__sku=sku, status=Subscription.Status.ACTIVE
        ).select_related("offer", "customer", "partner"):
            revalidate_scheduled(principal, subscription, now=now)
    return created


def remove_licences(principal: Principal, *, customer: Organization, sku: Sku, users: list[User]) -> int:
    """Take licences back from users; returns how many were removed."""
    principal.require(Permission.LICENSES_ASSIGN)
    now = timezone.now()
    with transaction.atomic():
        pool = LicensePool.objects.select_for_update().filter(customer=customer, sku=sku).first()
        removed = LicenseAssignment.objects.filter(customer=customer, sku=sku, user__in=users)
        gone = list(removed)
        removed.delete()
        for assignment in gone:
            audit.record(
                principal,
                action="licence.removed",
                target=assignment,
                organization=customer,
                before={"sku": str(sku.pk), "user": str(assignment.user_id)},
            )
        if pool is not None:
            _note_over_assignment(pool, now)
    return len(gone)


# --- Entitlement ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Entitlement:
    allowed: bool
    reason: str


def check_entitlement(user: User, service_key: str) -> Entitlement:
    """May this user use this service now: not blocked, licensed for it, with an active subscription.

    A suspended subscription keeps its admins in (they can reach the data); plain users lose the service.
    """
    if user.blocked:
        return Entitlement(False, "user_blocked")
    licensed_skus = LicenseAssignment.objects.filter(user=user, sku__services__key=service_key).values_list(
        "sku_id", flat=True
    )
    if not licensed_skus:
        return Entitlement(False, "no_license")
    statuses = set(
        Subscription.objects.filter(
            customer_id=user.organization_id, offer__sku_id__in=list(licensed_skus)
        ).values_list("status", flat=True)
    )
    if Subscription.Status.ACTIVE in statuses:
        return Entitlement(True, "licensed")
    if Subscription.Status.SUSPENDED in statuses:
        roles = set(user.role_assignments.values_list("role", flat=True))
        if roles & {r.value for r in CUSTOMER_ADMIN_ROLES}:
            return Entitlement(True, "admin_of_suspended_subscription")
        return Entitlement(False, "subscription_suspended")
    return Entitlement(False, "no_active_subscription")


SERVICE_CREDENTIAL_PREFIX = "pds_"


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def create_service_credential(principal: Principal, *, name: str) -> tuple[ServiceCredential, str]:
    """Issue a credential for one of the operator's services; the secret is shown once."""
    principal.require(Permission.CATALOG_MANAGE)
    raw = SERVICE_CREDENTIAL_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        credential = ServiceCredential.objects.create(
            name=name.strip() or "service", prefix=raw[:10], token_hash=_hash(raw)
        )
        audit.record(
            principal,
            action="service_credential.created",
            target=credential,
            organization=principal.organization,
            after={"name": credential.name, "prefix": credential.prefix},
        )
    return credential, raw


def credential_for(raw: str) -> ServiceCredential | None:
    if not raw.startswith(SERVICE_CREDENTIAL_PREFIX):
        return None
    return ServiceCredential.objects.filter(token_hash=_hash(raw), revoked_at__isnull=True).first()


# --- Jobs ----------------------------------------------------------------------------------------


def retention() -> timedelta:
    return timedelta(days=settings.SUBSCRIPTION_DATA_RETENTION_DAYS)


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
            audit.record(
                None,
                action="subscription.expired",
                target=locked,
                organization=locked.customer,
                before={"status": locked.status},
                after={"status": Subscription.Status.EXPIRED},
            )
            locked.status = Subscription.Status.EXPIRED
            revalidate_scheduled(None, locked, now=now)
            _note_over_assignment(pool, now)
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
            audit.record(
                None,
                action="subscription.data_deleted",
                target=subscription,
                organization=subscription.customer,
                before={"status": subscription.status},
                after={"status": Subscription.Status.DELETED},
                reason=_("Retention period of %(days)s days ended.") % {"days": retention().days},
            )
            deleted += 1
    return deleted
