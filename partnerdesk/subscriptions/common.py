"""What the subscription modules share: who may change a subscription, the lock order, seat counts, mail.

Every change locks the tenant's licence pool row first, then the subscription row, always in that
order (`_lock`), so a seat decrease and a licence assignment of the same pool cannot interleave.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Sum
from django.utils.translation import gettext as _

from partnerdesk.access.permissions import Role
from partnerdesk.access.principal import Principal
from partnerdesk.accounts.models import User
from partnerdesk.audit import services as audit
from partnerdesk.catalog.models import Offer
from partnerdesk.errors import Conflict, DomainError, Forbidden
from partnerdesk.notifications.services import queue_mail
from partnerdesk.subscriptions import rules as subscription_rules
from partnerdesk.subscriptions.models import LicensePool, Subscription
from partnerdesk.tenancy.models import Organization

SNAPSHOT = ["quantity", "status", "suspension_reason", "auto_renew", "friendly_name", "term_end"]


class ChangeNotAllowed(Forbidden):
    code = "subscription_change_not_allowed"


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


def retention() -> timedelta:
    """How long the data of a suspended, expired or cancelled subscription is kept before deletion."""
    return timedelta(days=settings.SUBSCRIPTION_DATA_RETENTION_DAYS)


def purchased_seats(customer_id: Any, sku_id: Any) -> int:
    """Seats of a SKU a tenant may assign: the quantity of its active subscriptions (not suspended ones)."""
    total = Subscription.objects.filter(
        customer_id=customer_id, offer__sku_id=sku_id, status=Subscription.Status.ACTIVE
    ).aggregate(total=Sum("quantity"))["total"]
    return int(total or 0)


def assigned_seats(customer_id: Any, sku_id: Any) -> int:
    """Licences of a SKU the tenant has assigned: its pool's count (one row, however many users)."""
    found = LicensePool.objects.filter(customer_id=customer_id, sku_id=sku_id).values_list(
        "assigned", flat=True
    )
    return int(found.first() or 0)


def count_assigned(customer_id: Any, sku_id: Any, delta: int) -> None:
    """Move a pool's assigned count by `delta`, in the transaction that wrote the assignments.

    The caller holds the pool's lock (or this UPDATE takes it): the count moves with the rows.
    """
    if delta:
        pool = LicensePool.objects.filter(customer_id=customer_id, sku_id=sku_id)
        pool.update(assigned=F("assigned") + delta)


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


def _require_active(subscription: Subscription) -> None:
    if subscription.status != Subscription.Status.ACTIVE:
        raise Conflict(
            _("Only an active subscription can be changed; this one is %(status)s.")
            % {"status": subscription.get_status_display()},
            code="subscription_not_active",
        )


def _check_quantity(offer: Offer, quantity: int) -> None:
    if quantity < offer.min_quantity or quantity > offer.max_quantity:
        raise DomainError(
            _("The quantity must be between %(min)s and %(max)s for this offer.")
            % {"min": offer.min_quantity, "max": offer.max_quantity},
            code="quantity_out_of_range",
        )


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
