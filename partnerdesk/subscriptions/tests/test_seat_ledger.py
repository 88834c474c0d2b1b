"""The seat ledger: each increase is a lot with its own refund deadline; decreases follow the policy.

The clock is frozen by passing `now` into the services.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from partnerdesk.catalog.models import OfferPolicy
from partnerdesk.errors import Conflict
from partnerdesk.subscriptions import lifecycle, seats
from partnerdesk.subscriptions.models import ScheduledChange, SeatLot, Subscription
from partnerdesk.subscriptions.tests.conftest import Catalog, agent, subscribe
from partnerdesk.testing import World

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def lots(subscription: Subscription) -> list[tuple[str, int, int]]:
    return list(subscription.lots.order_by("created_at").values_list("kind", "quantity", "remaining"))


def test_refund_windows_across_lots(world: World, catalog: Catalog) -> None:
    subscription = subscribe(world, catalog.basic_monthly, 10, now=T0)
    # Day 2: +5 seats; day 5: +3 seats. Each lot is refundable for 168 hours from its own purchase.
    seats.change_quantity(agent(world), subscription, 15, now=T0 + 48 * HOUR)
    seats.change_quantity(agent(world), subscription, 18, now=T0 + 120 * HOUR)
    assert lots(subscription) == [("purchase", 10, 10), ("increase", 5, 5), ("increase", 3, 3)]

    # Just before the first lot's deadline all 18 are refundable; the earliest deadline is the purchase's.
    removable = seats.removable_now(subscription, now=T0 + 167 * HOUR)
    assert removable.seats == 18 and removable.until == T0 + 168 * HOUR
    # At its deadline the first lot is no longer refundable: 8 seats remain, until day 2 + 168 h.
    removable = seats.removable_now(subscription, now=T0 + 168 * HOUR)
    assert removable.seats == 8 and removable.until == T0 + 216 * HOUR
    assert removable.by_deadline == [(5, T0 + 216 * HOUR), (3, T0 + 288 * HOUR)]

    # Removing 4 at hour 200 takes the newest lot first (3), then 1 from the day-2 lot.
    result = seats.change_quantity(agent(world), subscription, 14, now=T0 + 200 * HOUR)
    assert result.scheduled is None and result.subscription.quantity == 14
    assert lots(subscription) == [("purchase", 10, 10), ("increase", 5, 4), ("increase", 3, 0)]
    assert seats.removable_now(subscription, now=T0 + 200 * HOUR).seats == 4

    # After the day-2 lot's deadline nothing is refundable: a decrease waits for renewal.
    late = seats.change_quantity(agent(world), subscription, 12, now=T0 + 216 * HOUR)
    assert late.subscription.quantity == 14
    assert late.scheduled is not None and late.scheduled.quantity == 12
    assert seats.removable_now(subscription, now=T0 + 216 * HOUR).seats == 0


def test_a_decrease_larger_than_what_is_refundable_is_scheduled_for_renewal(
    world: World, catalog: Catalog
) -> None:
    subscription = subscribe(world, catalog.basic_monthly, 10, now=T0)
    seats.change_quantity(agent(world), subscription, 15, now=T0 + 200 * HOUR)
    result = seats.change_quantity(agent(world), subscription, 8, now=T0 + 201 * HOUR)
    assert result.subscription.quantity == 15
    assert result.scheduled is not None and result.scheduled.quantity == 8


def test_a_later_scheduled_change_replaces_the_earlier_one_visibly(world: World, catalog: Catalog) -> None:
    subscription = subscribe(world, catalog.basic_yearly, 10, now=T0)
    seats.change_quantity(agent(world), subscription, 8, now=T0 + HOUR)
    seats.change_quantity(agent(world), subscription, 6, now=T0 + 2 * HOUR)
    rows = list(
        subscription.scheduled_changes.order_by("created_at").values_list(
            "quantity", "status", "invalid_reason"
        )
    )
    assert rows[0][:2] == (8, ScheduledChange.Status.CANCELLED) and "6 seats" in rows[0][2]
    assert rows[1] == (6, ScheduledChange.Status.PENDING, "")


def test_policy_at_renewal_schedules_every_decrease(world: World, catalog: Catalog) -> None:
    subscription = subscribe(world, catalog.basic_yearly, 10, now=T0)
    result = seats.change_quantity(agent(world), subscription, 9, now=T0 + HOUR)
    assert result.subscription.quantity == 10 and result.scheduled is not None


def test_policy_anytime_decreases_now(world: World, catalog: Catalog) -> None:
    OfferPolicy.objects.filter(offer=catalog.basic_monthly).update(seat_decrease="anytime")
    subscription = subscribe(world, catalog.basic_monthly, 10, now=T0)
    result = seats.change_quantity(agent(world), subscription, 4, now=T0 + 500 * HOUR)
    assert result.subscription.quantity == 4 and result.scheduled is None
    assert lots(subscription) == [("purchase", 10, 4)]


def test_cancellation_only_within_the_window(world: World, catalog: Catalog) -> None:
    subscription = subscribe(world, catalog.basic_monthly, 10, now=T0)
    with pytest.raises(Conflict) as refused:
        lifecycle.cancel(agent(world), subscription, now=T0 + 169 * HOUR)
    assert refused.value.code == "cancellation_window_closed"
    cancelled = lifecycle.cancel(agent(world), subscription, now=T0 + 167 * HOUR)
    assert cancelled.status == Subscription.Status.CANCELLED


def test_terms_end_on_calendar_months() -> None:
    assert lifecycle.add_term(datetime(2026, 1, 31, tzinfo=UTC), "P1M") == datetime(2026, 2, 28, tzinfo=UTC)
    assert lifecycle.add_term(datetime(2028, 2, 29, tzinfo=UTC), "P1Y") == datetime(2029, 2, 28, tzinfo=UTC)
    assert lifecycle.add_term(datetime(2026, 12, 15, tzinfo=UTC), "P1M") == datetime(2027, 1, 15, tzinfo=UTC)


def test_existing_terms_keep_their_price(world: World, catalog: Catalog) -> None:
    from partnerdesk.catalog.models import PriceChange

    subscription = subscribe(world, catalog.basic_monthly, 10, now=T0)
    PriceChange.objects.create(offer=catalog.basic_monthly, unit_price="55.00", effective_at=T0 + 24 * HOUR)
    seats.change_quantity(agent(world), subscription, 12, now=T0 + 48 * HOUR)
    subscription.refresh_from_db()
    assert str(subscription.unit_price) == "40.00"
    later = subscribe(world, catalog.basic_monthly, 1, now=T0 + 48 * HOUR)
    assert str(later.unit_price) == "55.00"
    assert SeatLot.objects.filter(subscription=subscription).count() == 2
