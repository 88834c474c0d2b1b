"""A subscription's upgrade offers page by cursor: no offer skipped or repeated, and a page costs
the same number of queries however many offers there are."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from partnerdesk.catalog.models import Offer, Sku, UpgradePath
from partnerdesk.subscriptions.tests.conftest import SINCE, Catalog, subscribe
from partnerdesk.testing import World, walk_pages

pytestmark = pytest.mark.django_db


def _offers(sku: Sku, start: int, count: int) -> None:
    Offer.objects.bulk_create(
        Offer(sku=sku, name=f"Offer {i:03}", term="P1M", unit_price=Decimal("1"), valid_from=SINCE)
        for i in range(start, start + count)
    )


def test_upgrade_offers_page_through_every_offer_once(api: Any, world: World, catalog: Catalog) -> None:
    subscription = subscribe(world, catalog.basic_monthly, 10)
    other = Sku.objects.create(product=catalog.premium.product, name="Office 365 E5")
    UpgradePath.objects.create(from_sku=catalog.basic, to_sku=other)
    _offers(other, 0, 4)
    client = api("a.sales_agent")

    walk = walk_pages(client, f"/subscriptions/{subscription.pk}/upgrades", limit=2)

    assert walk.pages == 3
    assert walk.items[0]["offer"]["id"] == str(catalog.premium_monthly.pk)  # E3 before E5
    assert [t["offer"]["name"] for t in walk.items][1:] == [f"Offer {i:03}" for i in range(4)]

    _offers(other, 4, 20)
    bigger = walk_pages(client, f"/subscriptions/{subscription.pk}/upgrades", limit=2)
    assert len({t["offer"]["id"] for t in bigger.items}) == 25
    assert max(bigger.queries) <= max(walk.queries)
