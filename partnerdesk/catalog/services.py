"""The operator's catalog: the rules for adding services (features, regions) and for creating
products, SKUs, offers and their policy rows."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from partnerdesk.access.permissions import Permission
from partnerdesk.access.principal import Principal
from partnerdesk.audit import services as audit
from partnerdesk.catalog.models import (
    AddOnRule,
    Feature,
    Offer,
    OfferPolicy,
    PriceChange,
    Product,
    Region,
    Service,
    Sku,
    UpgradePath,
)
from partnerdesk.errors import Conflict, DomainError

OFFER_FIELDS = [
    "name",
    "term",
    "billing_cycle",
    "unit_price",
    "currency",
    "min_quantity",
    "max_quantity",
    "valid_from",
    "valid_until",
]
POLICY_FIELDS = ["cancellation_window_hours", "seat_decrease", "billing_continues_while_suspended"]


def _name(value: str) -> str:
    value = value.strip()
    if not value:
        raise DomainError(_("A name is required."), code="name_required")
    return value


def _text(value: str, field: str) -> str:
    value = (value or "").strip()
    if not value:
        raise DomainError(_("%(field)s is required.") % {"field": field}, code="field_required")
    return value


# Services are added by whoever manages service health (the same operator role as before the move).
def create_service(principal: Principal, *, key: str, name: str, description: str = "") -> Service:
    """Add a service to the catalog."""
    principal.require(Permission.HEALTH_MANAGE)
    with transaction.atomic():
        if Service.objects.filter(key=key).exists():
            raise Conflict(_("A service with this key exists."), code="duplicate_service")
        service = Service.objects.create(key=key, name=_text(name, _("Name")), description=description)
        audit.record(
            principal,
            action="service.created",
            target=service,
            organization=None,
            after=audit.snapshot(service, ["key", "name"]),
        )
    return service


def add_feature(principal: Principal, service: Service, *, name: str, group: str = "") -> Feature:
    """Add a feature (in a feature group) to a service."""
    principal.require(Permission.HEALTH_MANAGE)
    with transaction.atomic():
        feature, created = Feature.objects.get_or_create(
            service=service, group=group.strip(), name=_text(name, _("Name"))
        )
        if created:
            audit.record(
                principal,
                action="feature.created",
                target=feature,
                organization=None,
                after={"service": str(service.pk), "group": group, "name": name},
            )
    return feature


def add_region(principal: Principal, *, key: str, name: str) -> Region:
    """Add a region."""
    principal.require(Permission.HEALTH_MANAGE)
    with transaction.atomic():
        region, created = Region.objects.get_or_create(key=key, defaults={"name": _text(name, _("Name"))})
        if created:
            audit.record(principal, action="region.created", target=region, organization=None)
    return region


def policy_of(offer: Offer) -> OfferPolicy:
    """The offer's policy row; an offer created before policy rows existed gets the defaults."""
    try:
        return offer.policy
    except OfferPolicy.DoesNotExist:
        policy, _created = OfferPolicy.objects.get_or_create(offer=offer)
        return policy


def create_product(principal: Principal, *, name: str, description: str = "") -> Product:
    """Add a product family to the catalog."""
    principal.require(Permission.CATALOG_MANAGE)
    with transaction.atomic():
        product = Product.objects.create(name=_name(name), description=description.strip())
        audit.record(
            principal,
            action="catalog.product_created",
            target=product,
            organization=principal.organization,
            after=audit.snapshot(product, ["name", "description"]),
        )
    return product


def create_sku(principal: Principal, *, product: Product, name: str, service_keys: list[str]) -> Sku:
    """Add a SKU to a product, with the services it includes (which drive entitlement and audiences)."""
    principal.require(Permission.CATALOG_MANAGE)
    services = list(Service.objects.filter(key__in=service_keys))
    unknown = set(service_keys) - {s.key for s in services}
    if unknown:
        raise DomainError(
            _("Unknown services: %(keys)s.") % {"keys": ", ".join(sorted(unknown))}, code="unknown_service"
        )
    with transaction.atomic():
        sku = Sku.objects.create(product=product, name=_name(name))
        sku.services.set(services)
        audit.record(
            principal,
            action="catalog.sku_created",
            target=sku,
            organization=principal.organization,
            after={"product": str(product.pk), "name": sku.name, "services": sorted(service_keys)},
        )
    return sku


def _check_offer(offer: Offer) -> None:
    if offer.min_quantity < 1 or offer.max_quantity < offer.min_quantity:
        raise DomainError(
            _("The minimum quantity must be at least 1 and not above the maximum."),
            code="invalid_quantity_limits",
        )
    if offer.unit_price < 0:
        raise DomainError(_("The price cannot be negative."), code="invalid_price")
    if offer.valid_until is not None and offer.valid_until <= offer.valid_from:
        raise DomainError(_("The offer must end after it starts."), code="invalid_validity")
    if offer.term not in Offer.Term.values:
        raise DomainError(_("The term must be P1M or P1Y."), code="invalid_term")


def create_offer(
    principal: Principal, *, sku: Sku, policy: dict[str, Any] | None = None, **fields: Any
) -> Offer:
    """Add a way to buy a SKU, with its policy row (the defaults unless given)."""
    principal.require(Permission.CATALOG_MANAGE)
    values = {k: v for k, v in fields.items() if k in OFFER_FIELDS and v is not None}
    values["name"] = _name(values.get("name", ""))
    offer = Offer(sku=sku, **values)
    _check_offer(offer)
    with transaction.atomic():
        offer.save()
        policy_row = OfferPolicy.objects.create(
            offer=offer, **{k: v for k, v in (policy or {}).items() if k in POLICY_FIELDS}
        )
        audit.record(
            principal,
            action="catalog.offer_created",
            target=offer,
            organization=principal.organization,
            after={**audit.snapshot(offer, OFFER_FIELDS), **audit.snapshot(policy_row, POLICY_FIELDS)},
        )
    return offer


def update_policy(principal: Principal, offer: Offer, changes: dict[str, Any]) -> OfferPolicy:
    """Change an offer's policy row; running subscriptions follow the new rules from now on."""
    principal.require(Permission.CATALOG_MANAGE)
    with transaction.atomic():
        policy, _created = OfferPolicy.objects.select_for_update().get_or_create(offer=offer)
        changed = {k: v for k, v in changes.items() if k in POLICY_FIELDS and getattr(policy, k) != v}
        if not changed:
            return policy
        before = audit.snapshot(policy, list(changed))
        for key, value in changed.items():
            setattr(policy, key, value)
        if policy.seat_decrease not in OfferPolicy.SeatDecrease.values:
            raise DomainError(_("Unknown seat decrease rule."), code="invalid_policy")
        policy.save()
        audit.record(
            principal,
            action="catalog.policy_changed",
            target=offer,
            organization=principal.organization,
            before=before,
            after=audit.snapshot(policy, list(changed)),
        )
    return policy


def add_upgrade_path(principal: Principal, *, from_sku: Sku, to_sku: Sku) -> UpgradePath:
    """Allow subscriptions of one SKU to be upgraded to another."""
    principal.require(Permission.CATALOG_MANAGE)
    if from_sku.pk == to_sku.pk:
        raise DomainError(_("A SKU cannot be upgraded to itself."), code="invalid_upgrade_path")
    with transaction.atomic():
        path, created = UpgradePath.objects.get_or_create(from_sku=from_sku, to_sku=to_sku)
        if not created:
            raise Conflict(_("This upgrade path exists already."), code="already_exists")
        audit.record(
            principal,
            action="catalog.upgrade_path_added",
            target=path,
            organization=principal.organization,
            after={"from_sku": str(from_sku.pk), "to_sku": str(to_sku.pk)},
        )
    return path


def add_addon_rule(
    principal: Principal, *, addon_sku: Sku, base_sku: Sku, coterminous: bool = True
) -> AddOnRule:
    """Declare that an add-on SKU is sold only on top of a subscription of a base SKU."""
    principal.require(Permission.CATALOG_MANAGE)
    if addon_sku.pk == base_sku.pk:
        raise DomainError(_("A SKU cannot be its own add-on."), code="invalid_addon_rule")
    with transaction.atomic():
        rule, created = AddOnRule.objects.get_or_create(
            addon_sku=addon_sku, base_sku=base_sku, defaults={"coterminous": coterminous}
        )
        if not created:
            raise Conflict(_("This add-on rule exists already."), code="already_exists")
        audit.record(
            principal,
            action="catalog.addon_rule_added",
            target=rule,
            organization=principal.organization,
            after={"addon_sku": str(addon_sku.pk), "base_sku": str(base_sku.pk), "coterminous": coterminous},
        )
    return rule


def announce_price_change(
    principal: Principal,
    offer: Offer,
    *,
    unit_price: Decimal,
    effective_at: datetime,
    now: datetime | None = None,
) -> PriceChange:
    """Announce a new price from a future date; terms already running keep the price they started with."""
    principal.require(Permission.CATALOG_MANAGE)
    now = now or timezone.now()
    if effective_at <= now:
        raise DomainError(
            _("A price change must be announced ahead of its effective date."), code="not_ahead"
        )
    if unit_price < 0:
        raise DomainError(_("The price cannot be negative."), code="invalid_price")
    with transaction.atomic():
        change = PriceChange.objects.create(offer=offer, unit_price=unit_price, effective_at=effective_at)
        audit.record(
            principal,
            action="catalog.price_change_announced",
            target=offer,
            organization=principal.organization,
            before={"unit_price": str(offer.price_at(now))},
            after={"unit_price": str(unit_price), "effective_at": effective_at.isoformat()},
        )
    return change
