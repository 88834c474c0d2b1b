"""SLA clocks: due times counted in business minutes, paused while the request waits on the requester.

Each request stores absolute due times (so queues and the breach job are plain indexed queries);
pausing turns them back into business minutes left, resuming adds those minutes from now.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from partnerdesk.access.permissions import Permission as P
from partnerdesk.access.principal import Principal
from partnerdesk.audit import services as audit
from partnerdesk.errors import DomainError
from partnerdesk.support.common import valid_severity
from partnerdesk.support.models import Severity, SlaPolicy

# Operator → partner defaults (DOMAIN §5): first response 2 h / 4 h / 8 h; resolution 1 / 3 / 5 days.
DEFAULT_TARGETS: dict[str, tuple[int, int]] = {
    Severity.CRITICAL: (2 * 60, 24 * 60),
    Severity.MODERATE: (4 * 60, 3 * 24 * 60),
    Severity.MINIMAL: (8 * 60, 5 * 24 * 60),
}
MAX_DAYS = 3 * 366


@dataclass(frozen=True)
class Policy:
    """The targets in force for one organization and severity (a stored SlaPolicy or the default)."""

    first_response_minutes: int
    resolution_minutes: int
    around_the_clock: bool = True
    time_zone: str = "UTC"
    workday_start: time = time(9)
    workday_end: time = time(18)
    workdays: tuple[int, ...] = (0, 1, 2, 3, 4)
    holidays: frozenset[date] = field(default_factory=frozenset)


def policy_for(organization_id: Any, severity: str) -> Policy:
    """Return the organization's policy for `severity`, or the default targets."""
    stored = SlaPolicy.objects.filter(organization_id=organization_id, severity=severity).first()
    if stored is None:
        first, resolution = DEFAULT_TARGETS[Severity(severity)]
        return Policy(first_response_minutes=first, resolution_minutes=resolution)
    return from_model(stored)


def from_model(stored: SlaPolicy) -> Policy:
    def as_time(value: Any) -> time:
        return value if isinstance(value, time) else time.fromisoformat(str(value))

    return Policy(
        first_response_minutes=stored.first_response_minutes,
        resolution_minutes=stored.resolution_minutes,
        around_the_clock=stored.around_the_clock,
        time_zone=stored.time_zone,
        workday_start=as_time(stored.workday_start),
        workday_end=as_time(stored.workday_end),
        workdays=tuple(int(d) for d in (stored.workdays or [0, 1, 2, 3, 4])),
        holidays=frozenset(date.fromisoformat(str(d)) for d in stored.holidays or []),
    )


def _windows(start: datetime, policy: Policy) -> Any:
    """Yield the business-hour windows (start, end) from `start` onwards, in UTC-aware datetimes."""
    zone = zoneinfo.ZoneInfo(policy.time_zone)
    local = start.astimezone(zone)
    day = local.date()
    for _day_index in range(MAX_DAYS):
        if day.weekday() in policy.workdays and day not in policy.holidays:
            opens = datetime.combine(day, policy.workday_start, tzinfo=zone)
            closes = datetime.combine(day, policy.workday_end, tzinfo=zone)
            opens = max(opens, start)
            if closes > opens:
                yield opens, closes
        day += timedelta(days=1)


def add_business_minutes(start: datetime, minutes: int, policy: Policy) -> datetime:
    """Return the moment `minutes` business minutes after `start`."""
    if policy.around_the_clock:
        return start + timedelta(minutes=minutes)
    left = timedelta(minutes=minutes)
    for opens, closes in _windows(start, policy):
        if closes - opens >= left:
            return opens + left
        left -= closes - opens
    raise ValueError("the SLA policy has no business hours")


def business_minutes_between(start: datetime, end: datetime, policy: Policy) -> int:
    """Business minutes from `start` to `end` (negative when `end` is earlier)."""
    if end < start:
        return -business_minutes_between(end, start, policy)
    if policy.around_the_clock:
        return int((end - start).total_seconds() // 60)
    total = timedelta()
    for opens, closes in _windows(start, policy):
        if opens >= end:
            break
        total += min(closes, end) - opens
    return int(total.total_seconds() // 60)


def start(request: Any, now: datetime, policy: Policy) -> None:
    """Set the due times of a new request."""
    request.first_response_due_at = add_business_minutes(now, policy.first_response_minutes, policy)
    request.resolution_due_at = add_business_minutes(now, policy.resolution_minutes, policy)


def pause(request: Any, now: datetime, policy: Policy) -> None:
    """Stop the clock: keep the business minutes left, clear the due times."""
    if request.paused_at is not None:
        return
    if request.first_response_at is None and request.first_response_due_at is not None:
        request.first_response_left_minutes = business_minutes_between(
            now, request.first_response_due_at, policy
        )
    if request.resolution_due_at is not None:
        request.resolution_left_minutes = business_minutes_between(now, request.resolution_due_at, policy)
    request.first_response_due_at = None
    request.resolution_due_at = None
    request.paused_at = now


def resume(request: Any, now: datetime, policy: Policy) -> None:
    """Restart the clock from now with the minutes that were left."""
    if request.paused_at is None:
        return
    if request.first_response_left_minutes is not None and request.first_response_at is None:
        request.first_response_due_at = add_business_minutes(now, request.first_response_left_minutes, policy)
    if request.resolution_left_minutes is not None:
        request.resolution_due_at = add_business_minutes(now, request.resolution_left_minutes, policy)
    request.first_response_left_minutes = None
    request.resolution_left_minutes = None
    request.paused_at = None


def current_due(request: Any) -> datetime | None:
    """The due time that matters now: first response until answered, then resolution."""
    if request.first_response_at is None and request.first_response_due_at is not None:
        return request.first_response_due_at
    return request.resolution_due_at


def near_window() -> timedelta:
    return timedelta(minutes=settings.SUPPORT_SLA_NEAR_MINUTES)


def state(request: Any, now: datetime) -> str:
    """ "done", "paused", "breached", "near" or "ok"."""
    if request.is_finished:
        return "done"
    if request.paused_at is not None:
        return "paused"
    due = current_due(request)
    if due is None:
        return "ok"
    if due <= now:
        return "breached"
    if due - now <= near_window():
        return "near"
    return "ok"


# The operator's and each partner's targets, per severity.

MAX_TARGET_MINUTES = 365 * 24 * 60


def set_sla_policy(
    principal: Principal,
    *,
    severity: str,
    first_response_minutes: int,
    resolution_minutes: int,
    around_the_clock: bool,
    time_zone: str = "UTC",
    workday_start: str = "09:00",
    workday_end: str = "18:00",
    workdays: list[int] | None = None,
    holidays: list[str] | None = None,
) -> SlaPolicy:
    """Set one severity's targets of the principal's organization (applies to new requests)."""
    principal.require(P.SUPPORT_SLA_MANAGE)
    if first_response_minutes < 1 or resolution_minutes < first_response_minutes:
        raise DomainError(
            _("Targets must be positive, and resolution no sooner than first response."),
            code="invalid_targets",
        )
    # Every new request computes its due times from this policy: refuse one they cannot be computed
    # from (business hours that never open, targets beyond the clock's horizon), or opening requests
    # would fail for all of the organization's customers.
    try:
        if resolution_minutes > MAX_TARGET_MINUTES:
            raise ValueError("target too far")
        add_business_minutes(
            timezone.now(),
            resolution_minutes,
            Policy(
                first_response_minutes=first_response_minutes,
                resolution_minutes=resolution_minutes,
                around_the_clock=around_the_clock,
                time_zone=time_zone,
                workday_start=time.fromisoformat(workday_start),
                workday_end=time.fromisoformat(workday_end),
                workdays=tuple(workdays if workdays is not None else [0, 1, 2, 3, 4]),
                holidays=frozenset(date.fromisoformat(str(d)) for d in holidays or []),
            ),
        )
    except (ValueError, OverflowError, KeyError):
        raise DomainError(
            _("These targets cannot be reached within the business hours; check the hours and the targets."),
            code="invalid_targets",
        ) from None
    with transaction.atomic():
        policy, _created = SlaPolicy.objects.update_or_create(
            organization=principal.organization,
            severity=valid_severity(severity),
            defaults={
                "first_response_minutes": first_response_minutes,
                "resolution_minutes": resolution_minutes,
                "around_the_clock": around_the_clock,
                "time_zone": time_zone,
                "workday_start": workday_start,
                "workday_end": workday_end,
                "workdays": workdays if workdays is not None else [0, 1, 2, 3, 4],
                "holidays": holidays or [],
            },
        )
        audit.record(
            principal,
            action="sla_policy.saved",
            target=policy,
            organization=principal.organization,
            after={
                "severity": severity,
                "first_response_minutes": first_response_minutes,
                "resolution_minutes": resolution_minutes,
            },
        )
    return policy
