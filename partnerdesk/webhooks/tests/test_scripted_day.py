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
from partnerdesk.support import service_requests, support_requests, timeline
from partnerdesk.support.inputs import SupportRequestIn
from partnerdesk.support.models import Note, SupportTopic
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
    ticket = support_requests.create_support_request(
        contoso_admin,
        SupportRequestIn(
            title="Mail stopped",
            description="Since 9:00.",
            severity="moderate",
            contact_name="Chen",
            contact_email="chen@contoso.test",
        ),
    )
    timeline.add_message(agent_a, ticket, body="Looking into it.")
    timeline.add_message(agent_a, ticket, body="Looks like the operator's outage.", visibility="internal")
    escalated = service_requests.escalate(
        agent_a,
        ticket,
        service_requests.NewServiceRequest(
            title="Mail stopped for Contoso",
            description="Please check.",
            severity="moderate",
            topic=SupportTopic.objects.create(name="Mail"),
        ),
    )
    engineer = principal_for(world.user("operator.support_engineer"))
    timeline.add_note(engineer, escalated, body="Related to the incident.", kind=Note.Kind.OPERATOR_INTERNAL)
    service_requests.update_service_request(engineer, escalated, status="attention_needed")
    support_requests.update_support_request(contoso_admin, ticket, status="closed")
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
            "service_request.created",
            "service_request.note_added",  # operator-internal: the operator's only
            "service_request.attention_needed",
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
            "support_request.created",
            "support_request.message_added",
            "support_request.message_added",  # the internal note: the partner's desk only
            "support_request.escalated",
            "service_request.created",
            "service_request.attention_needed",
            "support_request.closed",
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
            "support_request.created",
            "support_request.message_added",
            "support_request.closed",
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
