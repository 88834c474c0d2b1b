"""The events subscriptions emit (the catalog is `events.catalog`): one call per change, in its transaction.

Subscriptions, licences and entitlements are seen by the operator (its services follow them), the
transacting partner and the customer.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from partnerdesk.accounts.models import User
from partnerdesk.catalog.models import Service
from partnerdesk.events.services import Audience, emit
from partnerdesk.subscriptions.entitlements import check_entitlement
from partnerdesk.subscriptions.models import ChangeRequest, LicenseAssignment, Subscription


def _subscription_data(subscription: Subscription, **extra: Any) -> dict[str, Any]:
    return {
        "id": subscription.pk,
        "customer_id": subscription.customer_id,
        "partner_id": subscription.partner_id,
        "offer_id": subscription.offer_id,
        "sku_id": subscription.offer.sku_id,
        "quantity": subscription.quantity,
        "status": subscription.status,
        "term_end": subscription.term_end,
        "auto_renew": subscription.auto_renew,
        **extra,
    }


def subscription(name: str, subscription: Subscription, **extra: Any) -> None:
    """`subscription.<name>` for the operator, the partner and the customer."""
    emit(
        name,
        subscription,
        _subscription_data(subscription, **extra),
        Audience.of(subscription, operator=True),
    )


def change_request(name: str, request: ChangeRequest) -> None:
    """`change_request.<name>` for the customer and its partner (the operator is not involved)."""
    data = {
        "id": request.pk,
        "subscription_id": request.subscription_id,
        "customer_id": request.customer_id,
        "partner_id": request.partner_id,
        "kind": request.kind,
        "status": request.status,
        "seats": request.seats,
    }
    emit(name, request, data, Audience.of(request))


def licence(name: str, assignment: LicenseAssignment, partner_id: Any) -> None:
    """`license.assigned` / `license.removed` for the operator, the partner and the customer."""
    data = {"user_id": assignment.user_id, "customer_id": assignment.customer_id, "sku_id": assignment.sku_id}
    audience = Audience(operator=True, partner_id=partner_id, customer_id=assignment.customer_id)
    emit(name, assignment, data, audience)


class EntitlementWatch:
    """What the entitlement check answers for some users and services before a change.

    `emit_changes` after the change emits one `entitlement.changed` per user whose answer for any of
    the services changed, naming those services: a suspension reaches every licensed plain user, not
    the admins (who keep access to a suspended subscription).
    """

    def __init__(self, users: Iterable[User], services: Iterable[Service]) -> None:
        self.users = list(users)
        self.services = list(services)
        self.before = {
            (user.pk, service.pk): check_entitlement(user, service.key).allowed
            for user in self.users
            for service in self.services
        }

    @classmethod
    def licensed(cls, customer_id: Any, sku_id: Any) -> EntitlementWatch:
        """Every user holding a licence of the SKU, for every service the SKU includes."""
        users = User.objects.filter(licences__customer_id=customer_id, licences__sku_id=sku_id).distinct()
        return cls(users, Service.objects.filter(skus__pk=sku_id).order_by("key"))

    def emit_changes(self, *, cause: str, partner_id: Any) -> int:
        emitted = 0
        for user in self.users:
            changed = []
            for service in self.services:
                now = check_entitlement(user, service.key)
                if now.allowed != self.before[(user.pk, service.pk)]:
                    changed.append(
                        {"id": service.pk, "key": service.key, "entitled": now.allowed, "reason": now.reason}
                    )
            if changed:
                data = {
                    "user_id": user.pk,
                    "customer_id": user.organization_id,
                    "services": changed,
                    "cause": cause,
                }
                audience = Audience(operator=True, partner_id=partner_id, customer_id=user.organization_id)
                emit("entitlement.changed", user, data, audience)
                emitted += 1
        return emitted
