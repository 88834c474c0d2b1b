"""SLA clocks: business hours, holidays and time zones; pausing; breach e-mail exactly once, also across
the move of the notices sent onto the platform's notice table."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.db import close_old_connections, connection

from partnerdesk.access.principal import principal_for
from partnerdesk.notifications.models import OutboxMessage, SentNotice
from partnerdesk.notifications.services import deliver_due
from partnerdesk.support import jobs, sla, support_requests
from partnerdesk.support.models import SlaPolicy, SupportRequest
from partnerdesk.support.testing import open_support_request
from partnerdesk.testing import build_world, latest_migrations, migrate_to

SHANGHAI_HOURS = sla.Policy(
    first_response_minutes=120,
    resolution_minutes=600,
    around_the_clock=False,
    time_zone="Asia/Shanghai",
    workday_start=time(9),
    workday_end=time(18),
    workdays=(0, 1, 2, 3, 4),
    holidays=frozenset({date(2026, 10, 1)}),
)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_business_minutes_skip_nights_weekends_and_holidays():
    # Friday 2026-11-27 17:00 Shanghai = 09:00 UTC: one hour left that day, the rest on Monday.
    due = sla.add_business_minutes(utc(2026, 11, 27, 9), 120, SHANGHAI_HOURS)
    assert due == utc(2026, 11, 30, 2)  # Monday 10:00 Shanghai
    # 2026-10-01 (Thursday) is a holiday: a request that night is due on Friday.
    assert sla.add_business_minutes(utc(2026, 9, 30, 12), 60, SHANGHAI_HOURS) == utc(2026, 10, 2, 2)
    assert sla.business_minutes_between(utc(2026, 11, 27, 9), due, SHANGHAI_HOURS) == 120


def test_around_the_clock_is_plain_time():
    policy = sla.Policy(first_response_minutes=120, resolution_minutes=240)
    assert sla.add_business_minutes(utc(2026, 1, 3, 23), 120, policy) == utc(2026, 1, 4, 1)


def test_the_operator_defaults_are_two_four_and_eight_hours(world):
    for severity, hours in (("critical", 2), ("moderate", 4), ("minimal", 8)):
        assert sla.policy_for(world.operator.pk, severity).first_response_minutes == hours * 60


def test_a_partners_policy_sets_the_due_time_of_new_requests(world):
    sla.set_sla_policy(
        principal_for(world.user("a.partner_global_admin")),
        severity="minimal",
        first_response_minutes=30,
        resolution_minutes=60,
        around_the_clock=True,
    )
    principal = principal_for(world.user("a1.global_admin"))

    request = support_requests.create_support_request(
        principal,
        support_requests.NewSupportRequest(
            title="t", description="d", severity="minimal", contact_name="c", contact_email="c@contoso.test"
        ),
    )

    assert timedelta(minutes=29) < request.first_response_due_at - request.created_at <= timedelta(minutes=30)
    assert SlaPolicy.objects.get().organization == world.partner_a


def test_pausing_keeps_the_business_minutes_left():
    class Clock:
        first_response_at = None
        paused_at = None
        first_response_left_minutes = None
        resolution_left_minutes = None

    clock = Clock()
    sla.start(clock, utc(2026, 11, 27, 9), SHANGHAI_HOURS)  # Friday 17:00 Shanghai
    sla.pause(clock, utc(2026, 11, 27, 9, 30), SHANGHAI_HOURS)  # 30 business minutes used
    assert clock.first_response_due_at is None
    assert clock.first_response_left_minutes == 90
    sla.resume(clock, utc(2026, 12, 1, 1), SHANGHAI_HOURS)  # Tuesday 09:00 Shanghai
    assert clock.first_response_due_at == utc(2026, 12, 1, 2, 30)


def _overdue_request(world) -> SupportRequest:
    request = open_support_request(world, title="Down", description="All down", severity="critical")
    past = request.created_at - timedelta(minutes=1)
    SupportRequest.objects.filter(pk=request.pk).update(first_response_due_at=past)
    OutboxMessage.objects.all().delete()
    return request


def test_a_breach_mails_the_assignee_and_a_supervisor_once(world, smtp_server):
    request = _overdue_request(world)
    SupportRequest.objects.filter(pk=request.pk).update(assignee=world.user("a.helpdesk_agent"))

    assert jobs.notify_sla_breaches() == 1
    assert jobs.notify_sla_breaches() == 0
    deliver_due("test")

    to = sorted(m["To"] for m in smtp_server.messages)
    assert to == ["helpdesk_agent@fabrikam.test", "partner_global_admin@fabrikam.test"]
    assert all("SLA breached" in m["Subject"] for m in smtp_server.messages)
    assert list(SentNotice.objects.values_list("object_type", "object_id", "kind")) == [
        ("support_request", request.pk, "first_response_breach")
    ]


def test_two_workers_claiming_the_same_breach_send_it_once(world):
    request = _overdue_request(world)
    # Both workers read the overdue request before either writes its notice.
    first_view = list(
        jobs.candidates(
            SupportRequest, "support", "first_response", "breach", request.created_at + timedelta(hours=1)
        )
    )
    second_view = list(
        jobs.candidates(
            SupportRequest, "support", "first_response", "breach", request.created_at + timedelta(hours=1)
        )
    )

    written = [jobs.notify(r, "support", "first_response", "breach") for r in first_view + second_view]

    assert written == [1, 0]
    # One notice: the partner's desk address (no assignee) and its supervisor, once each.
    assert sorted(OutboxMessage.objects.filter(kind="support.sla_breach").values_list("to", flat=True)) == [
        ["help@fabrikam.test"],
        ["partner_global_admin@fabrikam.test"],
    ]


@pytest.mark.django_db(transaction=True)
def test_two_worker_threads_running_the_job_together_send_each_breach_once():
    if connection.vendor == "sqlite" and connection.settings_dict["NAME"].startswith(
        ("file:memorydb", ":memory:")
    ):
        pytest.skip(
            "in-memory SQLite is one connection; run with DATABASE_URL=postgres://… for the real race"
        )
    world = build_world()
    _overdue_request(world)
    barrier = threading.Barrier(2)
    results: list[int] = []

    def worker() -> None:
        try:
            barrier.wait()
            results.append(jobs.notify_sla_breaches())
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(results) == [0, 1]
    assert (
        OutboxMessage.objects.filter(kind="support.sla_breach").count() == 2
    )  # assignee-less: desk + supervisor
    assert SentNotice.objects.filter(object_type="support_request").count() == 1


def test_a_paused_request_does_not_breach(world):
    request = _overdue_request(world)
    support_requests.update_support_request(
        principal_for(world.user("a.admin_agent")), request, status="waiting_on_customer"
    )

    assert jobs.notify_sla_breaches() == 0


def test_near_breach_is_shown_and_mailed_once(world, smtp_server):
    request = _overdue_request(world)
    SupportRequest.objects.filter(pk=request.pk).update(
        first_response_due_at=request.created_at + timedelta(minutes=20)
    )
    request.refresh_from_db()

    assert request.sla_state(request.created_at) == "near"
    assert jobs.notify_sla_breaches() == 1
    assert jobs.notify_sla_breaches() == 0
    subjects = set(OutboxMessage.objects.filter(kind="support.sla_near").values_list("subject", flat=True))
    assert subjects == {f"[{request.number}] SLA about to be breached"}


# Support's own SlaNotice table moved onto the platform's SentNotice (migration support 0012).
BEFORE_THE_MOVE = [("support", "0011_inbound_reason_codes"), ("notifications", "0004_sent_notice")]
AFTER_THE_MOVE = [("support", "0012_sla_notices_in_sent_notice")]


@pytest.mark.django_db(transaction=True)
def test_the_notices_sent_before_the_move_are_not_sent_again():
    latest = latest_migrations()
    try:
        before = migrate_to(BEFORE_THE_MOVE)
        request = _overdue_request(build_world())
        due = SupportRequest.objects.get(pk=request.pk).first_response_due_at
        SlaNotice = before.get_model("support", "SlaNotice")
        SlaNotice.objects.create(
            request_type="support", request_id=request.pk, kind="first_response_breach", due_at=due
        )
        SlaNotice.objects.create(
            request_type="service", request_id=request.pk, kind="resolution_near", due_at=due
        )

        migrate_to(AFTER_THE_MOVE)

        assert sorted(SentNotice.objects.values_list("object_type", "object_id", "kind", "due_at")) == [
            ("service_request", request.pk, "resolution_near", due),
            ("support_request", request.pk, "first_response_breach", due),
        ]
        assert "support_slanotice" not in connection.introspection.table_names()
        assert jobs.notify_sla_breaches() == 0
        assert not OutboxMessage.objects.filter(kind="support.sla_breach").exists()

        back = migrate_to(BEFORE_THE_MOVE)
        assert sorted(back.get_model("support", "SlaNotice").objects.values_list("request_type", "kind")) == [
            ("service", "resolution_near"),
            ("support", "first_response_breach"),
        ]
        assert not SentNotice.objects.exists()
    finally:
        migrate_to(latest)
