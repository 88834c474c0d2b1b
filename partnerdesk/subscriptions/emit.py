"""The events subscriptions emit (the catalog is `events.catalog`): one call per change, in its transaction.

A change that reports several events writes them with one INSERT (`events.services.emit_many`).

Subscriptions, licences and entitlements are seen by the operator (its services follow them), the
transacting partner and the customer.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import QuerySet

from partnerdesk.accounts.models import User
from partnerdesk.catalog.models import Service
from partnerdesk.events.models import Event
from partnerdesk.events.services import Audience, emit, emit_many, prepare
from partnerdesk.subscriptions.entitlements import HeldLicences, held_licences
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


def licences(
    name: str, assignments: list[LicenseAssignment], users: list[User], held: HeldLicences, *, partner_id: Any
) -> None:
    """`license.assigned` / `license.removed` per assignment, then `entitlement.changed` per user whose
    access to any of the SKU's services changed: one INSERT.

    `held` is what `users` hold with the SKU's licences (read after assigning, before removing); the
    same without them is the other side of the change, so one query tells whose access changed.
    """
    if not assignments:
        return
    sku_id = assignments[0].sku_id
    events = [
        prepare(
            name,
            assignment,
            {"user_id": assignment.user_id, "customer_id": assignment.customer_id, "sku_id": sku_id},
            Audience(operator=True, partner_id=partner_id, customer_id=assignment.customer_id),
        )
        for assignment in assignments
    ]
    without = held.without(sku_id, [user.pk for user in users])
    before, after = (without, held) if name == "license.assigned" else (held, without)
    emit_many([*events, *_entitlement_changes(users, before, after, cause=name, partner_id=partner_id)])


def _entitlement_changes(
    users: list[User], before: HeldLicences, after: HeldLicences, *, cause: str, partner_id: Any
) -> list[Event]:
    """One `entitlement.changed` per user whose answer for any service differs, naming those services."""
    services = sorted({**before.keys, **after.keys}.items(), key=lambda item: item[1])
    events = []
    for user in users:
        changed = []
        for service_id, key in services:
            now = after.entitlement(user, service_id)
            if now.allowed != before.entitlement(user, service_id).allowed:
                changed.append({"id": service_id, "key": key, "entitled": now.allowed, "reason": now.reason})
        if changed:
            data = {
                "user_id": user.pk,
                "customer_id": user.organization_id,
                "services": changed,
                "cause": cause,
            }
            audience = Audience(operator=True, partner_id=partner_id, customer_id=user.organization_id)
            events.append(prepare("entitlement.changed", user, data, audience))
    return events


class EntitlementWatch:
    """What the entitlement check answers for some users and services before a change.

    `emit_changes` after the change emits one `entitlement.changed` per user whose answer for any of
    the services changed, naming those services: a suspension reaches every licensed plain user, not
    the admins (who keep access to a suspended subscription). Each side is one query.
    """

    def __init__(self, users: Iterable[User], services: QuerySet[Service]) -> None:
        self.users = list(users)
        self.services = services
        self.before = held_licences(self.users, services)

    @classmethod
    def licensed(cls, customer_id: Any, sku_id: Any) -> EntitlementWatch:
        """Every user holding a licence of the SKU, for every service the SKU includes."""
        users = User.objects.filter(licences__customer_id=customer_id, licences__sku_id=sku_id).distinct()
        return cls(users, Service.objects.filter(skus__pk=sku_id))

    def emit_changes(self, *, cause: str, partner_id: Any) -> int:
        after = held_licences(self.users, self.services)
        events = _entitlement_changes(self.users, self.before, after, cause=cause, partner_id=partner_id)
        emit_many(events)
        return len(events)
