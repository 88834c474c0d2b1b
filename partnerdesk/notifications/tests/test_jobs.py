"""Periodic jobs run when due, once per due time, whichever worker claims them."""

from __future__ import annotations

from datetime import timedelta

import pytest

from partnerdesk.notifications import jobs
from partnerdesk.notifications.models import ScheduledJob


@pytest.fixture
def counter(monkeypatch):
    jobs.autodiscover()
    # Only this test's jobs: the apps' own jobs are tested in their apps.
    monkeypatch.setattr(jobs, "REGISTRY", {})
    calls: list[int] = []
    jobs.periodic("test.count", every=timedelta(hours=1))(lambda: calls.append(1))
    return calls


def test_a_due_job_runs_once_per_period(db, counter):
    jobs.run_due("w1")
    jobs.run_due("w2")

    assert counter == [1]
    schedule = ScheduledJob.objects.get(name="test.count")
    assert schedule.runs == 1
    assert schedule.last_error == ""


def test_it_runs_again_when_due_again(db, counter):
    jobs.run_due("w1")
    ScheduledJob.objects.filter(name="test.count").update(
        next_run_at=ScheduledJob.objects.get(name="test.count").last_started_at
    )

    jobs.run_due("w2")

    assert counter == [1, 1]


def test_a_failing_job_is_recorded_and_does_not_stop_the_others(db, counter):
    def broken() -> None:
        raise ValueError("boom")

    jobs.periodic("test.broken", every=timedelta(hours=1))(broken)
    jobs.run_due("w1")

    assert counter == [1]
    assert ScheduledJob.objects.get(name="test.broken").last_error == "ValueError: boom"
