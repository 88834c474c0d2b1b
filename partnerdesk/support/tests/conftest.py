"""Support fixtures: a support topic, a service, attachments stored in a temporary folder."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from partnerdesk.catalog.models import Offer, Product, Service, Sku
from partnerdesk.health.testing import subscribe
from partnerdesk.support.models import SupportTopic
from partnerdesk.testing import World


@pytest.fixture
def topic(db: Any) -> SupportTopic:
    return SupportTopic.objects.create(name="Sign-in and identity")


@pytest.fixture
def service(world: World) -> Service:
    """Mail, which every customer of the tiny world is entitled to (a customer names only those)."""
    mail = Service.objects.create(key="mail", name="Mail")
    sku = Sku.objects.create(product=Product.objects.create(name="Mail plan"), name="Mail")
    sku.services.set([mail])
    offer = Offer.objects.create(sku=sku, name="Mail monthly", term="P1M", unit_price=Decimal("4"))
    for customer in (world.customer_a1, world.customer_a2, world.customer_b1, world.customer_b2):
        subscribe(customer, offer)
    return mail


@pytest.fixture(autouse=True)
def media_root(settings: Any, tmp_path: Any) -> Any:
    settings.MEDIA_ROOT = tmp_path / "files"
    return settings.MEDIA_ROOT


def open_request(client: Any, *, headers: dict[str, str] | None = None, **overrides: Any) -> Any:
    body = {
        "title": "Mail stopped arriving",
        "description": "Since this morning no external mail reaches our mailboxes.",
        "severity": "moderate",
        "contact_name": "Chen",
        "contact_email": "chen@contoso.test",
        **overrides,
    }
    return client.post("/support-requests", body, headers=headers or {})
