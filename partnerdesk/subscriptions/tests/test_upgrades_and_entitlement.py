"""Upgrades (eligible targets with reasons), add-ons, and the entitlement check for services."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from partnerdesk.access.permissions import Role
from partnerdesk.access.principal import principal_for
from partnerdesk.errors import DomainError
from partnerdesk.subscriptions import entitlements, licences, lifecycle
from partnerdesk.subscriptions.models import LicenseAssignment, Subscription
from partnerdesk.subscriptions.tests.conftest import Catalog, agent, subscribe
from partnerdesk.tenancy.models import DelegatedRelationship
from partnerdesk.testing import World, database_state, make_user

pytestmark = pytest.mark.django_db


def test_upgrade_targets_say_why_they_are_not_eligible(api: Any, world: World, catalog: Catalog) -> None:
    subscription = subscribe(world, catalog.basic_monthly, 10)
    url = f"/subscriptions/{subscription.pk}/upgrades"
    targets = api("a.sales_agent").get(url).json_body["items"]
    assert [(t["offer"]["id"], t["eligible"], t["reason"]) for t in targets] == [
        (str(catalog.premium_monthly.pk), True, "")
    ]
    DelegatedRelationship.objects.update(status=DelegatedRelationship.Status.ENDED)
    [target] = api("a.sales_agent").get(url).json_body["items"]
    assert not target["eligible"] and "delegated access" in target["reason"]
    DelegatedRelationship.objects.update(status=DelegatedRelationship.Status.ACTIVE)
    subscribe(world, catalog.premium_monthly, 1)
    [target] = api("a.sales_agent").get(url).json_body["items"]
    assert not target["eligible"] and "already has a subscription of Office 365 E3" in target["reason"]


def test_upgrade_moves_seats_and_licences(api: Any, world: World, catalog: Catalog) -> None:
    subscription = subscribe(world, catalog.basic_monthly, 10)
    user = make_user(world.customer_a1, "u@contoso.test", [Role.USER])
    licences.assign_licences(
        principal_for(world.user("a1.global_admin")),
        customer=world.customer_a1,
        sku=catalog.basic,
        users=[user],
    )
    response = api("a.admin_agent").post(
        f"/subscriptions/{subscription.pk}/upgrade", {"offer_id": str(catalog.premium_monthly.pk)}
    )
    assert response.status_code == 201, response.json_body
    assert response.json_body["upgraded_from_id"] == str(subscription.pk)
    assert response.json_body["quantity"] == 10 and response.json_body["offer"]["sku_name"] == "Office 365 E3"
    assert Subscription.objects.get(pk=subscription.pk).status == Subscription.Status.CANCELLED
    assert list(LicenseAssignment.objects.values_list("sku_id", flat=True)) == [catalog.premium.pk]


def test_upgrade_to_a_non_target_is_refused(api: Any, world: World, catalog: Catalog) -> None:
    subscription = subscribe(world, catalog.basic_monthly, 10)
    before = database_state()
    response = api("a.admin_agent").post(
        f"/subscriptions/{subscription.pk}/upgrade", {"offer_id": str(catalog.addon_monthly.pk)}
    )
    assert response.status_code == 400 and response.json_body["error"]["code"] == "not_an_upgrade"
    assert database_state() == before


def test_addons_need_their_base_and_end_with_it(world: World, catalog: Catalog) -> None:
    with pytest.raises(DomainError) as refused:
        subscribe(world, catalog.addon_monthly, 5)
    assert refused.value.code == "addon_requires_base"
    premium = subscribe(world, catalog.premium_monthly, 5)
    with pytest.raises(DomainError) as refused:
        subscribe(world, catalog.addon_monthly, 5, base=premium)
    assert refused.value.code == "addon_not_allowed"
    start = datetime(2026, 5, 1, tzinfo=UTC)
    base = subscribe(world, catalog.basic_yearly, 5, now=start)
    addon = subscribe(world, catalog.addon_monthly, 5, base=base, now=start + timedelta(days=40))
    assert addon.term_end == base.term_end and addon.base_id == base.pk


@pytest.fixture
def service_client(world: World) -> Any:
    from django.test import Client

    _credential, secret = entitlements.create_service_credential(
        principal_for(world.user("operator.operator_admin")), name="exchange"
    )
    client = Client(headers={"Authorization": f"Bearer {secret}"})
    return client


def check(client: Any, user: str, service: str) -> Any:
    return client.get("/api/v1/entitlements/check", {"user": user, "service": service})


def test_entitlement_follows_licence_subscription_and_blocking(
    world: World, catalog: Catalog, service_client: Any
) -> None:
    subscription = subscribe(world, catalog.premium_monthly, 5)
    plain = world.user("a1.user")
    admin = world.user("a1.global_admin")
    assert check(service_client, plain.email, "teams").json()["reason"] == "no_license"
    licences.assign_licences(
        principal_for(admin), customer=world.customer_a1, sku=catalog.premium, users=[plain, admin]
    )
    assert check(service_client, plain.email, "teams").json() == {
        "allowed": True,
        "reason": "licensed",
        "user_id": str(plain.pk),
        "service": "teams",
    }
    assert check(service_client, str(plain.pk), "exchange").json()["allowed"] is True
    assert check(service_client, plain.email, "sharepoint").json()["allowed"] is False

    lifecycle.suspend(agent(world), subscription, reason="non_payment")
    assert check(service_client, plain.email, "teams").json() == {
        "allowed": False,
        "reason": "subscription_suspended",
        "user_id": str(plain.pk),
        "service": "teams",
    }
    assert check(service_client, admin.email, "teams").json()["allowed"] is True  # admins still get in

    lifecycle.reactivate(agent(world), subscription)
    type(plain).objects.filter(pk=plain.pk).update(blocked=True)
    assert check(service_client, plain.email, "teams").json()["reason"] == "user_blocked"
    assert check(service_client, "nobody@nowhere.test", "teams").json()["reason"] == "unknown_user"


def test_entitlement_check_takes_service_credentials_only(api: Any, world: World) -> None:
    people = api("operator.operator_admin")
    assert people.get("/entitlements/check?user=x&service=teams").status_code == 401
    assert api(None).get("/entitlements/check?user=x&service=teams").status_code == 401
    from django.test import Client

    wrong = Client(headers={"Authorization": "Bearer pds_not-a-real-one"})
    assert wrong.get("/api/v1/entitlements/check", {"user": "x", "service": "teams"}).status_code == 401


def test_only_catalog_managers_issue_service_credentials(api: Any, world: World) -> None:
    before = database_state()
    assert api("a.partner_global_admin").post("/service-credentials", {"name": "x"}).status_code == 403
    assert database_state() == before
    made = api("operator.catalog_manager").post("/service-credentials", {"name": "teams"})
    assert made.status_code == 201 and made.json_body["secret"].startswith("pds_")
