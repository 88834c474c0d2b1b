"""A subscription's life: buying it, suspending and reactivating, cancelling, its settings, upgrades.

Only the partner changes a subscription (`subscriptions.rules.CHANGE`).
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from partnerdesk import etags
from partnerdesk.access.permissions import OrgKind
from partnerdesk.access.principal import Principal
from partnerdesk.audit import services as audit
from partnerdesk.catalog.models import AddOnRule, Offer, UpgradePath
from partnerdesk.catalog.services import policy_of
from partnerdesk.errors import Conflict, DomainError, NotFound
from partnerdesk.subscriptions import emit, reminders
from partnerdesk.subscriptions.common import (
    SNAPSHOT,
    _bump,
    _check_addon_fits,
    _check_quantity,
    _lock,
    _require_change,
    count_assigned,
)
from partnerdesk.subscriptions.licences import _note_over_assignment
from partnerdesk.subscriptions.models import LicenseAssignment, LicensePool, SeatLot, Subscription
from partnerdesk.subscriptions.scheduled_changes import revalidate_scheduled
from partnerdesk.tenancy.models import DelegatedRelationship, Organization


def add_term(start: datetime, term: str) -> datetime:
    """The end of a term starting at `start`: one calendar month or year later (31 Jan + P1M = 28/29 Feb)."""
    months = 12 if term == Offer.Term.YEARLY else 1
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return start.replace(year=year, month=month, day=day)


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
        emit.subscription("subscription.created", subscription)
    return subscription


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
        entitlements = emit.EntitlementWatch.licensed(locked.customer_id, locked.offer.sku_id)
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
        emit.subscription(action, locked)
        entitlements.emit_changes(cause=action, partner_id=locked.partner_id)
        revalidate_scheduled(principal, locked, now=now)
        _note_over_assignment(pool, now)
        reminders.status_changed(locked, action=action, at=now)
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
        arrived = LicenseAssignment.objects.bulk_create(
            LicenseAssignment(
                customer_id=locked.customer_id, sku_id=target.sku_id, user_id=u, assigned_at=now
            )
            for u in moved_users
            if u not in already
        )
        moved.delete()
        count_assigned(locked.customer_id, target.sku_id, len(arrived))
        count_assigned(locked.customer_id, locked.offer.sku_id, -len(moved_users))
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
