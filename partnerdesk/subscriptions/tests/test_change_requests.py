"""Customer change requests: the customer asks, the partner approves, rejects or asks for information."""

from __future__ import annotations

from typing import Any

import pytest

from partnerdesk.catalog.models import Offer
from partnerdesk.notifications.models import OutboxMessage
from partnerdesk.subscriptions.models import ChangeRequest, Subscription
from partnerdesk.subscriptions.tests.conftest import Catalog, subscribe
from partnerdesk.testing import World, database_state

pytestmark = pytest.mark.django_db


def ask(api: Any, subscription: Subscription, key: str = "a1.global_admin", **body: Any) -> Any:
    return api(key).post(
        "/change-requests",
        {
            "subscription_id": str(subscription.pk),
            "type": "increase",
            "quantity": 5,
            "note": "New team",
            **body,
        },
    )


def test_customer_asks_for_seats_and_partner_approves(api: Any, world: World, catalog: Catalog) -> None:
    subscription = subscribe(world, catalog.basic_monthly, 10)
    asked = ask(api, subscription)
    assert asked.status_code == 201, asked.json_body
    assert asked.json_body["status"] == "open" and asked.json_body["partner"]["name"] == "Fabrikam"
    mail = OutboxMessage.objects.get(kind="subscriptions_change_requested")
    assert "admin_agent@fabrikam.test" in mail.to and "helpdesk_agent@fabrikam.test" not in mail.to

    assert [r["id"] for r in api("a.admin_agent").get("/change-requests").json_body["items"]] == [
        asked.json_body["id"]
    ]
    approved = api("a.sales_agent").post(
        f"/change-requests/{asked.json_body['id']}/approve", {"response": "Done"}
    )
    assert approved.status_code == 200 and approved.json_body["status"] == "approved"
    assert Subscription.objects.get(pk=subscription.pk).quantity == 15
    seen = api("a1.global_admin").get(f"/change-requests/{asked.json_body['id']}").json_body
    assert seen["status"] == "approved" and seen["response"] == "Done"
    assert api("a1.global_admin").get(f"/subscriptions/{subscription.pk}").json_body["quantity"] == 15


def test_partner_asks_for_information_then_rejects(api: Any, world: World, catalog: Catalog) -> None:
    subscription = subscribe(world, catalog.basic_monthly, 10)
    request_id = ask(api, subscription, type="cancel").json_body["id"]
    partner, customer = api("a.admin_agent"), api("a1.global_admin")
    inquired = partner.post(f"/change-requests/{request_id}/inquire", {"question": "All of it?"})
    assert inquired.json_body["status"] == "information_requested"
    assert inquired.json_body["response"] == "All of it?"
    replied = customer.post(f"/change-requests/{request_id}/reply", {"note": "Yes, all of it."})
    assert replied.json_body["status"] == "open" and "Yes, all of it." in replied.json_body["note"]
    rejected = partner.post(f"/change-requests/{request_id}/reject", {"reason": "Past the window"})
    assert rejected.json_body["status"] == "rejected"
    again = partner.post(f"/change-requests/{request_id}/approve", {})
    assert again.status_code == 409 and again.json_body["error"]["code"] == "already_decided"
    assert Subscription.objects.get(pk=subscription.pk).status == "active"


def test_an_answer_of_spaces_is_still_the_service_s_refusal(api: Any, world: World, catalog: Catalog) -> None:
    """`ReplyIn` keeps the note's spaces: the API answers as it did before, 400 `note_required`."""
    subscription = subscribe(world, catalog.basic_monthly, 10)
    request_id = ask(api, subscription, type="cancel").json_body["id"]
    api("a.admin_agent").post(f"/change-requests/{request_id}/inquire", {"question": "All of it?"})

    replied = api("a1.global_admin").post(f"/change-requests/{request_id}/reply", {"note": "   "})

    assert replied.status_code == 400 and replied.json_body["error"]["code"] == "note_required"


def test_a_failed_approval_leaves_the_request_open(api: Any, world: World, catalog: Catalog) -> None:
    subscription = subscribe(world, catalog.basic_monthly, 298)
    request_id = ask(api, subscription, quantity=None, seats=300).json_body["id"]
    # The catalog manager lowers the offer's limit before the partner decides.
    Offer.objects.filter(pk=catalog.basic_monthly.pk).update(max_quantity=299)
    before = database_state()
    refused = api("a.admin_agent").post(f"/change-requests/{request_id}/approve", {})
    assert refused.status_code == 400 and refused.json_body["error"]["code"] == "quantity_out_of_range"
    assert database_state() == before
    assert ChangeRequest.objects.get(pk=request_id).status == "open"


@pytest.mark.parametrize("key", ["a1.user", "a1.message_center_reader", "a.admin_agent"])
def test_only_customer_global_admins_ask(api: Any, world: World, catalog: Catalog, key: str) -> None:
    subscription = subscribe(world, catalog.basic_monthly, 10)
    before = database_state()
    assert ask(api, subscription, key=key).status_code == 403
    assert database_state() == before


def test_helpdesk_agents_cannot_decide(api: Any, world: World, catalog: Catalog) -> None:
    subscription = subscribe(world, catalog.basic_monthly, 10)
    request_id = ask(api, subscription).json_body["id"]
    before = database_state()
    assert api("a.helpdesk_agent").post(f"/change-requests/{request_id}/approve", {}).status_code == 403
    assert database_state() == before


def test_outsiders_see_no_requests(api: Any, world: World, catalog: Catalog) -> None:
    subscription = subscribe(world, catalog.basic_monthly, 10)
    request_id = ask(api, subscription).json_body["id"]
    before = database_state()
    assert api("outsider").get(f"/change-requests/{request_id}").status_code == 404
    assert api("outsider").post(f"/change-requests/{request_id}/approve", {}).status_code == 404
    assert api("a2.global_admin").get(f"/change-requests/{request_id}").status_code == 404
    assert ask(api, subscription, key="a2.global_admin").status_code == 404
    assert api(None).get("/change-requests").status_code == 401
    invalid = ask(api, subscription, type="downgrade")
    assert invalid.status_code == 422
    assert database_state() == before


def test_a_huge_quantity_is_refused_not_a_500(api: Any, web: Any, world: World, catalog: Catalog) -> None:
    subscription = subscribe(world, catalog.basic_monthly)
    before = database_state()

    response = ask(api, subscription, quantity=10**30)
    page = web("a1.global_admin").post(
        f"/admin/subscriptions/{subscription.pk}/request-change/",
        {"kind": "increase", "seats": str(10**30)},
    )

    assert response.status_code == 400
    assert response.json_body["error"]["code"] == "quantity_out_of_range"
    assert page.status_code == 400
    assert database_state() == before
