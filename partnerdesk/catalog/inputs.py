"""Typed inputs of the catalog's operations that are both a page's form and an API operation
(`partnerdesk.inputs`): the API takes them as its payload, the operator's catalog pages validate into
them. The services keep their keyword arguments (the demo and the tests' catalogs call them with what
no person typed); the edges pass the models' fields."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from partnerdesk.inputs import Input

# A name is kept as sent: one of spaces is the service's 400 `name_required`, as it always was in the
# API (the page's form trims it: a product's or SKU's is then required, an offer's gets its default).
Name = Annotated[str, StringConstraints(strip_whitespace=False)]


class ProductIn(Input):
    """A product of the catalog."""

    name: Name = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=4000)


class SkuIn(Input):
    """A SKU of a product, with the services it includes."""

    product_id: uuid.UUID
    name: Name = Field(min_length=1, max_length=200)
    services: list[str] = Field(default_factory=list, description="Service keys, e.g. exchange")


class PolicyIn(Input):
    """An offer's policy row; a field left out stays as it is."""

    cancellation_window_hours: int | None = Field(default=None, ge=0, le=24 * 365)
    seat_decrease: Literal["window", "anytime", "renewal"] | None = None
    billing_continues_while_suspended: bool | None = None


class PriceChangeIn(Input):
    """A new unit price of an offer, announced ahead of its effective date."""

    unit_price: Decimal = Field(ge=0, max_digits=12, decimal_places=2)
    effective_at: datetime


class OfferIn(Input):
    """An offer of a SKU, with its policy row (the defaults where left out)."""

    sku_id: uuid.UUID
    name: Name = Field(default="", max_length=200)
    term: Literal["P1M", "P1Y"]
    billing_cycle: Literal["monthly", "annual"] = "monthly"
    unit_price: Decimal = Field(ge=0, max_digits=12, decimal_places=2)
    currency: str = Field(default="CNY", min_length=3, max_length=3)
    min_quantity: int = Field(default=1, ge=1, le=1_000_000)
    max_quantity: int = Field(default=300, ge=1, le=1_000_000)
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    policy: PolicyIn | None = None


class UpgradePathIn(Input):
    """An upgrade path allowed from one SKU to another."""

    from_sku_id: uuid.UUID
    to_sku_id: uuid.UUID


class AddOnRuleIn(Input):
    """An add-on rule: the add-on SKU is bought on top of the base SKU."""

    addon_sku_id: uuid.UUID
    base_sku_id: uuid.UUID
    coterminous: bool = True
