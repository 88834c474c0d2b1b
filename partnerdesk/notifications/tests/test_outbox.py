"""The outbox: delivered by the worker through real SMTP, retried on failure, never sent twice."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction

from partnerdesk.notifications import services
from partnerdesk.notifications.models import OutboxMessage


def queue(n: int = 1) -> list[OutboxMessage]:
    with transaction.atomic():
        return [
            services.queue_mail(
                to=[f"person{i}@contoso.test"],
                template="password_reset",
                context={"user": {"display_name": "P"}, "link": "http://x/", "hours": 3},
                language="en",
                kind="test",
            )
            for i in range(n)
        ]


def test_a_queued_mail_arrives_once(db, smtp_server):
    message = queue()[0]

    assert services.deliver_due("w1") == 1
    assert services.deliver_due("w1") == 0

    assert len(smtp_server.messages) == 1
    assert smtp_server.messages[0]["Message-ID"] == message.message_id
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.SENT
    assert message.attempts == 1


def test_a_failed_send_is_retried_later_and_not_lost(db, smtp_server):
    message = queue()[0]
    smtp_server.refuse = True

    assert services.deliver_due("w1") == 0
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.PENDING
    assert message.attempts == 1
    assert "451" in message.last_error

    smtp_server.refuse = False
    OutboxMessage.objects.filter(pk=message.pk).update(next_attempt_at=message.created_at)
    assert services.deliver_due("w1") == 1
    assert len(smtp_server.messages) == 1


def test_a_message_that_keeps_failing_is_kept_as_failed(db, smtp_server, settings):
    settings.OUTBOX_MAX_ATTEMPTS = 2
    message = queue()[0]
    smtp_server.refuse = True

    for _ in range(2):
        OutboxMessage.objects.filter(pk=message.pk).update(next_attempt_at=message.created_at)
        services.deliver_due("w1")

    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.FAILED
    assert message.attempts == 2


def test_a_rolled_back_change_sends_nothing(db, smtp_server):
    with pytest.raises(RuntimeError), transaction.atomic():
        queue()
        raise RuntimeError("the change failed")

    assert services.deliver_due("w1") == 0
    assert smtp_server.messages == []


def test_a_claim_abandoned_by_a_dead_worker_is_picked_up(db, smtp_server):
    message = queue()[0]
    claimed = services.claim_due("dead-worker")
    assert [m.pk for m in claimed] == [message.pk]
    OutboxMessage.objects.filter(pk=message.pk).update(
        claimed_at=message.created_at - services.CLAIM_LEASE - services.CLAIM_LEASE
    )

    assert services.deliver_due("w2") == 1
    assert len(smtp_server.messages) == 1


@pytest.mark.django_db(transaction=True)
def test_two_workers_never_send_the_same_message_twice(smtp_server):
    queue(30)
    barrier = threading.Barrier(2)
    sent: list[int] = []
    errors: list[BaseException] = []

    def work(name: str) -> None:
        try:
            barrier.wait()
            while True:
                count = services.deliver_due(name, batch=5)
                sent.append(count)
                if count == 0 and not OutboxMessage.objects.filter(status="pending").exists():
                    break
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(f"w{i}",)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert sum(sent) == 30
    assert len(smtp_server.messages) == 30
    assert len({m["Message-ID"] for m in smtp_server.messages}) == 30
    assert OutboxMessage.objects.filter(status="sent").count() == 30
