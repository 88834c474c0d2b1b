"""Every catalog, subscription and licence page: its role gets in, anonymous is sent to sign in,
a wrong role gets 403, an outsider 403/404, and nothing changes."""

from __future__ import annotations

from typing import Any

import pytest

from partnerdesk.access.principal import principal_for
from partnerdesk.catalog.models import Product
from partnerdesk.subscriptions import change_requests
from partnerdesk.subscriptions.tests.conftest import Catalog, subscribe
from partnerdesk.testing import World, assert_page_admits

pytestmark = pytest.mark.django_db

# (page, who may see it, a wrong-role user, an outsider or None)
PAGES = [
    ("/operator/catalog/", "operator.auditor", "operator.support_engineer", "a.partner_global_admin"),
    (
        "/operator/catalog/products/{product}/",
        "operator.catalog_manager",
        "operator.communications_manager",
        "a1.global_admin",
    ),
    (
        "/operator/catalog/offers/{offer}/",
        "operator.operator_admin",
        "operator.support_engineer",
        "a.sales_agent",
    ),
    ("/partner/subscriptions/", "a.billing_admin", "operator.operator_admin", "a1.global_admin"),
    ("/partner/subscriptions/{subscription}/", "a.helpdesk_agent", "a1.global_admin", "b.admin_agent"),
    ("/partner/customers/{customer}/subscriptions/", "a.sales_agent", "a1.global_admin", "b.admin_agent"),
    (
        "/partner/customers/{customer}/subscriptions/new/",
        "a.sales_agent",
        "a.helpdesk_agent",
        "b.admin_agent",
    ),
    ("/partner/change-requests/", "a.admin_agent", "a1.global_admin", "operator.auditor"),
    ("/admin/subscriptions/", "a1.licence_admin", "a1.service_support_admin", "a.sales_agent"),
    (
        "/admin/subscriptions/{subscription}/request-change/",
        "a1.global_admin",
        "a1.licence_admin",
        "a2.global_admin",
    ),
    ("/admin/change-requests/", "a1.licence_admin", "a1.service_support_admin", "a.sales_agent"),
    ("/admin/licenses/", "a1.user_admin", "a1.message_center_reader", "a.sales_agent"),
    ("/admin/licenses/{sku}/", "a1.licence_admin", "a1.user", "a.sales_agent"),
    ("/admin/licenses/users/{user}/", "a1.licence_admin", "a1.privacy_reader", "a2.global_admin"),
]


@pytest.fixture
def ids(world: World, catalog: Catalog) -> dict[str, Any]:
    subscription = subscribe(world, catalog.basic_monthly, 5)
    change_requests.request_change(principal_for(world.user("a1.global_admin")), subscription, kind="cancel")
    return {
        "product": Product.objects.get().pk,
        "offer": catalog.basic_monthly.pk,
        "subscription": subscription.pk,
        "customer": world.customer_a1.pk,
        "sku": catalog.basic.pk,
        "user": world.user("a1.user").pk,
    }


@pytest.mark.parametrize(("page", "allowed", "wrong_role", "outsider"), PAGES, ids=[p[0] for p in PAGES])
def test_each_page_admits_its_role_and_refuses_others(
    web: Any, ids: dict[str, Any], page: str, allowed: str, wrong_role: str, outsider: str | None
) -> None:
    assert_page_admits(web, page.format(**ids), allowed, wrong_role, outsider)
