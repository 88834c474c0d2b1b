"""Subscription, request and licence lists cost a fixed number of queries, however many rows they show."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from partnerdesk.access.permissions import Role
from partnerdesk.access.principal import principal_for
from partnerdesk.catalog.models import Offer, OfferPolicy, Product, Sku
from partnerdesk.subscriptions import change_requests, licences
from partnerdesk.subscriptions.tests.conftest import SINCE, Catalog, subscribe
from partnerdesk.testing import World, make_user

pytestmark = pytest.mark.django_db


def grow(world: World, catalog: Catalog, start: int) -> None:
    admin = principal_for(world.user("a1.global_admin"))
    for i in range(start, start + 6):
        product = Product.objects.create(name=f"Product {i:02}")
        sku = Sku.objects.create(product=product, name=f"SKU {i:02}")
        offer = Offer.objects.create(
            sku=sku, name=f"Offer {i:02}", term="P1M", unit_price=1, valid_from=SINCE
        )
        OfferPolicy.objects.create(offer=offer)
        subscription = subscribe(world, offer, 3)
        user = make_user(world.customer_a1, f"grow{i}@contoso.test", [Role.USER])
        licences.assign_licences(admin, customer=world.customer_a1, sku=sku, users=[user])
        change_requests.request_change(admin, subscription, kind="increase", quantity=1)


PAGES = [
    ("a.admin_agent", "/partner/subscriptions/"),
    ("a.admin_agent", "/partner/customers/{customer}/subscriptions/"),
    ("a.admin_agent", "/partner/change-requests/"),
    ("a1.global_admin", "/admin/subscriptions/"),
    ("a1.global_admin", "/admin/licenses/"),
    ("operator.catalog_manager", "/operator/catalog/"),
]


def count(client: Any, path: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return len(queries)


@pytest.mark.parametrize(("user", "path"), PAGES, ids=[p[1] for p in PAGES])
def test_list_pages_do_not_grow_with_rows(
    web: Any, world: World, catalog: Catalog, user: str, path: str
) -> None:
    path = path.format(customer=world.customer_a1.pk)
    client = web(user)
    grow(world, catalog, 0)
    count(client, path)  # warm the session
    small = count(client, path)
    grow(world, catalog, 10)
    assert count(client, path) == small
    assert small <= 14


def test_api_lists_do_not_grow_with_rows(api: Any, world: World, catalog: Catalog) -> None:
    paths = [
        f"/customers/{world.customer_a1.pk}/subscriptions",
        "/change-requests",
        "/licenses",
        "/catalog/offers",
    ]
    agent, admin, manager = api("a.admin_agent"), api("a1.global_admin"), api("operator.catalog_manager")
    clients = {paths[0]: agent, paths[1]: agent, paths[2]: admin, paths[3]: manager}

    def counts() -> dict[str, int]:
        result = {}
        for path, client in clients.items():
            with CaptureQueriesContext(connection) as queries:
                assert client.get(path).status_code == 200
            result[path] = len(queries)
        return result

    grow(world, catalog, 0)
    counts()
    small = counts()
    grow(world, catalog, 10)
    assert counts() == small


# Assigning or removing one licence (bench scenario 6), whatever the number of licences the tenant
# holds: the caller (token, user and roles: one query), the SKU and the users; under the pool's lock
# its seats, the holders (assign) or the licences taken back (remove), the rows and the pool's count,
# the audit event, whose access changed (one query: `entitlements.held_licences`), the licence's and
# the entitlement events (one INSERT: `events.services.emit_many`), the pending scheduled changes
# (assign). The pool of the answer is the one the change left: nothing is read after it.
ASSIGN_QUERIES = 14
REMOVE_QUERIES = 13


@pytest.mark.parametrize("holders", [1, 12])
def test_assigning_and_removing_a_licence_cost_a_fixed_number_of_queries(
    api: Any, world: World, catalog: Catalog, holders: int, django_assert_num_queries: Any
) -> None:
    subscribe(world, catalog.basic_monthly, 20)
    people = [
        make_user(world.customer_a1, f"holder{i}@contoso.test", [Role.USER]) for i in range(holders + 1)
    ]
    admin = principal_for(world.user("a1.global_admin"))
    licences.assign_licences(admin, customer=world.customer_a1, sku=catalog.basic, users=people[:holders])
    client = api("a1.global_admin")
    client.get("/licenses")  # the first use of a token records when it was used
    body = {"sku_id": str(catalog.basic.pk), "user_ids": [str(people[-1].pk)]}

    with django_assert_num_queries(ASSIGN_QUERIES):
        assigned = client.post("/licenses/assign", body)
    with django_assert_num_queries(REMOVE_QUERIES):
        removed = client.post("/licenses/remove", body)

    assert assigned.status_code == 200 and assigned.json_body["changed"] == 1
    assert removed.status_code == 200 and removed.json_body["changed"] == 1
