"""The live mechanism itself: one query a tick, presence expiry, the listener waking streams."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection, transaction
from django.db.models import Q
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from partnerdesk.access.principal import principal_for
from partnerdesk.events.models import Event
from partnerdesk.events.services import Audience, emit
from partnerdesk.live import listener, presence, stream
from partnerdesk.live.jobs import forget_presence
from partnerdesk.live.listener import LISTENER, interest_of
from partnerdesk.live.models import Presence
from partnerdesk.testing import World

RELATIONSHIPS = Q(object_type="tenancy.delegatedrelationship")


def relationship_event(world: World, partner: Any, customer: Any) -> Event:
    from partnerdesk.tenancy.models import DelegatedRelationship

    relationship = DelegatedRelationship.objects.create(
        partner=partner, customer=customer, name="Live", roles=[], duration_days=30
    )
    payload = {
        "id": relationship.pk,
        "partner_id": partner.pk,
        "customer_id": customer.pk,
        "status": relationship.status,
        "roles": [],
    }
    return emit("relationship.requested", relationship, payload, Audience.of(relationship, operator=True))


@pytest.mark.django_db
def test_one_tick_is_one_query_however_many_events(world: World) -> None:
    agent = principal_for(world.user("a.admin_agent"))
    for _ in range(3):
        relationship_event(world, world.partner_a, world.customer_a1)
        relationship_event(world, world.partner_b, world.customer_b1)

    with CaptureQueriesContext(connection) as queries:
        rows = stream.tick(agent, RELATIONSHIPS, after=0)

    assert len(queries) == 1
    assert len(rows) == 3  # partner A's own; partner B's are not its to see
    with CaptureQueriesContext(connection) as queries:
        presence.replying(agent, world.partner_a)
    assert len(queries) == 1


@pytest.mark.django_db
def test_a_tick_reads_only_events_after_its_cursor_and_never_broadcasts(world: World) -> None:
    operator = principal_for(world.user("operator.operator_admin"))
    first = relationship_event(world, world.partner_a, world.customer_a1)
    second = relationship_event(world, world.partner_b, world.customer_b1)
    Event.objects.filter(pk=second.pk).update(broadcast=True)
    third = relationship_event(world, world.partner_b, world.customer_b1)

    ids = [row[0] for row in stream.tick(operator, RELATIONSHIPS, after=first.pk)]

    assert ids == [third.pk]


@pytest.mark.django_db
def test_presence_counts_for_thirty_seconds_and_the_job_forgets_old_rows(world: World) -> None:
    helpdesk = principal_for(world.user("a.helpdesk_agent"))
    agent = principal_for(world.user("a.admin_agent"))
    other_partner = principal_for(world.user("b.admin_agent"))
    subject = world.customer_a1
    presence.ping(helpdesk, subject)

    shown = presence.replying(agent, subject)
    to_other_partner = presence.replying(other_partner, subject)
    Presence.objects.update(seen_at=timezone.now() - presence.REPLYING_FOR - timedelta(seconds=1))
    expired = presence.replying(agent, subject)
    kept = Presence.objects.count()
    Presence.objects.update(seen_at=timezone.now() - presence.FORGET_AFTER - timedelta(seconds=1))
    forget_presence()

    assert shown == [helpdesk.user.display_name]
    assert to_other_partner == []
    assert expired == []
    assert kept == 1
    assert not Presence.objects.exists()


def test_notifications_wake_only_the_streams_they_may_concern() -> None:
    partner = Waiting(kind="partner", organization="p1")
    other = Waiting(kind="partner", organization="p2")
    customer = Waiting(kind="customer", organization="c1")
    operator = Waiting(kind="operator", organization="o")
    waiters = [LISTENER.register(w.interest) for w in (partner, other, customer, operator)]
    try:
        LISTENER.deliver({"id": 1, "o": False, "p": "p1", "c": "c1", "i": True})  # an internal note

        woken = [waiter.woken.is_set() for waiter in waiters]
    finally:
        for waiter in waiters:
            LISTENER.unregister(waiter)

    assert woken == [True, False, False, False]


class Waiting:
    """A stand-in principal for `interest_of`: only its organization's kind and id matter."""

    def __init__(self, *, kind: str, organization: str) -> None:
        self.kind = kind
        self.organization = type("Organization", (), {"pk": organization})()

    def interest(self, payload: dict[str, Any]) -> bool:
        return interest_of(self)(payload)  # type: ignore[arg-type]


@pytest.mark.django_db(transaction=True)
def test_on_postgresql_a_committed_event_wakes_a_waiting_stream_at_once(world: World) -> None:
    if not listener.notifies():
        pytest.skip("SQLite has no LISTEN/NOTIFY: its streams poll every second")
    waiter = LISTENER.register(interest_of(principal_for(world.user("a.admin_agent"))))
    try:
        assert LISTENER.listening.wait(5), "the listener did not connect"
        woke = threading.Event()
        threading.Thread(target=lambda: waiter.woken.wait(5) and woke.set(), daemon=True).start()
        with transaction.atomic():
            relationship_event(world, world.partner_a, world.customer_a1)
            time.sleep(0.2)
            uncommitted = woke.is_set()  # NOTIFY is delivered on commit, never before
        started = time.monotonic()

        assert woke.wait(5)
        assert not uncommitted
        assert time.monotonic() - started < 2
    finally:
        LISTENER.unregister(waiter)
