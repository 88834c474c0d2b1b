"""A tenant's entitled service ids live on its organization row, refreshed by every change of them.

Every request that scopes services, health or Message center to a tenant reads them from the row its
principal holds; so each way its entitlements change must rewrite them in the same transaction.
"""

from __future__ import annotations

import importlib
from datetime import timedelta
from typing import Any

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from partnerdesk.catalog.models import Service
from partnerdesk.subscriptions import lifecycle, renewals
from partnerdesk.subscriptions.models import Subscription
from partnerdesk.subscriptions.queries import entitled_services
from partnerdesk.subscriptions.tests.conftest import Catalog, agent, subscribe
from partnerdesk.tenancy.models import Organization
from partnerdesk.testing import World

pytestmark = pytest.mark.django_db


def kept(world: World) -> set[str]:
    """What the tenant's row says, checked against the subscriptions themselves."""
    row = set(Organization.objects.get(pk=world.customer_a1.pk).entitled_service_ids)
    assert row == {str(pk) for pk in entitled_services(world.customer_a1.pk).values_list("pk", flat=True)}
    return row


def names(ids: set[str]) -> set[str]:
    return set(Service.objects.filter(pk__in=ids).values_list("key", flat=True))


def test_buying_suspending_reactivating_and_cancelling(world: World, catalog: Catalog) -> None:
    assert kept(world) == set()
    subscription = subscribe(world, catalog.basic_monthly)
    bought = names(kept(world))
    lifecycle.suspend(agent(world), subscription, reason="non_payment")
    suspended = names(kept(world))  # suspended seats still entitle (ENTITLING_STATUSES)
    lifecycle.reactivate(agent(world), subscription)
    lifecycle.cancel(agent(world), subscription)

    assert bought == suspended == {"exchange"}
    assert kept(world) == set()


def test_an_upgrade_entitles_to_the_new_skus_services(world: World, catalog: Catalog) -> None:
    subscription = subscribe(world, catalog.basic_monthly)
    lifecycle.upgrade(agent(world), subscription, catalog.premium_monthly)
    assert names(kept(world)) == {"exchange", "teams"}


def test_the_expiry_and_data_deletion_jobs(world: World, catalog: Catalog) -> None:
    expiring = subscribe(world, catalog.premium_monthly)
    past = timezone.now() - timedelta(days=1)
    Subscription.objects.filter(pk=expiring.pk).update(auto_renew=False, term_end=past)
    renewals.expire_due()
    assert kept(world) == set()

    suspended = subscribe(world, catalog.basic_monthly)
    lifecycle.suspend(agent(world), suspended, reason="non_payment")
    assert names(kept(world)) == {"exchange"}
    renewals.delete_data_due(now=timezone.now() + timedelta(days=400))
    assert kept(world) == set()


def test_a_skus_services_changing_refreshes_its_tenants(world: World, catalog: Catalog) -> None:
    subscribe(world, catalog.basic_monthly)
    teams = Service.objects.get(key="teams")
    catalog.basic.services.add(teams)
    assert names(kept(world)) == {"exchange", "teams"}
    catalog.basic.services.remove(teams)
    assert names(kept(world)) == {"exchange"}


def test_health_reads_the_row_not_the_subscriptions(api: Any, world: World, catalog: Catalog) -> None:
    subscribe(world, catalog.basic_monthly)
    client = api("a1.global_admin")
    client.get("/me")
    with CaptureQueriesContext(connection) as queries:
        listed = client.get("/health/services").json_body["items"]
    assert [s["key"] for s in listed] == ["exchange"]
    assert not any("subscriptions_subscription" in q["sql"] for q in queries.captured_queries)


def test_the_migration_fills_the_rows(world: World, catalog: Catalog) -> None:
    subscribe(world, catalog.premium_monthly)
    Organization.objects.update(entitled_service_ids=[])
    migration = importlib.import_module("partnerdesk.subscriptions.migrations.0009_fill_entitled_service_ids")
    migration.fill(apps, None)
    assert names(kept(world)) == {"exchange", "teams"}
