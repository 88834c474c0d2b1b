"""Service health test data on top of the tiny world: a catalog and who is entitled to what."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from partnerdesk.access.principal import principal_for
from partnerdesk.catalog.models import Offer, Product, Service, Sku
from partnerdesk.health import changes, issues
from partnerdesk.health.common import FIRST_NUMBER
from partnerdesk.health.models import DisplayNumber, HealthIssue, MessagePost
from partnerdesk.health.rendering import render_markdown
from partnerdesk.subscriptions.models import Subscription
from partnerdesk.tenancy.models import Organization
from partnerdesk.testing import World


@dataclass
class Catalog:
    exchange: Service
    sharepoint: Service
    teams: Service


def subscribe(customer: Organization, offer: Offer) -> Subscription:
    assert customer.partner is not None
    return Subscription.objects.create(
        customer=customer,
        partner=customer.partner,
        offer=offer,
        quantity=5,
        term_end=timezone.now() + timedelta(days=365),
    )


def build_catalog(world: World) -> Catalog:
    """Exchange and SharePoint come with "E3"; Teams alone with "Teams Essentials".

    Contoso (a1, partner A) and Tailspin (b1, partner B) have E3; Adatum (a2, partner A) has only
    Teams; Wingtip (b2) has nothing.
    """
    catalog = Catalog(
        exchange=Service.objects.create(key="exchange", name="Exchange Online"),
        sharepoint=Service.objects.create(key="sharepoint", name="SharePoint Online"),
        teams=Service.objects.create(key="teams", name="Microsoft Teams"),
    )
    product = Product.objects.create(name="Microsoft 365")
    e3 = Sku.objects.create(product=product, name="E3")
    e3.services.set([catalog.exchange, catalog.sharepoint])
    essentials = Sku.objects.create(product=product, name="Teams Essentials")
    essentials.services.set([catalog.teams])
    e3_offer = Offer.objects.create(sku=e3, name="E3 monthly", term="P1M", unit_price=Decimal("100"))
    teams_offer = Offer.objects.create(
        sku=essentials, name="Teams monthly", term="P1M", unit_price=Decimal("20")
    )
    subscribe(world.customer_a1, e3_offer)
    subscribe(world.customer_b1, e3_offer)
    subscribe(world.customer_a2, teams_offer)
    return catalog


def published_posts(count: int, *, body: str = "Read **me**.", **fields: Any) -> list[MessagePost]:
    """`count` published posts for all tenants, bulk-created (the service would cost ~10 queries each).

    They carry `body_html` like the service writes it, and take their numbers from the MC sequence.
    """
    counter, _ = DisplayNumber.objects.get_or_create(kind="MC", defaults={"last": FIRST_NUMBER - 1})
    first = counter.last + 1
    DisplayNumber.objects.filter(kind="MC").update(last=first + count - 1)
    now, html = timezone.now(), render_markdown(body)
    changes.changed(changes.MESSAGES)  # what the services do with every change of the posts
    return MessagePost.objects.bulk_create(
        MessagePost(
            number=first + i,
            title=f"Bulk post {i}",
            body=body,
            body_html=html,
            category=MessagePost.Category.STAY_INFORMED,
            audience=MessagePost.Audience.ALL,
            status=MessagePost.Status.PUBLISHED,
            published_at=now,
            last_modified_at=now - timedelta(seconds=i),
            **fields,
        )
        for i in range(count)
    )


def exchange_incident(world: World, catalog: Catalog) -> HealthIssue:
    """A published incident on Exchange ("Mail delivery delays", degraded), as the operator's
    communications manager files it through the service; its first post says "Investigating."."""
    return issues.create_issue(
        principal_for(world.user("operator.communications_manager")),
        title="Mail delivery delays",
        impact_description="Users may see delays.",
        service_ids=[catalog.exchange.pk],
        status="service_degradation",
        first_post="Investigating.",
        publish=True,
    )


def post_exchange_incident(api: Any, catalog: Catalog, **fields: Any) -> dict[str, Any]:
    """The same incident filed through `POST /health/issues`; `fields` override the body. Returns the
    answer's JSON."""
    body = {
        "title": "Mail delivery delays",
        "impact_description": "Users may see delays sending mail.",
        "services": [str(catalog.exchange.pk)],
        "status": "service_degradation",
        "first_post": "We are investigating.",
        "publish": True,
        **fields,
    }
    response = api("operator.communications_manager").post("/health/issues", body)
    assert response.status_code == 201, response.json_body
    return response.json_body
