"""Partner-side subscription API: who may buy and change, ETags, idempotency, audit."""

from __future__ import annotations

from typing import Any

import pytest

from partnerdesk.audit.models import AuditEvent
from partnerdesk.idempotency.models import IdempotencyRecord
from partnerdesk.subscriptions.models import SeatLot, Subscription
from partnerdesk.subscriptions.tests.conftest import Catalog, subscribe
from partnerdesk.testing import World, database_state

pytestmark = pytest.mark.django_db


def buy(api: Any, world: World, offer_id: Any, key: str = "a.admin_agent", **extra: Any) -> Any:
    return api(key).post(
        f"/customers/{world.customer_a1.pk}/subscriptions",
        {"offer_id": str(offer_id), "quantity": 5, "friendly_name": "Head office"},
        **extra,
    )


@pytest.mark.parametrize("key", ["a.admin_agent", "a.sales_agent", "a.partner_global_admin"])
def test_admin_and_sales_agents_buy_subscriptions(api: Any, world: World, catalog: Catalog, key: str) -> None:
    response = buy(api, world, catalog.basic_monthly.pk, key)
    assert response.status_code == 201, response.json_body
    body = response.json_body
    assert body["quantity"] == 5 and body["status"] == "active" and body["friendly_name"] == "Head office"
    assert body["partner"]["name"] == "Fabrikam" and body["unit_price"] == "40.00"
    assert body["removable_now"]["seats"] == 5
    assert (
        AuditEvent.objects.filter(action="subscription.created", organization=world.customer_a1).count() == 1
    )


@pytest.mark.parametrize("key", ["a.helpdesk_agent", "a.billing_admin", "operator.operator_admin"])
def test_helpdesk_billing_and_operator_cannot_buy(api: Any, world: World, catalog: Catalog, key: str) -> None:
    before = database_state()
    response = buy(api, world, catalog.basic_monthly.pk, key)
    assert response.status_code == 403
    assert response.json_body["error"]["code"] == "permission_denied"
    assert database_state() == before


def test_helpdesk_agent_reads_but_cannot_change(api: Any, world: World, catalog: Catalog) -> None:
    subscription = subscribe(world, catalog.basic_monthly)
    helpdesk = api("a.helpdesk_agent")
    assert helpdesk.get(f"/subscriptions/{subscription.pk}").status_code == 200
    before = database_state()
    assert helpdesk.patch(f"/subscriptions/{subscription.pk}", {"quantity": 12}).status_code == 403
    assert database_state() == before


def test_outsider_partner_sees_nothing(api: Any, world: World, catalog: Catalog) -> None:
    subscription = subscribe(world, catalog.basic_monthly)
    outsider = api("outsider")
    before = database_state()
    assert outsider.get(f"/subscriptions/{subscription.pk}").status_code == 404
    assert outsider.get(f"/customers/{world.customer_a1.pk}/subscriptions").status_code == 404
    assert buy(api, world, catalog.basic_monthly.pk, "outsider").status_code == 404
    assert outsider.patch(f"/subscriptions/{subscription.pk}", {"quantity": 12}).status_code == 404
    assert database_state() == before


def test_anonymous_and_invalid(api: Any, world: World, catalog: Catalog) -> None:
    before = database_state()
    assert api(None).get(f"/customers/{world.customer_a1.pk}/subscriptions").status_code == 401
    bad = api("a.admin_agent").post(
        f"/customers/{world.customer_a1.pk}/subscriptions", {"offer_id": "x", "quantity": 0}
    )
    assert bad.status_code == 422 and bad.json_body["error"]["code"] == "validation_error"
    too_many = api("a.admin_agent").post(
        f"/customers/{world.customer_a1.pk}/subscriptions",
        {"offer_id": str(catalog.basic_monthly.pk), "quantity": 301},
    )
    assert too_many.status_code == 400 and too_many.json_body["error"]["code"] == "quantity_out_of_range"
    assert database_state() == before


def test_list_and_view(api: Any, world: World, catalog: Catalog) -> None:
    first = subscribe(world, catalog.basic_monthly)
    subscribe(world, catalog.premium_monthly, 3)
    listed = api("a.sales_agent").get(f"/customers/{world.customer_a1.pk}/subscriptions?limit=1")
    assert listed.status_code == 200 and len(listed.json_body["items"]) == 1
    rest = api("a.sales_agent").get(
        f"/customers/{world.customer_a1.pk}/subscriptions?limit=1&cursor={listed.json_body['next_cursor']}"
    )
    assert rest.json_body["items"][0]["id"] == str(first.pk)
    one = api("a.sales_agent").get(f"/subscriptions/{first.pk}")
    assert one["ETag"] == one.json_body["etag"]


def test_patch_changes_name_auto_renew_and_seats_and_audits_each(
    api: Any, world: World, catalog: Catalog
) -> None:
    subscription = subscribe(world, catalog.basic_monthly)
    response = api("a.sales_agent").patch(
        f"/subscriptions/{subscription.pk}", {"quantity": 12, "auto_renew": False, "friendly_name": "HQ"}
    )
    assert response.status_code == 200, response.json_body
    assert (
        response.json_body["quantity"],
        response.json_body["auto_renew"],
        response.json_body["friendly_name"],
    ) == (
        12,
        False,
        "HQ",
    )
    actions = set(AuditEvent.objects.filter(object_id=str(subscription.pk)).values_list("action", flat=True))
    assert {"subscription.updated", "subscription.seats_increased"} <= actions


def test_a_stale_if_match_is_refused_with_412(api: Any, world: World, catalog: Catalog) -> None:
    subscription = subscribe(world, catalog.basic_monthly)
    first, second = api("a.admin_agent"), api("a.sales_agent")
    etag = first.get(f"/subscriptions/{subscription.pk}")["ETag"]
    ok = first.patch(f"/subscriptions/{subscription.pk}", {"quantity": 11}, headers={"If-Match": etag})
    assert ok.status_code == 200 and ok["ETag"] != etag
    before = database_state()
    stale = second.patch(f"/subscriptions/{subscription.pk}", {"quantity": 20}, headers={"If-Match": etag})
    assert stale.status_code == 412 and stale.json_body["error"]["code"] == "precondition_failed"
    assert database_state() == before
    assert Subscription.objects.get(pk=subscription.pk).quantity == 11


def test_idempotency_key_replays_the_first_response(api: Any, world: World, catalog: Catalog) -> None:
    client = api("a.admin_agent")
    headers = {"Idempotency-Key": "buy-contoso-1"}
    first = buy(api, world, catalog.basic_monthly.pk, headers=headers)
    again = client.post(
        f"/customers/{world.customer_a1.pk}/subscriptions",
        {"offer_id": str(catalog.basic_monthly.pk), "quantity": 5, "friendly_name": "Head office"},
        headers=headers,
    )
    assert first.status_code == again.status_code == 201
    assert again.json_body["id"] == first.json_body["id"]
    assert Subscription.objects.count() == 1 and IdempotencyRecord.objects.count() == 1
    # A PATCH says the quantity it wants, so a retried one changes nothing more (no key needed).
    url = f"/subscriptions/{first.json_body['id']}"
    assert client.patch(url, {"quantity": 8}).json_body["quantity"] == 8
    assert client.patch(url, {"quantity": 8}).status_code == 200
    assert SeatLot.objects.filter(kind=SeatLot.Kind.INCREASE).count() == 1
    reused = client.post(f"{url}/upgrade", {"offer_id": str(catalog.premium_monthly.pk)}, headers=headers)
    assert reused.status_code == 422 and reused.json_body["error"]["code"] == "idempotency_key_reused"


def test_suspend_reactivate_cancel(api: Any, world: World, catalog: Catalog) -> None:
    subscription = subscribe(world, catalog.basic_monthly)
    client = api("a.admin_agent")
    url = f"/subscriptions/{subscription.pk}"
    no_reason = client.patch(url, {"status": "suspended"})
    assert no_reason.status_code == 400 and no_reason.json_body["error"]["code"] == "reason_required"
    suspended = client.patch(url, {"status": "suspended", "suspension_reason": "non_payment"})
    assert suspended.json_body["status"] == "suspended"
    assert suspended.json_body["suspension_reason"] == "non_payment"
    assert client.patch(url, {"quantity": 20}).json_body["error"]["code"] == "subscription_not_active"
    assert client.patch(url, {"status": "active"}).json_body["status"] == "active"
    assert client.patch(url, {"status": "cancelled"}).json_body["status"] == "cancelled"
    actions = list(
        AuditEvent.objects.filter(object_id=str(subscription.pk))
        .order_by("at")
        .values_list("action", flat=True)
    )
    assert actions == [
        "subscription.created",
        "subscription.suspended",
        "subscription.reactivated",
        "subscription.cancelled",
    ]


def test_if_match_on_a_status_change_and_on_an_empty_patch(api: Any, world: World, catalog: Catalog) -> None:
    subscription = subscribe(world, catalog.basic_monthly)
    client = api("a.admin_agent")
    url = f"/subscriptions/{subscription.pk}"
    etag = client.get(url)["ETag"]
    suspended = client.patch(
        url, {"status": "suspended", "suspension_reason": "fraud"}, headers={"If-Match": etag}
    )
    assert suspended.status_code == 200 and suspended.json_body["status"] == "suspended"
    stale = client.patch(url, {}, headers={"If-Match": etag})
    assert stale.status_code == 412
    assert client.patch(url, {}, headers={"If-Match": suspended["ETag"]}).status_code == 200
