"""A seat request names the new total and says what it will do before anything is applied."""

from __future__ import annotations

import importlib
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.apps import apps
from django.utils import timezone

from partnerdesk.notifications.models import OutboxMessage
from partnerdesk.subscriptions.change_requests import preview
from partnerdesk.subscriptions.models import ChangeRequest, Subscription
from partnerdesk.subscriptions.tests.conftest import Catalog, subscribe
from partnerdesk.testing import World, database_state
from partnerdesk.texts import sentence

pytestmark = pytest.mark.django_db


def ask(api: Any, subscription: Subscription, key: str = "a1.global_admin", **body: Any) -> Any:
    return api(key).post(
        "/change-requests", {"subscription_id": str(subscription.pk), "type": "increase", **body}
    )


def test_asking_for_30_on_25_seats_ends_with_30(api: Any, world: World, catalog: Catalog) -> None:
    subscription = subscribe(world, catalog.basic_monthly, 25)
    asked = ask(api, subscription, seats=30)
    assert asked.status_code == 201, asked.json_body
    assert (asked.json_body["seats"], asked.json_body["quantity"]) == (30, 5)
    mail = OutboxMessage.objects.get(kind="subscriptions_change_requested")
    assert "Seats: 25 now, 30 after the change." in mail.body_text

    preview = api("a.admin_agent").get(f"/change-requests/{asked.json_body['id']}/preview")
    assert preview.status_code == 200, preview.json_body
    body = preview.json_body
    assert (body["seats_before"], body["seats_after"], body["applicable"]) == (25, 30, True)
    assert Decimal(body["price_after"]) == subscription.unit_price * 30
    assert "5 seats are added now" in body["consequence"]

    approved = api("a.admin_agent").post(f"/change-requests/{asked.json_body['id']}/approve", {})
    assert approved.status_code == 200, approved.json_body
    assert Subscription.objects.get(pk=subscription.pk).quantity == 30


def test_the_difference_still_works_for_older_clients(api: Any, world: World, catalog: Catalog) -> None:
    subscription = subscribe(world, catalog.basic_monthly, 25)
    asked = ask(api, subscription, quantity=5)
    assert asked.status_code == 201 and asked.json_body["seats"] == 30
    api("a.admin_agent").post(f"/change-requests/{asked.json_body['id']}/approve", {})
    assert Subscription.objects.get(pk=subscription.pk).quantity == 30


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"seats": 25}, "seats_not_more"),
        ({"seats": 20}, "seats_not_more"),
        ({"type": "decrease", "seats": 30}, "seats_not_fewer"),
        ({"seats": 30, "quantity": 5}, "seats_and_quantity"),
        ({}, "seats_required"),
        ({"seats": 301}, "quantity_out_of_range"),
    ],
)
def test_a_total_that_is_no_change_is_refused(
    api: Any, world: World, catalog: Catalog, body: dict[str, Any], code: str
) -> None:
    subscription = subscribe(world, catalog.basic_monthly, 25)
    before = database_state()
    refused = ask(api, subscription, **body)
    assert refused.status_code == 400, refused.json_body
    assert refused.json_body["error"]["code"] == code
    assert database_state() == before


def test_the_customer_previews_before_sending(api: Any, world: World, catalog: Catalog) -> None:
    subscription = subscribe(world, catalog.basic_monthly, 25)
    before = database_state()
    url = f"/subscriptions/{subscription.pk}/change-preview"
    fewer = api("a1.global_admin").get(f"{url}?type=decrease&seats=20")
    assert fewer.status_code == 200, fewer.json_body
    assert (fewer.json_body["seats_before"], fewer.json_body["seats_after"]) == (25, 20)
    # The 25 seats were bought just now, so they are still inside their refund window.
    assert fewer.json_body["consequence"] == "5 seats are removed now and refunded."
    cancel = api("a1.global_admin").get(f"{url}?type=cancel").json_body
    assert cancel["seats_after"] == 0 and "its data is deleted after" in cancel["consequence"]
    assert database_state() == before


def test_a_preview_after_the_window_says_nothing_can_be_cancelled(
    api: Any, world: World, catalog: Catalog
) -> None:
    subscription = subscribe(world, catalog.basic_monthly, 25)
    Subscription.objects.filter(pk=subscription.pk).update(term_start=timezone.now() - timedelta(days=30))
    preview = api("a1.global_admin").get(f"/subscriptions/{subscription.pk}/change-preview?type=cancel")
    assert preview.json_body["applicable"] is False
    assert "cancellation window closed" in preview.json_body["problem"]


@pytest.mark.parametrize(("key", "status"), [("a2.global_admin", 404), ("outsider", 403), ("a1.user", 403)])
def test_others_cannot_preview(api: Any, world: World, catalog: Catalog, key: str, status: int) -> None:
    subscription = subscribe(world, catalog.basic_monthly, 25)
    request_id = ask(api, subscription, seats=30).json_body["id"]
    before = database_state()
    assert api(key).get(f"/subscriptions/{subscription.pk}/change-preview?type=cancel").status_code == status
    assert api(key).get(f"/change-requests/{request_id}/preview").status_code in {403, 404}
    assert database_state() == before


def test_open_requests_from_before_totals_get_their_total(world: World, catalog: Catalog) -> None:
    subscription = subscribe(world, catalog.basic_monthly, 25)
    legacy = ChangeRequest.objects.create(
        subscription=subscription,
        customer=world.customer_a1,
        partner=world.partner_a,
        kind=ChangeRequest.Kind.DECREASE,
        quantity=5,
    )
    decided = ChangeRequest.objects.create(
        subscription=subscription,
        customer=world.customer_a1,
        partner=world.partner_a,
        kind=ChangeRequest.Kind.INCREASE,
        quantity=5,
        status=ChangeRequest.Status.APPROVED,
    )
    migration = importlib.import_module("partnerdesk.subscriptions.migrations.0004_changerequest_seats_total")
    migration.totals_for_open_requests(apps, None)
    assert ChangeRequest.objects.get(pk=legacy.pk).seats == 20
    assert ChangeRequest.objects.get(pk=decided.pk).seats is None


def test_a_partner_acting_for_its_customer_is_not_sent_to_ask_itself(
    api: Any, web: Any, world: World, catalog: Catalog
) -> None:
    subscription = subscribe(world, catalog.basic_monthly, 25)
    before = database_state()
    asked = api("a.admin_agent", on_behalf_of=world.customer_a1.pk).post(
        "/change-requests", {"subscription_id": str(subscription.pk), "type": "increase", "seats": 30}
    )
    assert asked.status_code == 403 and asked.json_body["error"]["code"] == "partner_changes_directly"
    assert database_state() == before

    agent = web("a.admin_agent")
    agent.post("/switch-organization/", {"organization": str(world.customer_a1.pk)})
    page = agent.get("/admin/subscriptions/").content.decode()
    assert "Request a change from" not in page
    assert f'href="/partner/subscriptions/{subscription.pk}/"' in page
    form = agent.get(f"/admin/subscriptions/{subscription.pk}/request-change/")
    assert form.status_code == 302 and form["Location"] == f"/partner/subscriptions/{subscription.pk}/"


def test_a_sentence_ending_in_a_time_ends_in_one_period(world: World, catalog: Catalog) -> None:
    subscription = subscribe(world, catalog.basic_monthly, 25)
    morning = timezone.now().replace(hour=9, minute=13) + timedelta(days=1)
    with timezone.override("UTC"):
        cancel = preview(subscription, kind=ChangeRequest.Kind.CANCEL, now=morning - timedelta(days=60))

    assert cancel.consequence.endswith("a.m.") and not cancel.consequence.endswith("..")
    assert sentence("Deleted on Dec. 4, 2026, 9:13 a.m..") == "Deleted on Dec. 4, 2026, 9:13 a.m."
    assert sentence("Nothing changed.") == "Nothing changed."
