"""The events a licence change or a status change writes: each licence, then each user whose access changed.

Pinned row by row (name, subject, payload, audience), in the order they are written: the webhooks and
live pages deliver them in that order (ADR 0013).
"""

from __future__ import annotations

from typing import Any

import pytest

from partnerdesk.access.permissions import Role
from partnerdesk.access.principal import Principal, principal_for
from partnerdesk.accounts.models import User
from partnerdesk.catalog.models import Service, Sku
from partnerdesk.events.models import Event
from partnerdesk.subscriptions import entitlements, licences, lifecycle
from partnerdesk.subscriptions.models import LicenseAssignment, Subscription
from partnerdesk.subscriptions.tests.conftest import Catalog, agent, subscribe
from partnerdesk.testing import World, make_user

pytestmark = pytest.mark.django_db


def written_since(mark: int) -> list[tuple[Any, ...]]:
    """The events written after the event `mark`, as (name, object, payload, audience) in id order."""
    return [
        (
            event.name,
            event.object_type,
            event.object_id,
            event.payload,
            (event.operator, event.partner_id, event.customer_id, event.internal, event.broadcast),
        )
        for event in Event.objects.filter(id__gt=mark).order_by("id")
    ]


def last_event() -> int:
    return Event.objects.order_by("-id").values_list("id", flat=True).first() or 0


def licence_event(name: str, world: World, user: User, sku: Any) -> tuple[Any, ...]:
    """The licence's event; a removed licence's row is gone, so it is looked up before removing."""
    assignment = LicenseAssignment.objects.get(user=user, sku=sku)
    return (
        name,
        "subscriptions.licenseassignment",
        str(assignment.pk),
        {"user_id": str(user.pk), "customer_id": str(world.customer_a1.pk), "sku_id": str(sku.pk)},
        (True, world.partner_a.pk, world.customer_a1.pk, False, False),
    )


def entitlement_event(
    world: World, user: User, cause: str, *services: tuple[Any, bool, str]
) -> tuple[Any, ...]:
    return (
        "entitlement.changed",
        "accounts.user",
        str(user.pk),
        {
            "user_id": str(user.pk),
            "customer_id": str(world.customer_a1.pk),
            "services": [
                {"id": str(service.pk), "key": service.key, "entitled": entitled, "reason": reason}
                for service, entitled, reason in services
            ],
            "cause": cause,
        },
        (True, world.partner_a.pk, world.customer_a1.pk, False, False),
    )


def both_skus(world: World, catalog: Catalog) -> tuple[Principal, Service, Service]:
    """Contoso buys E1 (Exchange) and E3 (Exchange, Teams); its global admin assigns the licences."""
    subscribe(world, catalog.basic_monthly, 10)
    subscribe(world, catalog.premium_monthly, 10)
    exchange, teams = catalog.premium.services.order_by("key")
    return principal_for(world.user("a1.global_admin")), exchange, teams


def licensed(world: World, admin: Principal, sku: Sku, email: str) -> User:
    """A plain user of Contoso holding a licence of `sku`."""
    user = make_user(world.customer_a1, email, [Role.USER])
    licences.assign_licences(admin, customer=world.customer_a1, sku=sku, users=[user])
    return user


def test_assigning_names_each_licence_then_each_user_whose_access_changed(
    world: World, catalog: Catalog
) -> None:
    admin, exchange, teams = both_skus(world, catalog)
    new = make_user(world.customer_a1, "new@contoso.test", [Role.USER])
    blocked = make_user(world.customer_a1, "blocked@contoso.test", [Role.USER])
    User.objects.filter(pk=blocked.pk).update(blocked=True)
    blocked.refresh_from_db()
    covered = licensed(world, admin, catalog.basic, "covered@contoso.test")
    mark = last_event()

    licences.assign_licences(
        admin, customer=world.customer_a1, sku=catalog.premium, users=[new, blocked, covered]
    )

    cause = "license.assigned"
    assert written_since(mark) == [
        licence_event(cause, world, new, catalog.premium),
        licence_event(cause, world, blocked, catalog.premium),
        licence_event(cause, world, covered, catalog.premium),
        entitlement_event(world, new, cause, (exchange, True, "licensed"), (teams, True, "licensed")),
        entitlement_event(world, covered, cause, (teams, True, "licensed")),  # Exchange it had already
    ]


def test_removing_names_each_licence_then_each_user_whose_access_changed(
    world: World, catalog: Catalog
) -> None:
    admin, exchange, teams = both_skus(world, catalog)
    only = make_user(world.customer_a1, "only@contoso.test", [Role.USER])
    covered = licensed(world, admin, catalog.basic, "covered@contoso.test")
    licences.assign_licences(admin, customer=world.customer_a1, sku=catalog.premium, users=[only, covered])
    cause = "license.removed"
    expected_licences = [licence_event(cause, world, user, catalog.premium) for user in (only, covered)]
    mark = last_event()

    removed = licences.remove_licences(
        admin, customer=world.customer_a1, sku=catalog.premium, users=[only, covered]
    )

    assert len(removed.assignments) == 2 and removed.pool.assigned == 0
    assert written_since(mark) == [
        *expected_licences,
        entitlement_event(world, only, cause, (exchange, False, "no_license"), (teams, False, "no_license")),
        entitlement_event(world, covered, cause, (teams, False, "no_license")),
    ]


def test_a_licence_of_a_suspended_subscription_keeps_admins_in_and_plain_users_out(
    world: World, catalog: Catalog
) -> None:
    subscribe(world, catalog.basic_monthly, 10)
    premium = subscribe(world, catalog.premium_monthly, 10)
    admin = principal_for(world.user("a1.global_admin"))
    exchange, teams = (service for service in catalog.premium.services.order_by("key"))
    plain = make_user(world.customer_a1, "plain@contoso.test", [Role.USER])
    licence_admin = make_user(world.customer_a1, "licences@contoso.test", [Role.LICENCE_ADMIN])
    licences.assign_licences(
        admin, customer=world.customer_a1, sku=catalog.premium, users=[plain, licence_admin]
    )
    mark = last_event()
    lifecycle.suspend(agent(world), premium, reason="non_payment")
    suspended = "subscription.suspended"
    assert written_since(mark)[1:] == [
        entitlement_event(
            world,
            plain,
            suspended,
            (exchange, False, "subscription_suspended"),
            (teams, False, "subscription_suspended"),
        )
    ]

    mark = last_event()
    licences.assign_licences(
        admin, customer=world.customer_a1, sku=catalog.basic, users=[plain, licence_admin]
    )
    assigned = "license.assigned"
    assert written_since(mark) == [
        licence_event(assigned, world, plain, catalog.basic),
        licence_event(assigned, world, licence_admin, catalog.basic),
        entitlement_event(world, plain, assigned, (exchange, True, "licensed")),
    ]

    removed = "license.removed"
    expected = licence_event(removed, world, plain, catalog.basic)
    mark = last_event()
    licences.remove_licences(admin, customer=world.customer_a1, sku=catalog.basic, users=[plain])
    assert written_since(mark) == [
        expected,
        entitlement_event(world, plain, removed, (exchange, False, "subscription_suspended")),
    ]

    mark = last_event()
    lifecycle.reactivate(agent(world), Subscription.objects.get(pk=premium.pk))
    reactivated = "subscription.reactivated"
    assert written_since(mark)[1:] == [
        entitlement_event(world, plain, reactivated, (exchange, True, "licensed"), (teams, True, "licensed"))
    ]


def test_a_change_nobody_holds_writes_no_entitlement_event(world: World, catalog: Catalog) -> None:
    subscribe(world, catalog.basic_monthly, 10)
    admin = principal_for(world.user("a1.global_admin"))
    user = make_user(world.customer_a1, "u@contoso.test", [Role.USER])
    mark = last_event()

    removed = licences.remove_licences(admin, customer=world.customer_a1, sku=catalog.basic, users=[user])

    assert removed.assignments == [] and removed.pool.assigned == 0

    assert written_since(mark) == []


@pytest.mark.parametrize(
    ("setup", "reason"),
    [
        ("none", "no_license"),
        ("blocked", "user_blocked"),
        ("active", "licensed"),
        ("suspended_plain", "subscription_suspended"),
        ("suspended_admin", "admin_of_suspended_subscription"),
        ("cancelled", "no_active_subscription"),
    ],
)
def test_the_entitlement_check_says_why(world: World, catalog: Catalog, setup: str, reason: str) -> None:
    subscription = subscribe(world, catalog.basic_monthly, 10)
    roles = [Role.USER_ADMIN] if setup == "suspended_admin" else [Role.USER]
    user = make_user(world.customer_a1, "u@contoso.test", roles)
    if setup != "none":
        LicenseAssignment.objects.create(customer=world.customer_a1, sku=catalog.basic, user=user)
    if setup == "blocked":
        User.objects.filter(pk=user.pk).update(blocked=True)
        user.refresh_from_db()
    status = {
        "suspended_plain": Subscription.Status.SUSPENDED,
        "suspended_admin": Subscription.Status.SUSPENDED,
        "cancelled": Subscription.Status.CANCELLED,
    }.get(setup)
    if status:
        Subscription.objects.filter(pk=subscription.pk).update(status=status)

    decision = entitlements.check_entitlement(user, "exchange")

    assert (decision.allowed, decision.reason) == (
        reason in {"licensed", "admin_of_suspended_subscription"},
        reason,
    )
    assert entitlements.check_entitlement(user, "teams").reason == (
        "user_blocked" if setup == "blocked" else "no_license"
    )
