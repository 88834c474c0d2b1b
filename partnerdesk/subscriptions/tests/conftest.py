"""A small catalog on top of the tiny world: two SKUs with an upgrade path, an add-on, offers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from partnerdesk.access.principal import Principal, principal_for
from partnerdesk.catalog.models import AddOnRule, Offer, OfferPolicy, Product, Service, Sku, UpgradePath
from partnerdesk.subscriptions import lifecycle
from partnerdesk.subscriptions.models import Subscription
from partnerdesk.testing import World

SINCE = datetime(2020, 1, 1, tzinfo=UTC)


@dataclass
class Catalog:
    basic: Sku
    premium: Sku
    addon: Sku
    basic_monthly: Offer
    basic_yearly: Offer
    premium_monthly: Offer
    addon_monthly: Offer


def build_catalog() -> Catalog:
    exchange, _ = Service.objects.get_or_create(key="exchange", defaults={"name": "Exchange Online"})
    teams, _ = Service.objects.get_or_create(key="teams", defaults={"name": "Microsoft Teams"})
    product = Product.objects.create(name="Office 365")
    basic = Sku.objects.create(product=product, name="Office 365 E1")
    basic.services.set([exchange])
    premium = Sku.objects.create(product=product, name="Office 365 E3")
    premium.services.set([exchange, teams])
    addon = Sku.objects.create(product=product, name="Audio Conferencing")
    addon.services.set([teams])
    UpgradePath.objects.create(from_sku=basic, to_sku=premium)
    AddOnRule.objects.create(addon_sku=addon, base_sku=basic)

    def offer(sku: Sku, term: str, price: str, **policy: Any) -> Offer:
        made = Offer.objects.create(
            sku=sku, name=f"{sku.name} {term}", term=term, unit_price=Decimal(price), valid_from=SINCE
        )
        OfferPolicy.objects.create(offer=made, **policy)
        return made

    return Catalog(
        basic=basic,
        premium=premium,
        addon=addon,
        basic_monthly=offer(basic, "P1M", "40.00"),
        basic_yearly=offer(basic, "P1Y", "400.00", seat_decrease="renewal"),
        premium_monthly=offer(premium, "P1M", "120.00"),
        addon_monthly=offer(addon, "P1M", "10.00"),
    )


@pytest.fixture
def catalog(world: World) -> Catalog:
    return build_catalog()


def agent(world: World, key: str = "a.admin_agent") -> Principal:
    return principal_for(world.user(key))


def subscribe(world: World, offer: Offer, quantity: int = 10, **kwargs: Any) -> Subscription:
    """Partner A's admin agent buys `offer` for Contoso."""
    return lifecycle.create_subscription(
        agent(world), customer=world.customer_a1, offer=offer, quantity=quantity, **kwargs
    )
