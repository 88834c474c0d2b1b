"""The operator's catalog API: catalog managers build it, partners read it, nobody else changes it."""

from __future__ import annotations

from typing import Any

import pytest

from partnerdesk.catalog.models import Offer, Product, Service, Sku
from partnerdesk.testing import database_state

pytestmark = pytest.mark.django_db


@pytest.fixture
def services_(world: Any) -> None:
    Service.objects.create(key="exchange", name="Exchange Online")
    Service.objects.create(key="teams", name="Microsoft Teams")


def build(api: Any) -> dict[str, Any]:
    manager = api("operator.catalog_manager")
    product = manager.post("/catalog/products", {"name": "Office 365"})
    assert product.status_code == 201, product.json_body
    sku = manager.post(
        "/catalog/skus",
        {"product_id": product.json_body["id"], "name": "Office 365 E3", "services": ["exchange", "teams"]},
    )
    assert sku.status_code == 201, sku.json_body
    offer = manager.post(
        "/catalog/offers",
        {
            "sku_id": sku.json_body["id"],
            "term": "P1Y",
            "billing_cycle": "monthly",
            "unit_price": "120.00",
            "currency": "CNY",
            "min_quantity": 1,
            "max_quantity": 500,
            "policy": {"cancellation_window_hours": 72, "seat_decrease": "renewal"},
        },
    )
    assert offer.status_code == 201, offer.json_body
    return {"product": product.json_body, "sku": sku.json_body, "offer": offer.json_body}


def test_catalog_manager_builds_products_skus_and_offers_with_policy_rows(api: Any, services_: None) -> None:
    made = build(api)
    assert made["sku"]["services"] == ["exchange", "teams"]
    assert made["offer"]["policy"] == {
        "cancellation_window_hours": 72,
        "seat_decrease": "renewal",
        "billing_continues_while_suspended": True,
    }
    assert made["offer"]["name"] == "Office 365 E3 (P1Y)"
    partner = api("a.sales_agent")
    listed = partner.get("/catalog/offers").json_body["items"]
    assert [o["id"] for o in listed] == [made["offer"]["id"]]


def test_offer_policy_defaults_to_a_week_of_cancellation(api: Any, services_: None) -> None:
    made = build(api)
    offer = api("operator.catalog_manager").post(
        "/catalog/offers", {"sku_id": made["sku"]["id"], "term": "P1M", "unit_price": "12.00"}
    )
    assert offer.json_body["policy"]["cancellation_window_hours"] == 168
    assert offer.json_body["policy"]["seat_decrease"] == "window"


def test_policy_rows_change_and_are_audited(api: Any, services_: None) -> None:
    from partnerdesk.audit.models import AuditEvent

    made = build(api)
    response = api("operator.catalog_manager").patch(
        f"/catalog/offers/{made['offer']['id']}/policy", {"billing_continues_while_suspended": False}
    )
    assert response.status_code == 200
    assert response.json_body["policy"]["billing_continues_while_suspended"] is False
    event = AuditEvent.objects.get(action="catalog.policy_changed")
    assert event.before == {"billing_continues_while_suspended": True}


def test_price_changes_are_announced_ahead(api: Any, services_: None) -> None:
    made = build(api)
    manager = api("operator.catalog_manager")
    url = f"/catalog/offers/{made['offer']['id']}/price-changes"
    past = manager.post(url, {"unit_price": "99.00", "effective_at": "2020-01-01T00:00:00Z"})
    assert past.status_code == 400 and past.json_body["error"]["code"] == "not_ahead"
    ahead = manager.post(url, {"unit_price": "130.00", "effective_at": "2099-01-01T00:00:00Z"})
    assert ahead.status_code == 201
    assert ahead.json_body["unit_price"] == "120.00"
    assert ahead.json_body["price_changes"][0]["unit_price"] == "130.00"


def test_upgrade_paths_and_addon_rules(api: Any, services_: None) -> None:
    made = build(api)
    manager = api("operator.catalog_manager")
    other = manager.post("/catalog/skus", {"product_id": made["product"]["id"], "name": "E5", "services": []})
    path = {"from_sku_id": made["sku"]["id"], "to_sku_id": other.json_body["id"]}
    assert manager.post("/catalog/upgrade-paths", path).status_code == 201
    assert manager.post("/catalog/upgrade-paths", path).json_body["error"]["code"] == "already_exists"
    rule = {"addon_sku_id": other.json_body["id"], "base_sku_id": made["sku"]["id"]}
    assert manager.post("/catalog/addon-rules", rule).status_code == 201
    sku = manager.get(f"/catalog/skus/{made['sku']['id']}").json_body
    assert sku["upgrades_to"] == [other.json_body["id"]]


@pytest.mark.parametrize("key", ["a.partner_global_admin", "operator.support_engineer", "a1.global_admin"])
def test_others_cannot_change_the_catalog(api: Any, services_: None, key: str) -> None:
    made = build(api)
    before = database_state()
    client = api(key)
    assert client.post("/catalog/products", {"name": "Sneaky"}).status_code == 403
    assert (
        client.post(
            "/catalog/offers", {"sku_id": made["sku"]["id"], "term": "P1M", "unit_price": "1"}
        ).status_code
        == 403
    )
    assert (
        client.patch(
            f"/catalog/offers/{made['offer']['id']}/policy", {"seat_decrease": "anytime"}
        ).status_code
        == 403
    )
    assert database_state() == before


def test_customers_do_not_browse_the_price_list(api: Any, services_: None) -> None:
    build(api)
    assert api("a1.global_admin").get("/catalog/offers").status_code == 403


def test_anonymous_and_invalid(api: Any, services_: None) -> None:
    assert api(None).get("/catalog/products").status_code == 401
    manager = api("operator.catalog_manager")
    response = manager.post("/catalog/offers", {"sku_id": "not-a-uuid", "term": "P2Y", "unit_price": "1"})
    assert response.status_code == 422 and response.json_body["error"]["code"] == "validation_error"
    unknown = manager.post(
        "/catalog/skus",
        {"product_id": str(Product.objects.create(name="X").pk), "name": "Y", "services": ["nope"]},
    )
    assert unknown.json_body["error"]["code"] == "unknown_service"
    assert manager.get("/catalog/offers/00000000-0000-0000-0000-000000000000").status_code == 404
    assert not Sku.objects.filter(name="Y").exists() and not Offer.objects.exists()


def test_a_huge_quantity_limit_is_refused_not_a_500(api: Any, web: Any, services_: None) -> None:
    made = build(api)
    before = database_state()
    huge = 10**30

    response = api("operator.catalog_manager").post(
        "/catalog/offers",
        {"sku_id": made["sku"]["id"], "term": "P1M", "unit_price": "1.00", "max_quantity": huge},
    )
    page = web("operator.catalog_manager").post(
        f"/operator/catalog/products/{made['product']['id']}/add/offer/",
        {
            "sku": made["sku"]["id"],
            "term": "P1M",
            "billing_cycle": "monthly",
            "unit_price": "1.00",
            "currency": "CNY",
            "min_quantity": "1",
            "max_quantity": str(huge),
        },
    )

    assert response.status_code == 422
    assert response.json_body["error"]["code"] == "validation_error"
    assert page.status_code == 400
    assert database_state() == before


def test_a_name_of_spaces_is_still_the_service_s_refusal(api: Any, world: Any) -> None:
    """`ProductIn` keeps its name as sent: one of spaces is the 400 `name_required` it always was."""
    refused = api("operator.catalog_manager").post("/catalog/products", {"name": "   "})

    assert refused.status_code == 400 and refused.json_body["error"]["code"] == "name_required"
