"""A day of changes across the world: each organization's receiver gets exactly what it may see, signed.

The changes go through the product's own services (the emitters), the worker delivers, and each
receiver (a real HTTP server in this process) verifies every signature and keeps each webhook-id
once.
"""

from __future__ import annotations

from typing import Any

import pytest

from partnerdesk.access.permissions import Role
from partnerdesk.access.principal import principal_for
from partnerdesk.accounts import services as accounts
from partnerdesk.subscriptions import change_requests, licences, lifecycle
from partnerdesk.subscriptions.tests.conftest import build_catalog
from partnerdesk.tenancy import services as tenancy
from partnerdesk.testing import World
from partnerdesk.webhooks import services
from partnerdesk.webhooks.tests.conftest import worker_cycle

pytestmark = pytest.mark.django_db

ENDPOINT_OWNERS = {
    "operator": "operator.operator_admin",
    "a": "a.partner_global_admin",
    "b": "b.partner_global_admin",
    "a1": "a1.global_admin",
    "a2": "a2.global_admin",
    "b1": "b1.global_admin",
}


def test_each_organization_receives_exactly_what_it_may_see(world: World, receivers: Any) -> None:
    endpoints = {}
    for side, key in ENDPOINT_OWNERS.items():
        receiver = receivers()
        created = services.create_endpoint(principal_for(world.user(key)), url=receiver.url, events=["*"])
        endpoints[side] = (receiver, created.secret)
    catalog = build_catalog()
    agent_a = principal_for(world.user("a.admin_agent"))
    agent_b = principal_for(world.user("b.admin_agent"))
    contoso_admin = principal_for(world.user("a1.global_admin"))

    # The day.
    contoso = lifecycle.create_subscription(
        agent_a, customer=world.customer_a1, offer=catalog.basic_monthly, quantity=3
    )
    licences.assign_licences(
        contoso_admin, customer=world.customer_a1, sku=catalog.basic, users=[world.user("a1.user")]
    )
    lifecycle.create_subscription(
        agent_b, customer=world.customer_b1, offer=catalog.basic_monthly, quantity=2
    )
    request = change_requests.request_change(contoso_admin, contoso, kind="increase", seats=5)
    change_requests.approve_change_request(agent_a, request)
    lifecycle.suspend(agent_a, contoso, reason="non_payment")
    tenancy.request_relationship(
        agent_a, world.customer_a2, name="Adatum support", roles=[Role.USER_ADMIN], duration_days=30
    )
    accounts.create_user(
        contoso_admin,
        organization=world.customer_a1,
        email="new@contoso.test",
        display_name="New",
        roles=[Role.USER],
    )
    worker_cycle()

    received = {side: receiver.types(secret) for side, (receiver, secret) in endpoints.items()}
    assert received == {
        "operator": [
            "subscription.created",
            "license.assigned",
            "entitlement.changed",
            "subscription.created",  # Litware's, for Tailspin
            "subscription.quantity_changed",
            "subscription.suspended",
            "entitlement.changed",
            "relationship.requested",
            "user.created",
        ],
        "a": [
            "subscription.created",
            "license.assigned",
            "entitlement.changed",
            "change_request.created",
            "subscription.quantity_changed",
            "change_request.approved",
            "subscription.suspended",
            "entitlement.changed",
            "relationship.requested",
            "user.created",
        ],
        "b": ["subscription.created"],
        "a1": [
            "subscription.created",
            "license.assigned",
            "entitlement.changed",
            "change_request.created",
            "subscription.quantity_changed",
            "change_request.approved",
            "subscription.suspended",
            "entitlement.changed",
            "user.created",
        ],
        "a2": ["relationship.requested"],
        "b1": ["subscription.created"],
    }
    # Nothing of one partner's tree reaches the other's.
    for side, foreign in (
        ("b", world.partner_a),
        ("b1", world.partner_a),
        ("a", world.partner_b),
        ("a1", world.partner_b),
    ):
        receiver, secret = endpoints[side]
        assert all(str(foreign.pk) not in request.body.decode() for request in receiver.processed(secret))
