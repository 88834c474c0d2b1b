"""The pages: partner center subscriptions and requests, admin center subscriptions and licences, catalog."""

from __future__ import annotations

from typing import Any

import pytest

from partnerdesk.access.permissions import Role
from partnerdesk.access.principal import principal_for
from partnerdesk.audit.models import AuditEvent
from partnerdesk.subscriptions import change_requests
from partnerdesk.subscriptions.models import ChangeRequest, LicenseAssignment, Subscription
from partnerdesk.subscriptions.tests.conftest import Catalog, subscribe
from partnerdesk.testing import World, database_state, make_user

pytestmark = pytest.mark.django_db


def test_partner_pages_render_for_agents(web: Any, world: World, catalog: Catalog) -> None:
    subscription = subscribe(world, catalog.basic_monthly, 10)
    client = web("a.sales_agent")
    for url in (
        "/partner/subscriptions/",
        f"/partner/customers/{world.customer_a1.pk}/subscriptions/",
        f"/partner/customers/{world.customer_a1.pk}/subscriptions/new/",
        f"/partner/subscriptions/{subscription.pk}/",
        "/partner/change-requests/",
    ):
        assert client.get(url).status_code == 200, url
    detail = client.get(f"/partner/subscriptions/{subscription.pk}/").content.decode()
    assert "10 seats can be removed now for a refund" in detail
    assert "Office 365 E3" in detail  # the upgrade target


def test_partner_adds_a_subscription_and_changes_seats_on_the_web(
    web: Any, world: World, catalog: Catalog
) -> None:
    client = web("a.admin_agent")
    response = client.post(
        f"/partner/customers/{world.customer_a1.pk}/subscriptions/new/",
        {"offer": catalog.basic_monthly.pk, "quantity": 4, "friendly_name": "Branch"},
    )
    subscription = Subscription.objects.get()
    assert (
        response.status_code == 302 and response["Location"] == f"/partner/subscriptions/{subscription.pk}/"
    )
    response = client.post(
        f"/partner/subscriptions/{subscription.pk}/quantity/", {"quantity": 9, "etag": subscription.etag}
    )
    assert response.status_code == 302
    assert Subscription.objects.get().quantity == 9
    stale = client.post(
        f"/partner/subscriptions/{subscription.pk}/quantity/", {"quantity": 12, "etag": subscription.etag}
    )
    assert stale.status_code == 409 and "Someone else changed this" in stale.content.decode()
    suspend = f"/partner/subscriptions/{subscription.pk}/suspend/"
    asked = client.post(suspend, {"reason": "fraud"})
    # Suspending asks first, saying who loses what; nothing changes until confirmed.
    assert asked.status_code == 200 and Subscription.objects.get().status == "active"
    assert "until the subscription is reactivated" in asked.content.decode()
    client.post(suspend, {"reason": "fraud", "confirmed": "1"})
    assert Subscription.objects.get().status == "suspended"
    client.post(f"/partner/subscriptions/{subscription.pk}/reactivate/")
    client.post(f"/partner/subscriptions/{subscription.pk}/settings/", {"friendly_name": "HQ"})
    subscription.refresh_from_db()
    assert (subscription.status, subscription.friendly_name, subscription.auto_renew) == (
        "active",
        "HQ",
        False,
    )


@pytest.mark.parametrize("key", ["a.helpdesk_agent", "a.billing_admin"])
def test_roles_without_subscription_changes_are_refused(
    web: Any, world: World, catalog: Catalog, key: str
) -> None:
    subscription = subscribe(world, catalog.basic_monthly, 10)
    client = web(key)
    assert client.get(f"/partner/subscriptions/{subscription.pk}/").status_code == 200
    before = database_state()
    assert (
        client.post(f"/partner/subscriptions/{subscription.pk}/quantity/", {"quantity": 20}).status_code
        == 403
    )
    assert (
        client.post(
            f"/partner/customers/{world.customer_a1.pk}/subscriptions/new/",
            {"offer": catalog.basic_monthly.pk, "quantity": 1},
        ).status_code
        == 403
    )
    assert database_state() == before


def test_outsiders_get_404_on_pages(web: Any, world: World, catalog: Catalog) -> None:
    subscription = subscribe(world, catalog.basic_monthly, 10)
    client = web("outsider")
    before = database_state()
    assert client.get(f"/partner/subscriptions/{subscription.pk}/").status_code == 404
    assert client.get(f"/partner/customers/{world.customer_a1.pk}/subscriptions/").status_code == 404
    assert (
        client.post(f"/partner/subscriptions/{subscription.pk}/quantity/", {"quantity": 20}).status_code
        == 404
    )
    assert (
        web("a2.global_admin").get(f"/admin/subscriptions/{subscription.pk}/request-change/").status_code
        == 404
    )
    assert database_state() == before


# Every web route that changes a subscription; a customer posting to it is refused by name.
WEB_ROUTES = [
    "/partner/customers/{customer}/subscriptions/new/",
    "/partner/subscriptions/{subscription}/quantity/",
    "/partner/subscriptions/{subscription}/settings/",
    "/partner/subscriptions/{subscription}/suspend/",
    "/partner/subscriptions/{subscription}/reactivate/",
    "/partner/subscriptions/{subscription}/cancel/",
    "/partner/subscriptions/{subscription}/upgrade/",
    "/partner/subscriptions/{subscription}/addon/",
    "/partner/change-requests/{request}/decide/",
    "/partner/change-requests/{request}/approve/",
]


@pytest.mark.parametrize("route", WEB_ROUTES)
def test_customers_cannot_change_subscriptions_on_the_web(
    web: Any, world: World, catalog: Catalog, route: str
) -> None:
    subscription = subscribe(world, catalog.basic_monthly, 10)
    change_request = change_requests.request_change(
        principal_for(world.user("a1.global_admin")), subscription, kind="increase", quantity=1
    )
    url = route.format(customer=world.customer_a1.pk, subscription=subscription.pk, request=change_request.pk)
    before = list(Subscription.objects.values_list()), list(ChangeRequest.objects.values_list())
    response = web("a1.global_admin").post(
        url,
        {
            "quantity": 20,
            "offer": catalog.premium_monthly.pk,
            "reason": "fraud",
            "decision": "approve",
            "friendly_name": "x",
        },
    )
    assert response.status_code == 403
    body = response.content.decode()
    assert "subscription_change_not_allowed" in body and "Fabrikam" in body
    assert (list(Subscription.objects.values_list()), list(ChangeRequest.objects.values_list())) == before
    assert AuditEvent.objects.filter(action="subscription.change_refused").count() == 1


def test_admin_center_is_read_only_with_a_request_button(web: Any, world: World, catalog: Catalog) -> None:
    subscription = subscribe(world, catalog.basic_monthly, 10)
    client = web("a1.global_admin")
    page = client.get("/admin/subscriptions/").content.decode()
    assert "Request a change from Fabrikam" in page
    assert "/quantity/" not in page and "Suspend" not in page
    url = f"/admin/subscriptions/{subscription.pk}/request-change/"
    review = client.post(url, {"kind": "increase", "seats": 15, "note": "Team"})
    assert review.status_code == 200 and "10 → 15" in review.content.decode()
    assert not ChangeRequest.objects.exists()
    response = client.post(url, {"kind": "increase", "seats": 15, "note": "Team", "confirm": "1"})
    assert response.status_code == 302
    asked = ChangeRequest.objects.get()
    assert (asked.seats, asked.quantity) == (15, 5)
    assert "More seats" in client.get("/admin/subscriptions/").content.decode()
    missing = client.post(f"/admin/subscriptions/{subscription.pk}/request-change/", {"kind": "decrease"})
    assert missing.status_code == 400 and ChangeRequest.objects.count() == 1


def test_licence_admin_reads_subscriptions_but_cannot_request(
    web: Any, world: World, catalog: Catalog
) -> None:
    subscription = subscribe(world, catalog.basic_monthly, 10)
    client = web("a1.licence_admin")
    page = client.get("/admin/subscriptions/").content.decode()
    assert "Request a change from" not in page
    before = database_state()
    assert (
        client.post(f"/admin/subscriptions/{subscription.pk}/request-change/", {"kind": "cancel"}).status_code
        == 403
    )
    assert database_state() == before
    assert web("a1.user").get("/admin/subscriptions/").status_code == 403


def test_licence_pages_assign_and_remove(web: Any, world: World, catalog: Catalog) -> None:
    subscribe(world, catalog.basic_monthly, 2)
    people = [make_user(world.customer_a1, f"p{i}@contoso.test", [Role.USER]) for i in range(3)]
    client = web("a1.licence_admin")
    assert "Office 365 E1" in client.get("/admin/licenses/").content.decode()
    url = f"/admin/licenses/{catalog.basic.pk}/"
    assert client.get(url).status_code == 200
    too_many = client.post(url, {"action": "assign", "users": [str(p.pk) for p in people]})
    assert too_many.status_code == 409 and "Out of licences" in too_many.content.decode()
    assert LicenseAssignment.objects.count() == 0
    assert client.post(url, {"action": "assign", "users": [str(p.pk) for p in people[:2]]}).status_code == 302
    removal = {"action": "remove", "users": [str(people[0].pk)]}
    asked = client.post(url, removal)
    assert asked.status_code == 200 and "loses Office 365 E1 at once" in asked.content.decode()
    assert LicenseAssignment.objects.count() == 2
    assert client.post(url, {**removal, "confirmed": "1"}).status_code == 302
    assert list(LicenseAssignment.objects.values_list("user_id", flat=True)) == [people[1].pk]
    user_page = f"/admin/licenses/users/{people[0].pk}/"
    assert client.get(user_page).status_code == 200
    assert client.post(user_page, {"skus": [str(catalog.basic.pk)]}).status_code == 302
    assert LicenseAssignment.objects.filter(user=people[0]).exists()
    before = database_state()
    assert (
        web("a1.user_admin").post(url, {"action": "remove", "users": [str(people[0].pk)]}).status_code == 403
    )
    assert web("a2.global_admin").get(user_page).status_code == 404
    assert database_state() == before


def test_partner_decides_change_requests_on_the_web(web: Any, world: World, catalog: Catalog) -> None:
    subscription = subscribe(world, catalog.basic_monthly, 10)
    change_request = change_requests.request_change(
        principal_for(world.user("a1.global_admin")), subscription, kind="increase", quantity=3
    )
    client = web("a.admin_agent")
    assert "Contoso" in client.get("/partner/change-requests/").content.decode()
    empty = client.post(
        f"/partner/change-requests/{change_request.pk}/decide/", {"decision": "reject", "message": ""}
    )
    assert empty.status_code == 302 and ChangeRequest.objects.get().status == "open"
    review = client.post(
        f"/partner/change-requests/{change_request.pk}/decide/", {"decision": "approve", "message": "ok"}
    )
    approve = f"/partner/change-requests/{change_request.pk}/approve/"
    assert review.status_code == 302 and review["Location"] == approve
    assert Subscription.objects.get().quantity == 10
    assert "10 → 13" in client.get(approve).content.decode()
    assert client.post(approve, {"message": "ok"}).status_code == 302
    assert Subscription.objects.get().quantity == 13
    assert ChangeRequest.objects.get().response == "ok"


def test_catalog_pages(web: Any, world: World, catalog: Catalog) -> None:
    from partnerdesk.catalog.models import OfferPolicy, Product, Sku

    client = web("operator.catalog_manager")
    assert "Office 365" in client.get("/operator/catalog/").content.decode()
    product = Product.objects.get()
    assert client.get(f"/operator/catalog/products/{product.pk}/").status_code == 200
    assert client.post("/operator/catalog/", {"name": "Dynamics"}).status_code == 302
    response = client.post(
        f"/operator/catalog/products/{product.pk}/add/sku/", {"name": "Kiosk", "services": ["exchange"]}
    )
    assert response.status_code == 302 and Sku.objects.get(name="Kiosk").services.get().key == "exchange"
    offer_page = f"/operator/catalog/offers/{catalog.basic_monthly.pk}/"
    assert client.get(offer_page).status_code == 200
    client.post(offer_page, {"form": "policy", "cancellation_window_hours": 72, "seat_decrease": "anytime"})
    policy = OfferPolicy.objects.get(offer=catalog.basic_monthly)
    assert (
        policy.cancellation_window_hours,
        policy.seat_decrease,
        policy.billing_continues_while_suspended,
    ) == (
        72,
        "anytime",
        False,
    )
    before = database_state()
    for key in ("operator.support_engineer", "a.partner_global_admin"):
        assert web(key).get("/operator/catalog/").status_code == 403
    assert web("operator.auditor").post("/operator/catalog/", {"name": "X"}).status_code == 403
    assert database_state() == before


def test_customer_asks_for_an_upgrade_and_the_partner_approves(
    web: Any, world: World, catalog: Catalog
) -> None:
    subscription = subscribe(world, catalog.basic_monthly, 4)
    customer = web("a1.global_admin")
    form = customer.get(f"/admin/subscriptions/{subscription.pk}/request-change/").content.decode()
    assert "Office 365 E3" in form
    customer.post(
        f"/admin/subscriptions/{subscription.pk}/request-change/",
        {"kind": "upgrade", "target_sku": catalog.premium.pk, "note": "Need Teams", "confirm": "1"},
    )
    change_request = ChangeRequest.objects.get()
    assert change_request.target_sku == catalog.premium
    web("a.admin_agent").post(f"/partner/change-requests/{change_request.pk}/approve/")
    upgraded = Subscription.objects.get(upgraded_from=subscription)
    assert upgraded.offer == catalog.premium_monthly and upgraded.quantity == 4
    assert Subscription.objects.get(pk=subscription.pk).status == Subscription.Status.CANCELLED
