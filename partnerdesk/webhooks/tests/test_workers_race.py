"""Several workers share the queue: each event is fanned out once and each delivery sent once at a time.

PostgreSQL only: SQLite serializes every writer, so there is no race to lose there.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, connections

from partnerdesk.access.principal import principal_for
from partnerdesk.events.models import Event
from partnerdesk.testing import build_world
from partnerdesk.webhooks import delivery, fanout, services
from partnerdesk.webhooks.models import WebhookDelivery
from partnerdesk.webhooks.tests.test_delivery import ping

pytestmark = pytest.mark.django_db(transaction=True)


def race(work: Callable[[str], Any], workers: int = 2) -> None:
    barrier = threading.Barrier(workers)
    failures: list[BaseException] = []

    def run(name: str) -> None:
        try:
            barrier.wait()
            work(name)
        except BaseException as failure:  # reported by the test, not lost in the thread
            failures.append(failure)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(f"worker-{n}",)) for n in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures, failures


def test_two_workers_racing_deliver_each_message_once_and_in_order(receivers: Any) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the race needs PostgreSQL's row locks (SQLite serializes writers)")
    world = build_world()
    endpoints = []
    for key in ("operator.operator_admin", "a.partner_global_admin", "a1.global_admin"):
        receiver = receivers()
        created = services.create_endpoint(principal_for(world.user(key)), url=receiver.url, events=["*"])
        endpoints.append((receiver, created.secret))
    for number in range(12):
        ping(world, number)

    def work(worker: str) -> None:
        while fanout.fan_out(batch=3):
            pass
        while delivery.deliver_due(worker, limit=5):
            pass

    race(work)

    assert not Event.objects.filter(fanned_out_at__isnull=True).exists()
    assert WebhookDelivery.objects.count() == 36
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {"succeeded"}
    for receiver, secret in endpoints:
        counts = Counter(request.message_id for request in receiver.requests)
        assert len(counts) == 12 and set(counts.values()) == {1}, counts
        roles = [request.document["data"]["roles"][0] for request in receiver.processed(secret)]
        assert roles == [str(number) for number in range(12)]
