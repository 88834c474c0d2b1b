"""An add-on never has more seats than the subscription it adds to, whichever side changes."""

from __future__ import annotations

from typing import Any

import pytest

from partnerdesk.errors import DomainError
from partnerdesk.subscriptions import seats
from partnerdesk.subscriptions.models import Subscription
from partnerdesk.subscriptions.tests.conftest import Catalog, agent, subscribe
from partnerdesk.testing import World, database_state

pytestmark = pytest.mark.django_db


def test_an_addon_cannot_be_bought_with_more_seats_than_its_base(world: World, catalog: Catalog) -> None:
    base = subscribe(world, catalog.basic_monthly, 25)
    before = database_state()
    with pytest.raises(DomainError) as refused:
        subscribe(world, catalog.addon_monthly, 99, base=base)
    assert refused.value.code == "addon_exceeds_base"
    assert "(99)" in refused.value.message and "(25)" in refused.value.message
    assert database_state() == before
    assert subscribe(world, catalog.addon_monthly, 25, base=base).quantity == 25


def test_the_api_refuses_it_with_the_code(api: Any, world: World, catalog: Catalog) -> None:
    base = subscribe(world, catalog.basic_monthly, 25)
    before = database_state()
    response = api("a.admin_agent").post(
        f"/customers/{world.customer_a1.pk}/subscriptions",
        {
            "offer_id": str(catalog.addon_monthly.pk),
            "quantity": 99,
            "base_subscription_id": str(base.pk),
        },
    )
    assert response.status_code == 400, response.json_body
    assert response.json_body["error"]["code"] == "addon_exceeds_base"
    assert database_state() == before


def test_an_addon_cannot_grow_past_its_base(world: World, catalog: Catalog) -> None:
    base = subscribe(world, catalog.basic_monthly, 25)
    addon = subscribe(world, catalog.addon_monthly, 20, base=base)
    with pytest.raises(DomainError) as refused:
        seats.change_quantity(agent(world), addon, 26)
    assert refused.value.code == "addon_exceeds_base"
    assert Subscription.objects.get(pk=addon.pk).quantity == 20
    assert seats.change_quantity(agent(world), addon, 25).subscription.quantity == 25


def test_a_base_cannot_shrink_below_its_addons(world: World, catalog: Catalog) -> None:
    base = subscribe(world, catalog.basic_monthly, 25)
    subscribe(world, catalog.addon_monthly, 20, base=base)
    with pytest.raises(DomainError) as refused:
        seats.change_quantity(agent(world), base, 19)
    assert refused.value.code == "base_below_addons"
    assert Subscription.objects.get(pk=base.pk).quantity == 25
    assert seats.change_quantity(agent(world), base, 20).subscription.quantity == 20
