"""DOMAIN §2 rule 2: a customer cannot change its subscriptions, by any route; told to ask its partner."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from partnerdesk.audit.models import AuditEvent
from partnerdesk.subscriptions import change_requests
from partnerdesk.subscriptions.models import ChangeRequest, LicenseAssignment, SeatLot, Subscription
from partnerdesk.subscriptions.tests.conftest import Catalog, subscribe
from partnerdesk.testing import World

pytestmark = pytest.mark.django_db

SUBSCRIPTION_TABLES = (Subscription, SeatLot, ChangeRequest, LicenseAssignment)


def rows() -> dict[str, list[Any]]:
    return {m.__name__: sorted(map(str, m.objects.values_list())) for m in SUBSCRIPTION_TABLES}


Route = tuple[str, Callable[[World, Catalog, Subscription, ChangeRequest], str], dict[str, Any]]

# Every API operation that changes a subscription (or decides about one).
MUTATING_API_ROUTES: list[Route] = [
    (
        "post",
        lambda w, c, s, r: f"/customers/{w.customer_a1.pk}/subscriptions",
        {"offer_id": "OFFER", "quantity": 3},
    ),
    ("patch", lambda w, c, s, r: f"/subscriptions/{s.pk}", {"quantity": 20}),
    (
        "patch",
        lambda w, c, s, r: f"/subscriptions/{s.pk}",
        {"status": "suspended", "suspension_reason": "fraud"},
    ),
    ("patch", lambda w, c, s, r: f"/subscriptions/{s.pk}", {"status": "cancelled"}),
    ("patch", lambda w, c, s, r: f"/subscriptions/{s.pk}", {"auto_renew": False}),
    ("patch", lambda w, c, s, r: f"/subscriptions/{s.pk}", {"friendly_name": "Mine now"}),
    ("post", lambda w, c, s, r: f"/subscriptions/{s.pk}/upgrade", {"offer_id": "PREMIUM"}),
    ("post", lambda w, c, s, r: f"/change-requests/{r.pk}/approve", {}),
    ("post", lambda w, c, s, r: f"/change-requests/{r.pk}/reject", {"reason": "no"}),
    ("post", lambda w, c, s, r: f"/change-requests/{r.pk}/inquire", {"question": "why?"}),
]


def _body(body: dict[str, Any], catalog: Catalog) -> dict[str, Any]:
    replace = {"OFFER": str(catalog.basic_monthly.pk), "PREMIUM": str(catalog.premium_monthly.pk)}
    return {k: replace.get(v, v) if isinstance(v, str) else v for k, v in body.items()}


@pytest.fixture
def setup(world: World, catalog: Catalog) -> tuple[Subscription, ChangeRequest]:
    subscription = subscribe(world, catalog.basic_monthly, 10)
    from partnerdesk.access.principal import principal_for

    request = change_requests.request_change(
        principal_for(world.user("a1.global_admin")), subscription, kind="increase", quantity=2
    )
    return subscription, request


@pytest.mark.parametrize("route", MUTATING_API_ROUTES, ids=lambda r: f"{r[0]} {r[1].__code__.co_consts}")
@pytest.mark.parametrize("key", ["a1.global_admin", "a1.licence_admin", "a1.user"])
def test_customers_cannot_change_subscriptions_through_the_api(
    api: Any,
    world: World,
    catalog: Catalog,
    setup: tuple[Subscription, ChangeRequest],
    route: Route,
    key: str,
) -> None:
    subscription, change_request = setup
    method, path, body = route
    before = rows()
    response = getattr(api(key), method)(
        path(world, catalog, subscription, change_request), _body(body, catalog)
    )
    assert response.status_code == 403, response.json_body
    assert response.json_body["error"]["code"] == "subscription_change_not_allowed"
    assert "Fabrikam" in response.json_body["error"]["message"]
    assert rows() == before
    refusal = AuditEvent.objects.get(action="subscription.change_refused")
    assert refusal.organization_id == world.customer_a1.pk and refusal.actor_user == world.user(key)


@pytest.mark.parametrize("route", MUTATING_API_ROUTES[:7], ids=lambda r: r[0])
def test_a_partner_agent_acting_in_the_admin_center_is_refused_too(
    api: Any, world: World, catalog: Catalog, setup: tuple[Subscription, ChangeRequest], route: Route
) -> None:
    subscription, change_request = setup
    method, path, body = route
    client = api("a.admin_agent", on_behalf_of=world.customer_a1.pk)
    before = rows()
    response = getattr(client, method)(
        path(world, catalog, subscription, change_request), _body(body, catalog)
    )
    assert response.json_body["error"]["code"] == "subscription_change_not_allowed"
    assert rows() == before
