"""Demo catalog (products, SKUs linked to services, offers, upgrade paths, an add-on) and subscriptions
with licences for the demo customers.

Idempotent: the catalog is looked up by name and each customer's subscriptions by customer, so
`seed_demo` can run again without adding anything.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from partnerdesk.access.permissions import OrgKind
from partnerdesk.accounts.models import User
from partnerdesk.audit import services as audit
from partnerdesk.catalog.models import AddOnRule, Offer, OfferPolicy, Product, Service, Sku, UpgradePath
from partnerdesk.subscriptions.common import count_assigned
from partnerdesk.subscriptions.lifecycle import add_term
from partnerdesk.subscriptions.models import LicenseAssignment, LicensePool, SeatLot, Subscription
from partnerdesk.tenancy.models import Organization

SERVICES = {
    "exchange": "Exchange Online",
    "sharepoint": "SharePoint Online",
    "teams": "Microsoft Teams",
    "onedrive": "OneDrive for Business",
}

# product, SKU, services, (term, monthly price)
CATALOG = [
    (
        "Microsoft 365 Business",
        "Microsoft 365 Business Basic",
        ["exchange", "teams", "onedrive"],
        "P1M",
        "45.00",
    ),
    (
        "Microsoft 365 Business",
        "Microsoft 365 Business Standard",
        ["exchange", "sharepoint", "teams", "onedrive"],
        "P1Y",
        "95.00",
    ),
    ("Office 365", "Office 365 E1", ["exchange", "sharepoint", "teams"], "P1M", "60.00"),
    ("Office 365", "Office 365 E3", ["exchange", "sharepoint", "teams", "onedrive"], "P1Y", "160.00"),
    ("Office 365", "Audio Conferencing", ["teams"], "P1M", "20.00"),
]

# customer, SKU, seats, friendly name, e-mails of people who get a licence
SUBSCRIPTIONS = [
    (
        "Contoso",
        "Office 365 E3",
        25,
        "Head office",
        ["admin@contoso.test", "it@contoso.test", "user@contoso.test"],
    ),
    ("Contoso", "Microsoft 365 Business Basic", 10, "Shop floor", []),
    ("Adatum", "Office 365 E1", 10, "", ["admin@adatum.test"]),
    ("Tailspin Toys", "Office 365 E3", 5, "", ["admin@tailspin.test"]),
    ("Wingtip", "Microsoft 365 Business Standard", 15, "", ["admin@wingtip.test"]),
]


def load() -> None:
    with transaction.atomic():
        offers = _catalog()
        _subscriptions(offers)
        _attention(offers)


def _catalog() -> dict[str, Offer]:
    services = {
        key: Service.objects.get_or_create(key=key, defaults={"name": name})[0]
        for key, name in SERVICES.items()
    }
    offers: dict[str, Offer] = {}
    for product_name, sku_name, keys, term, price in CATALOG:
        product = Product.objects.filter(name=product_name).first() or Product.objects.create(
            name=product_name
        )
        sku = Sku.objects.filter(name=sku_name).first()
        if sku is None:
            sku = Sku.objects.create(product=product, name=sku_name)
            sku.services.set([services[k] for k in keys])
        offer = Offer.objects.filter(sku=sku).first()
        if offer is None:
            offer = Offer.objects.create(
                sku=sku,
                name=f"{sku_name} ({'annual' if term == 'P1Y' else 'monthly'})",
                term=term,
                unit_price=Decimal(price),
                max_quantity=1000,
            )
            OfferPolicy.objects.create(offer=offer, seat_decrease="renewal" if term == "P1Y" else "window")
        offers[sku_name] = offer
    skus = {name: offer.sku for name, offer in offers.items()}
    UpgradePath.objects.get_or_create(from_sku=skus["Office 365 E1"], to_sku=skus["Office 365 E3"])
    UpgradePath.objects.get_or_create(
        from_sku=skus["Microsoft 365 Business Basic"], to_sku=skus["Microsoft 365 Business Standard"]
    )
    AddOnRule.objects.get_or_create(addon_sku=skus["Audio Conferencing"], base_sku=skus["Office 365 E3"])
    return offers


def _subscriptions(offers: dict[str, Offer]) -> None:
    now = timezone.now()
    started = now - timedelta(days=20)
    for customer_name, sku_name, seats, friendly_name, licensed in SUBSCRIPTIONS:
        customer = Organization.objects.filter(kind=OrgKind.CUSTOMER, name=customer_name).first()
        offer = offers[sku_name]
        if customer is None or customer.partner_id is None:
            continue
        if Subscription.objects.filter(customer=customer, offer__sku=offer.sku).exists():
            continue
        subscription = Subscription.objects.create(
            customer=customer,
            partner_id=customer.partner_id,
            offer=offer,
            quantity=seats,
            term_start=started,
            term_end=add_term(started, offer.term),
            unit_price=offer.unit_price,
            currency=offer.currency,
            friendly_name=friendly_name,
            created_at=started,
            status_changed_at=started,
        )
        SeatLot.objects.create(
            subscription=subscription,
            kind=SeatLot.Kind.PURCHASE,
            quantity=seats,
            remaining=seats,
            refundable_until=started + timedelta(hours=168),
            created_at=started,
        )
        LicensePool.objects.get_or_create(customer=customer, sku=offer.sku)
        audit.record(
            None,
            action="subscription.created",
            target=subscription,
            organization=customer,
            after={"quantity": seats, "offer": str(offer.pk)},
        )
        people = User.objects.filter(organization=customer, email__in=licensed)
        given = LicenseAssignment.objects.bulk_create(
            LicenseAssignment(customer=customer, sku=offer.sku, user=person) for person in people
        )
        count_assigned(customer.pk, offer.sku_id, len(given))


def _attention(offers: dict[str, Offer]) -> None:
    """What Contoso's home page shows as needing attention: a licence with none left to assign
    (an add-on whose two seats are both assigned) and a change request awaiting the partner."""
    from partnerdesk.access.principal import principal_for
    from partnerdesk.subscriptions.change_requests import request_change
    from partnerdesk.subscriptions.models import ChangeRequest

    contoso = Organization.objects.filter(kind=OrgKind.CUSTOMER, name="Contoso").first()
    chen = User.objects.filter(email="admin@contoso.test").first()
    if contoso is None or contoso.partner_id is None or chen is None:
        return
    audio = offers["Audio Conferencing"]
    base = Subscription.objects.filter(customer=contoso, offer=offers["Office 365 E3"]).first()
    if base is not None and not Subscription.objects.filter(customer=contoso, offer=audio).exists():
        now = timezone.now()
        addon = Subscription.objects.create(
            customer=contoso,
            partner_id=contoso.partner_id,
            offer=audio,
            base=base,
            quantity=2,
            term_start=now,
            term_end=add_term(now, audio.term),
            unit_price=audio.unit_price,
            currency=audio.currency,
            friendly_name="Boardroom",
        )
        SeatLot.objects.create(
            subscription=addon,
            kind=SeatLot.Kind.PURCHASE,
            quantity=2,
            remaining=2,
            refundable_until=now + timedelta(hours=168),
        )
        LicensePool.objects.get_or_create(customer=contoso, sku=audio.sku)
        audit.record(
            None,
            action="subscription.created",
            target=addon,
            organization=contoso,
            after={"quantity": 2, "offer": str(audio.pk)},
        )
        people = User.objects.filter(
            organization=contoso, email__in=["admin@contoso.test", "it@contoso.test"]
        )
        given = LicenseAssignment.objects.bulk_create(
            LicenseAssignment(customer=contoso, sku=audio.sku, user=person) for person in people
        )
        count_assigned(contoso.pk, audio.sku_id, len(given))
    shop_floor = Subscription.objects.filter(
        customer=contoso, offer=offers["Microsoft 365 Business Basic"]
    ).first()
    if shop_floor is not None and not ChangeRequest.objects.filter(subscription=shop_floor).exists():
        request_change(
            principal_for(chen),
            shop_floor,
            kind=ChangeRequest.Kind.INCREASE,
            seats=15,
            note="Five more people start on the shop floor next month.",
        )
