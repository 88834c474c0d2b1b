"""Renewal, expiry and data deletion: each job does its work once, however often it runs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from partnerdesk.access.permissions import Role
from partnerdesk.audit.models import AuditEvent
from partnerdesk.catalog.models import PriceChange
from partnerdesk.notifications.models import OutboxMessage
from partnerdesk.subscriptions import licences, lifecycle, renewals, seats
from partnerdesk.subscriptions.models import LicenseAssignment, ScheduledChange, SeatLot, Subscription
from partnerdesk.subscriptions.tests.conftest import Catalog, agent, subscribe
from partnerdesk.testing import World, make_user

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 1, 31, 12, 0, tzinfo=UTC)
FEB_END = datetime(2026, 2, 28, 12, 0, tzinfo=UTC)


def actions(subscription: Subscription) -> list[str]:
    return list(
        AuditEvent.objects.filter(object_id=str(subscription.pk))
        .order_by("at", "pk")
        .values_list("action", flat=True)
    )


def test_renewal_applies_scheduled_changes_and_new_price_once(world: World, catalog: Catalog) -> None:
    subscription = subscribe(world, catalog.basic_monthly, 10, now=T0)
    seats.change_quantity(agent(world), subscription, 7, now=T0 + timedelta(days=10))  # outside the window
    PriceChange.objects.create(
        offer=catalog.basic_monthly, unit_price="45.00", effective_at=T0 + timedelta(days=5)
    )

    assert renewals.renew_due(now=FEB_END) == 1
    assert renewals.renew_due(now=FEB_END) == 0

    subscription.refresh_from_db()
    assert (subscription.term_start, subscription.term_end) == (
        FEB_END,
        datetime(2026, 3, 28, 12, 0, tzinfo=UTC),
    )
    assert subscription.quantity == 7 and str(subscription.unit_price) == "45.00"
    assert subscription.scheduled_changes.get().status == ScheduledChange.Status.APPLIED
    renewal = SeatLot.objects.get(subscription=subscription, kind=SeatLot.Kind.RENEWAL)
    assert (renewal.quantity, renewal.refundable_until) == (7, FEB_END + timedelta(hours=168))
    assert actions(subscription).count("subscription.renewed") == 1


def test_a_scheduled_change_that_no_longer_fits_is_marked_invalid_and_the_partner_told(
    world: World, catalog: Catalog
) -> None:
    subscription = subscribe(world, catalog.basic_monthly, 10, now=T0)
    seats.change_quantity(agent(world), subscription, 5, now=T0 + timedelta(days=10))
    users = [make_user(world.customer_a1, f"u{i}@contoso.test", [Role.USER]) for i in range(6)]
    from partnerdesk.access.principal import principal_for

    licences.assign_licences(
        principal_for(world.user("a1.licence_admin")),
        customer=world.customer_a1,
        sku=catalog.basic,
        users=users,
    )
    change = subscription.scheduled_changes.get()
    assert change.status == ScheduledChange.Status.INVALID
    assert "6 licences" in change.invalid_reason
    mail = OutboxMessage.objects.get(kind="subscriptions_scheduled_change_invalid")
    assert "admin_agent@fabrikam.test" in mail.to and "6 licences" in mail.body_text
    renewals.renew_due(now=FEB_END)
    subscription.refresh_from_db()
    assert subscription.quantity == 10 and LicenseAssignment.objects.count() == 6


def test_turning_auto_renew_off_invalidates_scheduled_changes(world: World, catalog: Catalog) -> None:
    subscription = subscribe(world, catalog.basic_yearly, 10, now=T0)
    seats.change_quantity(agent(world), subscription, 8, now=T0 + timedelta(hours=1))
    lifecycle.update_settings(agent(world), subscription, {"auto_renew": False}, now=T0 + timedelta(hours=2))
    change = subscription.scheduled_changes.get()
    assert change.status == ScheduledChange.Status.INVALID and "Auto-renew" in change.invalid_reason


def test_expiry_when_auto_renew_is_off_runs_once(world: World, catalog: Catalog) -> None:
    subscription = subscribe(world, catalog.basic_monthly, 10, now=T0)
    lifecycle.update_settings(agent(world), subscription, {"auto_renew": False}, now=T0)
    assert renewals.renew_due(now=FEB_END) == 0
    assert renewals.expire_due(now=FEB_END - timedelta(seconds=1)) == 0
    assert renewals.expire_due(now=FEB_END) == 1
    assert renewals.expire_due(now=FEB_END) == 0
    subscription.refresh_from_db()
    assert subscription.status == Subscription.Status.EXPIRED and subscription.status_changed_at == FEB_END
    assert actions(subscription).count("subscription.expired") == 1


def test_a_suspended_subscription_expires_at_term_end_instead_of_renewing(
    world: World, catalog: Catalog
) -> None:
    subscription = subscribe(world, catalog.basic_monthly, 10, now=T0)
    lifecycle.suspend(agent(world), subscription, reason="fraud", now=T0 + timedelta(days=1))
    assert renewals.renew_due(now=FEB_END) == 0
    assert renewals.expire_due(now=FEB_END) == 1
    assert renewals.expire_due(now=FEB_END) == 0


def test_data_is_deleted_after_the_retention_period_once(
    world: World, catalog: Catalog, settings: Any
) -> None:
    settings.SUBSCRIPTION_DATA_RETENTION_DAYS = 30
    subscription = subscribe(world, catalog.basic_monthly, 10, now=T0)
    suspended_at = T0 + timedelta(days=1)
    lifecycle.suspend(agent(world), subscription, reason="non_payment", now=suspended_at)
    assert renewals.delete_data_due(now=suspended_at + timedelta(days=29)) == 0
    assert renewals.delete_data_due(now=suspended_at + timedelta(days=30)) == 1
    assert renewals.delete_data_due(now=suspended_at + timedelta(days=30)) == 0
    subscription.refresh_from_db()
    assert subscription.status == Subscription.Status.DELETED
    assert subscription.data_deleted_at == suspended_at + timedelta(days=30)
    event = AuditEvent.objects.get(action="subscription.data_deleted")
    assert event.channel == "job" and event.actor_user is None


def test_retention_defaults_to_sixty_days() -> None:
    assert renewals.retention() == timedelta(days=60)


def test_the_worker_runs_the_jobs(world: World, catalog: Catalog) -> None:
    from partnerdesk.notifications import jobs

    jobs.autodiscover()
    assert {"subscriptions.renew", "subscriptions.expire", "subscriptions.delete_data"} <= set(jobs.REGISTRY)
    subscription = subscribe(world, catalog.basic_monthly, 3, now=T0)
    jobs.run_due("w1")
    subscription.refresh_from_db()
    assert subscription.term_start > T0  # renewed past every due term in one step
    assert subscription.term_end > datetime.now(UTC)
