"""Licence pools: assigned never exceeds purchased, even under concurrent requests."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import connection

from partnerdesk.access.permissions import Role
from partnerdesk.access.principal import principal_for
from partnerdesk.audit.models import AuditEvent
from partnerdesk.notifications.models import OutboxMessage
from partnerdesk.subscriptions import licences, lifecycle, seats
from partnerdesk.subscriptions.models import LicenseAssignment, ScheduledChange, Subscription
from partnerdesk.subscriptions.queries import licences_of, licensed_user_ids
from partnerdesk.subscriptions.tests.conftest import Catalog, agent, subscribe
from partnerdesk.testing import World, database_state, make_user


def people(world: World, count: int) -> list[Any]:
    return [make_user(world.customer_a1, f"person{i}@contoso.test", [Role.USER]) for i in range(count)]


def assign(
    api: Any, catalog: Catalog, users: list[Any], key: str = "a1.licence_admin", action: str = "assign"
) -> Any:
    return api(key).post(
        f"/licenses/{action}", {"sku_id": str(catalog.basic.pk), "user_ids": [str(u.pk) for u in users]}
    )


@pytest.mark.django_db
def test_licence_admin_assigns_and_removes_in_bulk(api: Any, world: World, catalog: Catalog) -> None:
    subscribe(world, catalog.basic_monthly, 3)
    users = people(world, 3)
    response = assign(api, catalog, users)
    assert response.status_code == 200, response.json_body
    assert response.json_body["pool"] == {
        "sku_id": str(catalog.basic.pk),
        "sku_name": "Office 365 E1",
        "product_name": "Office 365",
        "purchased": 3,
        "suspended": 0,
        "assigned": 3,
        "available": 0,
        "over_assigned": 0,
    }
    assert set(licensed_user_ids(world.customer_a1.pk)) == {u.pk for u in users}
    assert [a.sku.name for a in licences_of(users[0])] == ["Office 365 E1"]
    assert AuditEvent.objects.filter(action="licence.assigned").count() == 3
    removed = assign(api, catalog, users[:2], key="a1.global_admin", action="remove")
    assert removed.json_body["changed"] == 2 and removed.json_body["pool"]["available"] == 2


@pytest.mark.django_db
def test_assigning_past_the_pool_is_out_of_licenses_and_all_or_nothing(
    api: Any, world: World, catalog: Catalog
) -> None:
    subscribe(world, catalog.basic_monthly, 2)
    users = people(world, 3)
    before = database_state()
    response = assign(api, catalog, users)
    assert response.status_code == 409 and response.json_body["error"]["code"] == "out_of_licenses"
    assert database_state() == before
    assert api("a1.licence_admin").get("/licenses").json_body["items"][0]["assigned"] == 0


@pytest.mark.django_db
def test_suspended_seats_are_not_assignable_and_over_assignment_is_shown_not_removed(
    api: Any, world: World, catalog: Catalog
) -> None:
    subscription = subscribe(world, catalog.basic_monthly, 3)
    users = people(world, 3)
    assign(api, catalog, users)
    lifecycle.suspend(agent(world), subscription, reason="non_payment")
    pool = api("a1.global_admin").get("/licenses").json_body["items"][0]
    assert (pool["purchased"], pool["suspended"], pool["assigned"], pool["over_assigned"]) == (0, 3, 3, 3)
    assert LicenseAssignment.objects.count() == 3
    told = OutboxMessage.objects.get(kind="subscriptions_over_assigned")
    assert "licence_admin@contoso.test" in told.to and "global_admin@contoso.test" in told.to
    assert assign(api, catalog, people_more(world)).json_body["error"]["code"] == "out_of_licenses"


def people_more(world: World) -> list[Any]:
    return [make_user(world.customer_a1, "late@contoso.test", [Role.USER])]


@pytest.mark.django_db
def test_partner_cannot_decrease_below_assigned(api: Any, world: World, catalog: Catalog) -> None:
    subscription = subscribe(world, catalog.basic_monthly, 5)
    assign(api, catalog, people(world, 4))
    before = database_state()
    response = api("a.admin_agent").patch(f"/subscriptions/{subscription.pk}", {"quantity": 3})
    assert response.status_code == 409 and response.json_body["error"]["code"] == "quantity_below_assigned"
    assert database_state() == before
    assert api("a.admin_agent").patch(f"/subscriptions/{subscription.pk}", {"quantity": 4}).status_code == 200


@pytest.mark.django_db
def test_who_may_assign(api: Any, world: World, catalog: Catalog) -> None:
    subscribe(world, catalog.basic_monthly, 5)
    users = people(world, 1)
    before = database_state()
    for key in ("a1.user_admin", "a1.user", "a.admin_agent"):
        assert assign(api, catalog, users, key=key).status_code == 403, key
    assert assign(api, catalog, users, key="a2.global_admin").status_code == 404
    assert api(None).get("/licenses").status_code == 401
    assert api("a1.global_admin").post("/licenses/assign", {"sku_id": "x", "user_ids": []}).status_code == 422
    assert database_state() == before
    # A partner agent with delegated global admin does it in the customer's admin center.
    delegated = api("a.admin_agent", on_behalf_of=world.customer_a1.pk)
    assert (
        delegated.post(
            "/licenses/assign", {"sku_id": str(catalog.basic.pk), "user_ids": [str(users[0].pk)]}
        ).status_code
        == 200
    )


@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_assignments_at_ten_free_seats(api: Any, world: World, catalog: Catalog) -> None:
    if connection.vendor == "sqlite":
        pytest.skip("SQLite has no row locks to contend on; CI runs this on PostgreSQL")
    subscription = subscribe(world, catalog.basic_monthly, 10)
    contenders = [make_user(world.customer_a1, f"rush{i}@contoso.test", [Role.USER]) for i in range(50)]
    clients = [api("a1.licence_admin") for _ in contenders]
    barrier = threading.Barrier(len(contenders))
    results: list[tuple[int, str]] = []
    lock = threading.Lock()

    def attempt(client: Any, user: Any) -> None:
        try:
            barrier.wait()
            response = client.post(
                "/licenses/assign", {"sku_id": str(catalog.basic.pk), "user_ids": [str(user.pk)]}
            )
            code = response.json_body.get("error", {}).get("code", "") if response.status_code != 200 else ""
            with lock:
                results.append((response.status_code, code))
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=pair) for pair in zip(clients, contenders, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results).count((200, "")) == 10
    assert results.count((409, "out_of_licenses")) == 40
    assert LicenseAssignment.objects.filter(customer=world.customer_a1).count() == 10
    pool = api("a1.licence_admin").get("/licenses").json_body["items"][0]
    assert (pool["purchased"], pool["assigned"], pool["available"]) == (10, 10, 0)
    assert Subscription.objects.get(pk=subscription.pk).quantity == 10


def test_saving_a_users_licences_is_all_or_nothing(web: Any, world: World, catalog: Catalog) -> None:
    subscribe(world, catalog.basic_monthly, quantity=5)
    subscribe(world, catalog.premium_monthly, quantity=1)
    holder, person = people(world, 2)
    licences.assign_licences(
        agent(world, "a1.licence_admin"), customer=world.customer_a1, sku=catalog.premium, users=[holder]
    )
    before = database_state()

    response = web("a1.licence_admin").post(
        f"/admin/licenses/users/{person.pk}/", {"skus": [str(catalog.basic.pk), str(catalog.premium.pk)]}
    )

    assert response.status_code == 409
    assert not LicenseAssignment.objects.filter(user=person).exists()
    assert database_state() == before


def test_malformed_user_ids_in_the_pool_form_are_refused_not_a_500(
    web: Any, world: World, catalog: Catalog
) -> None:
    subscribe(world, catalog.basic_monthly)
    before = database_state()

    response = web("a1.licence_admin").post(f"/admin/licenses/{catalog.basic.pk}/", {"users": ["bad"]})

    assert response.status_code == 400
    assert database_state() == before


@pytest.mark.django_db
def test_assigning_past_a_scheduled_decrease_invalidates_it_and_tells_the_partner(
    world: World, catalog: Catalog
) -> None:
    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    subscription = subscribe(world, catalog.basic_monthly, 10, now=start)
    later = start + timedelta(days=9)  # past the purchase's refund window: a decrease waits for renewal
    scheduled = seats.change_quantity(agent(world), subscription, 3, now=later).scheduled
    assert scheduled is not None
    admin = principal_for(world.user("a1.licence_admin"))
    four = people(world, 4)

    licences.assign_licences(admin, customer=world.customer_a1, sku=catalog.basic, users=four[:3], now=later)
    assert ScheduledChange.objects.get(pk=scheduled.pk).status == ScheduledChange.Status.PENDING  # 3 fit in 3

    licences.assign_licences(admin, customer=world.customer_a1, sku=catalog.basic, users=four[3:], now=later)
    change = ScheduledChange.objects.get(pk=scheduled.pk)
    assert (change.status, change.reason_code) == (
        ScheduledChange.Status.INVALID,
        "subscriptions.scheduled_below_assigned",
    )
    assert change.reason_params == {"assigned": 4, "quantity": 3}
    assert AuditEvent.objects.filter(
        action="subscription.scheduled_change_invalidated", object_id=str(subscription.pk)
    ).exists()
    assert OutboxMessage.objects.filter(kind="subscriptions_scheduled_change_invalid").count() == 1
