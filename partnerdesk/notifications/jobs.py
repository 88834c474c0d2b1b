"""Periodic background jobs: each app registers its own in `<app>/jobs.py`; the worker runs them.

    from partnerdesk.notifications.jobs import periodic

    @periodic("support.sla_breaches", every=timedelta(minutes=1))
    def notify_sla_breaches() -> None:
        ...  # idempotent: safe to run twice, safe with several workers

The function takes no arguments and runs outside a transaction (open your own).
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.apps import apps
from django.db.models import F
from django.utils import timezone

from partnerdesk.notifications.models import ScheduledJob

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    every: timedelta
    function: Callable[[], object]


REGISTRY: dict[str, PeriodicJob] = {}


def periodic(name: str, *, every: timedelta) -> Callable[[Callable[[], object]], Callable[[], object]]:
    """Register `function` to run about every `every`, by whichever worker claims it first."""

    def register(function: Callable[[], object]) -> Callable[[], object]:
        REGISTRY[name] = PeriodicJob(name=name, every=every, function=function)
        return function

    return register


# Work every worker does on every pass (not once per period): draining queues whose rows the
# function claims itself, so that several workers share them (webhook deliveries). Each takes the
# worker's name and returns how much it did.
PASSES: dict[str, Callable[[str], int]] = {}


def every_pass(name: str) -> Callable[[Callable[[str], int]], Callable[[str], int]]:
    """Register `function(worker)` to run on every pass of every worker; it must claim its own rows."""

    def register(function: Callable[[str], int]) -> Callable[[str], int]:
        PASSES[name] = function
        return function

    return register


def run_passes(worker: str) -> int:
    """Run every registered pass once; return how much they did. A failing one is logged."""
    autodiscover()
    done = 0
    for name, function in list(PASSES.items()):
        try:
            done += function(worker)
        except Exception:  # one broken queue must not stop the others, nor the outbox
            log.exception("pass %s failed", name)
    return done


def autodiscover() -> None:
    """Import `jobs` of every Partnerdesk app so their jobs register."""
    for config in apps.get_app_configs():
        if config.name.startswith("partnerdesk.") and importlib.util.find_spec(f"{config.name}.jobs"):
            importlib.import_module(f"{config.name}.jobs")


def claim(job: PeriodicJob, worker: str) -> bool:
    """Take the next run of `job` for this worker; False when it is not due or another worker took it."""
    now = timezone.now()
    schedule, _ = ScheduledJob.objects.get_or_create(name=job.name, defaults={"next_run_at": now})
    if schedule.next_run_at > now:
        return False
    won = ScheduledJob.objects.filter(pk=schedule.pk, next_run_at=schedule.next_run_at).update(
        next_run_at=now + job.every, last_started_at=now
    )
    return bool(won)


def run_due(worker: str) -> int:
    """Run every due job once; return how many ran. A failing job is logged and tried next time."""
    autodiscover()
    ran = 0
    for job in list(REGISTRY.values()):
        if not claim(job, worker):
            continue
        error = ""
        try:
            job.function()
        except Exception as failure:  # one broken job must not stop the others
            error = f"{type(failure).__name__}: {failure}"[:2000]
            log.exception("job %s failed", job.name)
        ScheduledJob.objects.filter(name=job.name).update(
            last_finished_at=timezone.now(), last_error=error, runs=F("runs") + 1
        )
        ran += 1
    return ran
