"""API: the operator's catalog of products, SKUs and offers (with policy rows, upgrade paths, add-ons)."""

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Router, Status

from partnerdesk import etags
from partnerdesk.access import policy
from partnerdesk.access.permissions import Permission
from partnerdesk.api import ERRORS, ErrorOut, Out, PageOut, principal_of, requires
from partnerdesk.catalog import services
from partnerdesk.catalog.inputs import (
    AddOnRuleIn,
    OfferIn,
    PolicyIn,
    PriceChangeIn,
    ProductIn,
    SkuIn,
    UpgradePathIn,
)
from partnerdesk.catalog.models import AddOnRule, Offer, OfferPolicy, Product, Sku, UpgradePath
from partnerdesk.pagination import paginate

router = Router(tags=["catalog"])


class ProductOut(Out):
    id: uuid.UUID
    name: str
    description: str
    created_at: datetime


class SkuOut(Out):
    id: uuid.UUID
    product_id: uuid.UUID
    name: str
    services: list[str]
    upgrades_to: list[uuid.UUID]
    addon_of: list[uuid.UUID]


class PolicyOut(Out):
    cancellation_window_hours: int
    seat_decrease: str
    billing_continues_while_suspended: bool


class PriceChangeOut(Out):
    unit_price: Decimal
    effective_at: datetime
    announced_at: datetime


class OfferOut(Out):
    id: uuid.UUID
    sku_id: uuid.UUID
    name: str
    term: str
    billing_cycle: str
    unit_price: Decimal
    currency: str
    min_quantity: int
    max_quantity: int
    valid_from: datetime
    valid_until: datetime | None
    policy: PolicyOut
    price_changes: list[PriceChangeOut]


class LinkOut(Out):
    id: uuid.UUID


def _sku_out(sku: Sku) -> dict[str, Any]:
    return {
        "id": sku.pk,
        "product_id": sku.product_id,
        "name": sku.name,
        "services": sorted(s.key for s in sku.services.all()),
        "upgrades_to": [p.to_sku_id for p in sku.upgrades_to.all()],
        "addon_of": [r.base_sku_id for r in sku.addon_rules.all()],
    }


def _policy(offer: Offer) -> OfferPolicy:
    try:
        return offer.policy
    except OfferPolicy.DoesNotExist:
        return OfferPolicy(offer=offer)


def _offer_out(offer: Offer) -> dict[str, Any]:
    row = _policy(offer)
    return {
        **{f: getattr(offer, f) for f in ["id", "sku_id", *services.OFFER_FIELDS]},
        "policy": {f: getattr(row, f) for f in services.POLICY_FIELDS},
        "price_changes": [
            {"unit_price": c.unit_price, "effective_at": c.effective_at, "announced_at": c.announced_at}
            for c in sorted(offer.price_changes.all(), key=lambda c: c.effective_at)
        ],
    }


def _skus(request: HttpRequest) -> Any:
    return policy.visible(principal_of(request), Sku).prefetch_related(
        "services", "upgrades_to", "addon_rules"
    )


def _offers(request: HttpRequest) -> Any:
    return (
        policy.visible(principal_of(request), Offer)
        .select_related("policy")
        .prefetch_related("price_changes")
    )


@router.get("/catalog/products", response=PageOut[ProductOut], summary="List products")
@requires(Permission.CATALOG_VIEW)
def list_products(request: HttpRequest, limit: int | None = None, cursor: str | None = None) -> Any:
    return paginate(
        policy.visible(principal_of(request), Product), ordering=["name", "id"], cursor=cursor, limit=limit
    ).answer()


@router.post("/catalog/products", response={201: ProductOut, **ERRORS}, summary="Add a product")
@requires(Permission.CATALOG_MANAGE)
def create_product(request: HttpRequest, payload: ProductIn) -> Status:
    return Status(201, services.create_product(principal_of(request), **payload.model_dump()))


@router.get(
    "/catalog/products/{product_id}", response={200: ProductOut, 404: ErrorOut}, summary="One product"
)
@requires(Permission.CATALOG_VIEW)
def get_product(request: HttpRequest, product_id: str) -> Product:
    return policy.get_visible(principal_of(request), Product, pk=product_id)


@router.get("/catalog/skus", response=PageOut[SkuOut], summary="List SKUs")
@requires(Permission.CATALOG_VIEW)
def list_skus(
    request: HttpRequest,
    product_id: uuid.UUID | None = None,
    limit: int | None = None,
    cursor: str | None = None,
) -> Any:
    queryset = _skus(request)
    if product_id:
        queryset = queryset.filter(product_id=product_id)
    return paginate(queryset, ordering=["name", "id"], cursor=cursor, limit=limit).answer(_sku_out)


@router.post("/catalog/skus", response={201: SkuOut, **ERRORS}, summary="Add a SKU to a product")
@requires(Permission.CATALOG_MANAGE)
def create_sku(request: HttpRequest, payload: SkuIn) -> Status:
    principal = principal_of(request)
    product = policy.get_visible(principal, Product, pk=payload.product_id)
    sku = services.create_sku(principal, product=product, name=payload.name, service_keys=payload.services)
    return Status(201, _sku_out(_skus(request).get(pk=sku.pk)))


@router.get("/catalog/skus/{sku_id}", response={200: SkuOut, 404: ErrorOut}, summary="One SKU")
@requires(Permission.CATALOG_VIEW)
def get_sku(request: HttpRequest, sku_id: str) -> Any:
    return _sku_out(policy.get_visible(principal_of(request), _skus(request), pk=sku_id))


@router.get("/catalog/offers", response=PageOut[OfferOut], summary="List offers")
@requires(Permission.CATALOG_VIEW)
def list_offers(
    request: HttpRequest, sku_id: uuid.UUID | None = None, limit: int | None = None, cursor: str | None = None
) -> Any:
    queryset = _offers(request)
    if sku_id:
        queryset = queryset.filter(sku_id=sku_id)
    return paginate(queryset, ordering=["name", "id"], cursor=cursor, limit=limit).answer(_offer_out)


@router.post(
    "/catalog/offers", response={201: OfferOut, **ERRORS}, summary="Add an offer with its policy row"
)
@requires(Permission.CATALOG_MANAGE)
def create_offer(request: HttpRequest, payload: OfferIn) -> Status:
    principal = principal_of(request)
    sku = policy.get_visible(principal, Sku, pk=payload.sku_id)
    fields = payload.model_dump(exclude={"sku_id", "policy"})
    if not fields["name"]:
        fields["name"] = f"{sku.name} ({payload.term})"
    offer = services.create_offer(
        principal,
        sku=sku,
        policy=payload.policy.model_dump(exclude_none=True) if payload.policy else None,
        **fields,
    )
    return Status(201, _offer_out(_offers(request).get(pk=offer.pk)))


@router.get("/catalog/offers/{offer_id}", response={200: OfferOut, 404: ErrorOut}, summary="One offer")
@requires(Permission.CATALOG_VIEW)
def get_offer(request: HttpRequest, offer_id: str, response: HttpResponse) -> Any:
    offer = policy.get_visible(principal_of(request), _offers(request), pk=offer_id)
    etags.tag(response, _policy(offer))
    return _offer_out(offer)


@router.patch(
    "/catalog/offers/{offer_id}/policy", response={200: OfferOut, **ERRORS}, summary="Change a policy row"
)
@requires(Permission.CATALOG_MANAGE)
def patch_policy(request: HttpRequest, offer_id: str, payload: PolicyIn, response: HttpResponse) -> Any:
    principal = principal_of(request)
    offer = policy.get_visible(principal, Offer, pk=offer_id)
    with etags.guarded(etags.if_match(request), _policy(offer)):
        services.update_policy(principal, offer, payload.model_dump(exclude_none=True))
    fresh = _offers(request).get(pk=offer.pk)
    etags.tag(response, _policy(fresh))
    return _offer_out(fresh)


@router.post(
    "/catalog/offers/{offer_id}/price-changes",
    response={201: OfferOut, **ERRORS},
    summary="Announce a price change ahead of its effective date",
)
@requires(Permission.CATALOG_MANAGE)
def announce_price_change(request: HttpRequest, offer_id: str, payload: PriceChangeIn) -> Status:
    principal = principal_of(request)
    offer = policy.get_visible(principal, Offer, pk=offer_id)
    services.announce_price_change(
        principal, offer, unit_price=payload.unit_price, effective_at=payload.effective_at
    )
    return Status(201, _offer_out(_offers(request).get(pk=offer.pk)))


@router.post("/catalog/upgrade-paths", response={201: LinkOut, **ERRORS}, summary="Allow an upgrade path")
@requires(Permission.CATALOG_MANAGE)
def add_upgrade_path(request: HttpRequest, payload: UpgradePathIn) -> Status:
    principal = principal_of(request)
    path: UpgradePath = services.add_upgrade_path(
        principal,
        from_sku=policy.get_visible(principal, Sku, pk=payload.from_sku_id),
        to_sku=policy.get_visible(principal, Sku, pk=payload.to_sku_id),
    )
    return Status(201, {"id": path.pk})


@router.post("/catalog/addon-rules", response={201: LinkOut, **ERRORS}, summary="Declare an add-on rule")
@requires(Permission.CATALOG_MANAGE)
def add_addon_rule(request: HttpRequest, payload: AddOnRuleIn) -> Status:
    principal = principal_of(request)
    rule: AddOnRule = services.add_addon_rule(
        principal,
        addon_sku=policy.get_visible(principal, Sku, pk=payload.addon_sku_id),
        base_sku=policy.get_visible(principal, Sku, pk=payload.base_sku_id),
        coterminous=payload.coterminous,
    )
    return Status(201, {"id": rule.pk})
