"""Suspending, cancelling, reducing seats and removing licences ask first, with the consequence in
words; after a suspension the page and the scheduled changes say what happened."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from partnerdesk.access.permissions import Role
from partnerdesk.subscriptions import lifecycle, seats
from partnerdesk.subscriptions.models import LicenseAssignment, ScheduledChange, Subscription
from partnerdesk.subscriptions.tests.conftest import Catalog, agent, subscribe
from partnerdesk.testing import World, database_state, make_user

pytestmark = pytest.mark.django_db


def _post_twice(client: Any, url: str, body: dict[str, Any], consequence: str) -> None:
    before = database_state()
    asked = client.post(url, body)
    assert asked.status_code == 200, asked.content.decode()[:500]
    assert consequence in asked.content.decode()
    assert database_state() == before
    assert client.post(url, {**body, "confirmed": "1"}).status_code == 302


def test_suspend_says_who_loses_the_service(web: Any, world: World, catalog: Catalog) -> None:
    subscription = subscribe(world, catalog.basic_monthly, 10)
    _post_twice(
        web("a.admin_agent"),
        f"/partner/subscriptions/{subscription.pk}/suspend/",
        {"reason": "non_payment", "etag": subscription.etag},
        "0 users of Contoso lose Office 365 E1 until the subscription is reactivated",
    )
    assert Subscription.objects.get(pk=subscription.pk).status == Subscription.Status.SUSPENDED


def test_cancel_says_when_data_is_deleted(web: Any, world: World, catalog: Catalog) -> None:
    subscription = subscribe(world, catalog.basic_monthly, 10)
    _post_twice(
        web("a.admin_agent"),
        f"/partner/subscriptions/{subscription.pk}/cancel/",
        {"etag": subscription.etag},
        "Its data is kept for",
    )
    assert Subscription.objects.get(pk=subscription.pk).status == Subscription.Status.CANCELLED


def test_fewer_seats_confirm_but_more_seats_do_not(web: Any, world: World, catalog: Catalog) -> None:
    subscription = subscribe(world, catalog.basic_monthly, 10)
    client = web("a.admin_agent")
    url = f"/partner/subscriptions/{subscription.pk}/quantity/"
    assert client.post(url, {"quantity": 12}).status_code == 302
    assert Subscription.objects.get(pk=subscription.pk).quantity == 12
    _post_twice(client, url, {"quantity": 8}, "4 seats are removed now and refunded.")
    assert Subscription.objects.get(pk=subscription.pk).quantity == 8


def test_removing_a_licence_names_who_loses_it(web: Any, world: World, catalog: Catalog) -> None:
    subscribe(world, catalog.basic_monthly, 2)
    person = make_user(world.customer_a1, "pat@contoso.test", [Role.USER], name="Pat")
    client = web("a1.licence_admin")
    client.post(f"/admin/licenses/{catalog.basic.pk}/", {"action": "assign", "users": [str(person.pk)]})
    assert LicenseAssignment.objects.count() == 1
    _post_twice(
        client,
        f"/admin/licenses/users/{person.pk}/",
        {},
        "Pat loses Office 365 E1 at once",
    )
    assert LicenseAssignment.objects.count() == 0


def test_after_a_suspension_texts_say_what_happened(web: Any, world: World, catalog: Catalog) -> None:
    subscription = subscribe(world, catalog.basic_monthly, 10)
    # Past the refund window, a decrease waits for the renewal.
    subscription.lots.update(refundable_until=timezone.now() - timedelta(days=1))
    seats.change_quantity(agent(world), subscription, 6)
    lifecycle.suspend(agent(world), subscription, reason="non_payment")

    change = ScheduledChange.objects.get()
    assert change.get_status_display() == "No longer applies"
    assert "was suspended (Non-payment)" in change.invalid_reason
    page = web("a.admin_agent").get(f"/partner/subscriptions/{subscription.pk}/").content.decode()
    assert "its seats cannot change until it is reactivated" in page
    assert "No seats can be removed now for a refund" not in page


def test_a_closed_cancellation_window_is_not_offered(web: Any, world: World, catalog: Catalog) -> None:
    subscription = subscribe(world, catalog.basic_monthly, 10)
    Subscription.objects.filter(pk=subscription.pk).update(term_start=timezone.now() - timedelta(days=20))
    page = web("a.admin_agent").get(f"/partner/subscriptions/{subscription.pk}/").content.decode()
    assert "Cancellation is possible until" not in page
    assert "The cancellation window closed on" in page
    assert "Cancel subscription" not in page


def test_why_a_scheduled_change_lapsed_reads_in_the_readers_language(
    api: Any, world: World, catalog: Catalog
) -> None:
    from django.utils import translation

    subscription = subscribe(world, catalog.basic_monthly, 10)
    subscription.lots.update(refundable_until=timezone.now() - timedelta(days=1))
    seats.change_quantity(agent(world), subscription, 6)
    lifecycle.update_settings(agent(world), subscription, {"auto_renew": False})

    change = ScheduledChange.objects.get()
    english = "Auto-renew was turned off, so the subscription will not renew."
    assert change.reason_code == "subscriptions.scheduled_auto_renew_off"
    assert change.invalid_reason == english
    with translation.override("es"):
        spanish = translation.gettext(english)
        assert change.reason_text == spanish != english
    detail = api("a.admin_agent").get(f"/subscriptions/{subscription.pk}", headers={"Accept-Language": "es"})
    assert detail.json_body["scheduled_changes"][0]["invalid_reason"] == spanish
