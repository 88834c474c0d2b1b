"""The ticket engine support requests and service requests share (DOMAIN §5).

Each kind declares its statuses' allowed moves as one table (`SUPPORT_REQUEST`, `SERVICE_REQUEST`):
from which status to which, who may make the move (the customer's, the partner's or the operator's
side), and what the move does to the SLA clock. The engine refuses a move that is not in the table:
`invalid_status` for a status the kind does not have, the kind's side refusal (`partner_only`,
`operator_only`, 403) when the side never makes a move into that status, else `invalid_transition`
(409). The kinds' modules keep only what is theirs (the reopen period, the resolution note).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeVar

from django.db import connection
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from partnerdesk.access import rules
from partnerdesk.access.principal import Principal
from partnerdesk.audit import services as audit
from partnerdesk.errors import Conflict, DomainError, Forbidden
from partnerdesk.support import sla
from partnerdesk.support.common import touch
from partnerdesk.support.models import Counter, ServiceRequest, SupportRequest


class Side(StrEnum):
    """Who asks for a move: the side of the organization the principal belongs to."""

    CUSTOMER = "customer"
    PARTNER = "partner"
    OPERATOR = "operator"


class Effect(StrEnum):
    """What a move does besides setting the status."""

    PAUSE = "pause"  # the request waits on its requester: the clock keeps the minutes left
    RESUME = "resume"  # the requester answered: the clock runs on with the minutes that were left
    REOPEN = "reopen"  # a finished request is worked again: a fresh clock (first response kept)
    RESOLVE = "resolve"  # solved, waiting for the requester to confirm or reopen
    CLOSE = "close"  # finished


@dataclass(frozen=True)
class Transition:
    """One allowed move: `source` → `target`, made by any of `sides`."""

    source: str
    target: str
    sides: frozenset[Side]
    effect: Effect


@dataclass(frozen=True)
class Kind:
    """A ticket kind: its statuses, its table, and what it says when it refuses."""

    name: str
    statuses: tuple[str, ...]
    transitions: tuple[Transition, ...]
    # The move an answer from the side the request waits on makes by itself (a reply, not a status change).
    on_answer: Transition
    # A side that never makes a move into a status is refused with this (message, code).
    side_refusals: dict[Side, tuple[Promise, str]]
    # A move the table does not have, by target status (a default otherwise).
    refusals: dict[str, Promise]

    def find(self, source: str, target: str) -> Transition | None:
        return next((t for t in self.transitions if t.source == source and t.target == target), None)


def _moves(rows: list[tuple[str, str, set[Side], Effect]]) -> tuple[Transition, ...]:
    return tuple(
        Transition(source, target, frozenset(sides), effect) for source, target, sides, effect in rows
    )


SR = SupportRequest.Status
CUSTOMER, PARTNER, OPERATOR = Side.CUSTOMER, Side.PARTNER, Side.OPERATOR

# Customer ↔ partner. The customer may close or reopen; the partner does the rest.
SUPPORT_REQUEST = Kind(
    name="support_request",
    statuses=tuple(SR.values),
    transitions=_moves(
        [
            (SR.OPEN, SR.WAITING_ON_CUSTOMER, {PARTNER}, Effect.PAUSE),
            (SR.OPEN, SR.RESOLVED, {PARTNER}, Effect.RESOLVE),
            (SR.OPEN, SR.CLOSED, {PARTNER, CUSTOMER}, Effect.CLOSE),
            (SR.WAITING_ON_CUSTOMER, SR.OPEN, {PARTNER, CUSTOMER}, Effect.RESUME),
            (SR.WAITING_ON_CUSTOMER, SR.RESOLVED, {PARTNER}, Effect.RESOLVE),
            (SR.WAITING_ON_CUSTOMER, SR.CLOSED, {PARTNER, CUSTOMER}, Effect.CLOSE),
            (SR.RESOLVED, SR.OPEN, {PARTNER, CUSTOMER}, Effect.REOPEN),
            (SR.RESOLVED, SR.CLOSED, {PARTNER, CUSTOMER}, Effect.CLOSE),
            (SR.CLOSED, SR.OPEN, {PARTNER, CUSTOMER}, Effect.REOPEN),
        ]
    ),
    on_answer=Transition(SR.WAITING_ON_CUSTOMER, SR.OPEN, frozenset({CUSTOMER}), Effect.RESUME),
    side_refusals={
        CUSTOMER: (_("You may close or reopen a request; your partner does the rest."), "partner_only"),
    },
    refusals={
        SR.WAITING_ON_CUSTOMER: _("Only an open request can wait on the customer."),
        SR.RESOLVED: _("This request is already closed."),
    },
)

SV = ServiceRequest.Status

# Partner ↔ operator. The operator works the request; the partner may close its own.
SERVICE_REQUEST = Kind(
    name="service_request",
    statuses=tuple(SV.values),
    transitions=_moves(
        [
            (SV.OPEN, SV.ATTENTION_NEEDED, {OPERATOR}, Effect.PAUSE),
            (SV.OPEN, SV.CLOSED, {OPERATOR, PARTNER}, Effect.CLOSE),
            (SV.ATTENTION_NEEDED, SV.OPEN, {OPERATOR}, Effect.RESUME),
            (SV.ATTENTION_NEEDED, SV.CLOSED, {OPERATOR, PARTNER}, Effect.CLOSE),
            (SV.CLOSED, SV.OPEN, {OPERATOR}, Effect.REOPEN),
        ]
    ),
    on_answer=Transition(SV.ATTENTION_NEEDED, SV.OPEN, frozenset({PARTNER}), Effect.RESUME),
    side_refusals={
        PARTNER: (_("The operator manages this; you may close your request."), "operator_only"),
    },
    refusals={SV.ATTENTION_NEEDED: _("Only an open request can wait on the partner.")},
)

KINDS = (SUPPORT_REQUEST, SERVICE_REQUEST)

# The SLA clock's columns a move may change.
CLOCK_FIELDS = [
    "first_response_due_at",
    "resolution_due_at",
    "paused_at",
    "first_response_left_minutes",
    "resolution_left_minutes",
]


def side_of(principal: Principal) -> Side:
    """The side a principal asks from (its delegated organization's, for a partner acting on behalf)."""
    if rules.on_operator_side(principal):
        return Side.OPERATOR
    if rules.on_partner_side(principal):
        return Side.PARTNER
    return Side.CUSTOMER


def step(kind: Kind, current: str, target: str, side: Side) -> Transition:
    """Return the table's move from `current` to `target` for `side`, or refuse it."""
    if target not in kind.statuses:
        raise DomainError(str(_("Unknown status.")), code="invalid_status")
    found = kind.find(current, target)
    if found is not None and side in found.sides:
        return found
    if not any(side in t.sides for t in kind.transitions if t.target == target):
        message, code = kind.side_refusals.get(
            side, (_("You cannot change this request's status."), "forbidden")
        )
        raise Forbidden(str(message), code=code)
    refusal = kind.refusals.get(target, _("This request cannot change to this status now."))
    raise Conflict(str(refusal), code="invalid_transition")


def apply(ticket: Any, transition: Transition, *, now: Any, policy: sla.Policy) -> None:
    """Make the move on the (locked, in-memory) ticket: its clock, its timestamps, its status."""
    effect = transition.effect
    if effect is Effect.PAUSE:
        sla.pause(ticket, now, policy)
    elif effect is Effect.RESUME:
        sla.resume(ticket, now, policy)
    elif effect is Effect.REOPEN:
        if hasattr(ticket, "resolved_at"):
            ticket.resolved_at = None
        ticket.closed_at = None
        sla.start(ticket, now, policy)
        ticket.first_response_due_at = None if ticket.first_response_at else ticket.first_response_due_at
        ticket.paused_at = None
    elif effect is Effect.RESOLVE:
        ticket.resolved_at = now
        ticket.paused_at = None
    elif effect is Effect.CLOSE:
        ticket.closed_at = now
        ticket.paused_at = None
    ticket.status = transition.target


def answered(kind: Kind, ticket: Any, side: Side) -> Transition | None:
    """The move an answer from `side` makes by itself (the kind's `on_answer`), if the ticket waits on it."""
    move = kind.on_answer
    if ticket.status != move.source or side not in move.sides:
        return None
    return move


Ticket = TypeVar("Ticket", SupportRequest, ServiceRequest)


def lock(ticket: Ticket) -> Ticket:
    """Re-read the ticket under a row lock (with its partner and customer) for a change."""
    return (
        type(ticket)
        .objects.select_for_update(of=("self",))
        .select_related("partner", "customer")
        .get(pk=ticket.pk)
    )


def save_change(
    principal: Principal,
    kind: Kind,
    ticket: Any,
    before: dict[str, Any],
    *,
    fields: list[str],
    old_status: str,
    now: Any,
    organization: Any,
    reason: str = "",
) -> bool:
    """Save the (locked) ticket and audit what changed of `fields` since `before`; False, saving and
    auditing nothing, when nothing did.

    The event is `<kind>.updated`, or `<kind>.<status>` when the status moved, with only the changed
    fields before and after.
    """
    after = audit.snapshot(ticket, fields)
    if after == before:
        return False
    touch(ticket, now)
    ticket.save()
    audit.record(
        principal,
        action=f"{kind.name}.updated" if ticket.status == old_status else f"{kind.name}.{ticket.status}",
        target=ticket,
        organization=organization,
        before={k: v for k, v in before.items() if after[k] != v},
        after={k: v for k, v in after.items() if before[k] != v},
        reason=reason,
    )
    return True


def next_number(name: str, prefix: str) -> str:
    """Hand out the next display key (SUP000123, SR000123).

    One UPDATE … RETURNING (PostgreSQL, SQLite 3.35+): it takes the counter's row lock until the
    transaction ends, so two requests never get the same number and a rolled-back one gives its back.
    """
    sql = f"UPDATE {Counter._meta.db_table} SET value = value + 1 WHERE name = %s RETURNING value"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [name])
        row = cursor.fetchone()
    if row is None:  # the first number of its kind
        Counter.objects.get_or_create(name=name)
        return next_number(name, prefix)
    return f"{prefix}{row[0]:06d}"
