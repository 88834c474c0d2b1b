"""Licence pools are read as rows through a query built once per process: the same pools, order and
numbers as the ORM's (`licences.pools`), for each tenant of the tiny world."""

from __future__ import annotations

from typing import Any

import pytest

from partnerdesk.access.principal import principal_for
from partnerdesk.pagination import paginate
from partnerdesk.subscriptions import api, licences, queries
from partnerdesk.subscriptions.tests.conftest import Catalog
from partnerdesk.subscriptions.tests.test_query_counts import grow
from partnerdesk.testing import World

pytestmark = pytest.mark.django_db

# The principal (token, user, organization and roles: one query), the page of pools with their numbers.
LICENCE_POOL_LIST_QUERIES = 2


def _shown(pool: Any) -> tuple:
    """What the Licences page shows of a pool (a row or a `licences.Pool`)."""
    if isinstance(pool, dict):
        sku = pool["sku"]
        return (sku["pk"], sku["name"], sku["product"]["name"], *(pool[f] for f in NUMBERS))
    return (pool.sku.pk, pool.sku.name, pool.sku.product.name, *(getattr(pool, f) for f in NUMBERS))


NUMBERS = ("purchased", "suspended", "assigned", "available", "over_assigned")


def test_the_pool_rows_are_the_orm_pools(world: World, catalog: Catalog) -> None:
    grow(world, catalog, 0)
    for key in ("a1.global_admin", "a2.global_admin", "b1.global_admin"):
        admin = principal_for(world.user(key))
        customer_id = admin.organization.pk

        assert [_shown(row) for row in queries.all_pool_rows(admin)] == [
            _shown(pool) for pool in licences.pools(customer_id)
        ]
        rows = queries.pool_rows(admin, cursor=None, limit=4)
        skus = paginate(licences.pool_skus(customer_id), ordering=["name", "id"], cursor=None, limit=4)
        assert [api._pool_row_out(row) for row in rows.items] == [
            api._pool_out(pool) for pool in licences.pools(customer_id, skus=skus.items)
        ]
        assert rows.next_cursor == skus.next_cursor
        if rows.next_cursor:
            after = queries.pool_rows(admin, cursor=rows.next_cursor, limit=50)
            later = paginate(
                licences.pool_skus(customer_id), ordering=["name", "id"], cursor=skus.next_cursor, limit=50
            )
            assert [row["sku"]["pk"] for row in after.items] == [sku.pk for sku in later.items] != []


def test_the_pool_list_costs_a_fixed_number_of_queries(
    api: Any, world: World, catalog: Catalog, django_assert_num_queries: Any
) -> None:
    grow(world, catalog, 0)
    client = api("a1.global_admin")
    client.get("/licenses")  # the first use of a token records when it was used

    with django_assert_num_queries(LICENCE_POOL_LIST_QUERIES):
        answer = client.get("/licenses")

    assert answer.status_code == 200 and len(answer.json_body["items"]) >= 6
