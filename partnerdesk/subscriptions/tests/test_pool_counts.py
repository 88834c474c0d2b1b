"""The pool row counts its assigned licences: every writer keeps the count equal to the assignments.

Assigning checks the count on the locked pool row instead of counting the tenant's assignments
(ADR 0005), so the count must stay right through every path that adds or removes assignments.
"""

from __future__ import annotations

import importlib
import threading
from datetime import timedelta
from typing import Any

import pytest
from django.apps import apps
from django.db import connection
from django.utils import timezone

from partnerdesk.access.permissions import Role
from partnerdesk.access.principal import principal_for
from partnerdesk.directory import users as directory_users
from partnerdesk.subscriptions import licences, lifecycle, renewals
from partnerdesk.subscriptions.models import LicenseAssignment, LicensePool
from partnerdesk.subscriptions.tests.conftest import Catalog, agent, subscribe
from partnerdesk.testing import World, make_user

pytestmark = pytest.mark.django_db


def people(world: World, count: int, prefix: str = "p") -> list[Any]:
    return [make_user(world.customer_a1, f"{prefix}{i}@contoso.test", [Role.USER]) for i in range(count)]


def admin(world: World) -> Any:
    return principal_for(world.user("a1.global_admin"))


def counted(world: World, sku: Any) -> tuple[int, int]:
    """(the pool's count, the assignments there are): equal whenever the count is right."""
    pool = LicensePool.objects.get(customer=world.customer_a1, sku=sku)
    return pool.assigned, LicenseAssignment.objects.filter(customer=world.customer_a1, sku=sku).count()


def test_the_count_follows_assign_remove_and_bulk(api: Any, world: World, catalog: Catalog) -> None:
    subscribe(world, catalog.basic_monthly, 5)
    a, b, c, d = people(world, 4)
    steps = []
    for action, users in [("assign", [a, b, c]), ("assign", [a, d]), ("remove", [b, c]), ("remove", [b])]:
        response = api("a1.licence_admin").post(
            f"/licenses/{action}", {"sku_id": str(catalog.basic.pk), "user_ids": [str(u.pk) for u in users]}
        )
        steps.append((response.json_body["pool"]["assigned"], *counted(world, catalog.basic)))

    assert steps == [(3, 3, 3), (4, 4, 4), (2, 2, 2), (2, 2, 2)]


def test_a_refused_assignment_counts_nothing(world: World, catalog: Catalog) -> None:
    subscribe(world, catalog.basic_monthly, 2)
    with pytest.raises(licences.OutOfLicenses):
        licences.assign_licences(
            admin(world), customer=world.customer_a1, sku=catalog.basic, users=people(world, 3)
        )
    assert counted(world, catalog.basic) == (0, 0)


def test_purging_a_deleted_user_gives_their_licences_back_to_each_pool(
    world: World, catalog: Catalog
) -> None:
    subscribe(world, catalog.basic_monthly, 5)
    subscribe(world, catalog.premium_monthly, 5)
    leaving, staying = people(world, 2)
    for sku in (catalog.basic, catalog.premium):
        licences.assign_licences(admin(world), customer=world.customer_a1, sku=sku, users=[leaving, staying])
    directory_users.delete_user(admin(world), leaving)
    assert counted(world, catalog.basic) == (2, 2)  # a deleted user keeps them until the purge

    purged = directory_users.purge_deleted_users(now=timezone.now() + timedelta(days=400))

    assert purged == 1
    assert counted(world, catalog.basic) == (1, 1) and counted(world, catalog.premium) == (1, 1)


def test_deleting_a_subscriptions_data_and_upgrading_keep_the_counts(world: World, catalog: Catalog) -> None:
    subscription = subscribe(world, catalog.basic_monthly, 5)
    licences.assign_licences(
        admin(world), customer=world.customer_a1, sku=catalog.basic, users=people(world, 3)
    )
    lifecycle.upgrade(agent(world), subscription, catalog.premium_monthly)
    assert counted(world, catalog.basic) == (0, 0) and counted(world, catalog.premium) == (3, 3)

    premium = lifecycle.create_subscription(
        agent(world), customer=world.customer_a2, offer=catalog.premium_monthly, quantity=1
    )
    lifecycle.cancel(agent(world), premium)
    renewals.delete_data_due(now=timezone.now() + timedelta(days=400))

    assert counted(world, catalog.premium) == (3, 3)


def test_the_migration_fills_the_count_from_the_assignments(world: World, catalog: Catalog) -> None:
    subscribe(world, catalog.basic_monthly, 5)
    licences.assign_licences(
        admin(world), customer=world.customer_a1, sku=catalog.basic, users=people(world, 4)
    )
    LicensePool.objects.update(assigned=0)
    migration = importlib.import_module("partnerdesk.subscriptions.migrations.0008_pool_assigned_count")

    migration.count_assignments(apps, None)

    assert counted(world, catalog.basic) == (4, 4)


@pytest.mark.django_db(transaction=True)
def test_concurrent_assigns_and_removes_never_oversell_and_keep_the_count(
    world: World, catalog: Catalog
) -> None:
    if connection.vendor == "sqlite":
        pytest.skip("SQLite has no row locks to contend on; CI runs this on PostgreSQL")
    subscribe(world, catalog.basic_monthly, 6)
    holders = people(world, 4, "holder")
    licences.assign_licences(admin(world), customer=world.customer_a1, sku=catalog.basic, users=holders)
    newcomers = people(world, 12, "new")
    barrier = threading.Barrier(len(holders) + len(newcomers))
    refused: list[Any] = []

    def attempt(user: Any, action: str) -> None:
        try:
            barrier.wait()
            change = licences.assign_licences if action == "assign" else licences.remove_licences
            change(admin(world), customer=world.customer_a1, sku=catalog.basic, users=[user])
        except licences.OutOfLicenses:
            refused.append(user)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(u, "remove")) for u in holders]
    threads += [threading.Thread(target=attempt, args=(u, "assign")) for u in newcomers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assigned, there = counted(world, catalog.basic)
    assert assigned == there <= 6
    assert there == len(newcomers) - len(refused)
