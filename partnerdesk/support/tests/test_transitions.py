"""Every status move of both ticket kinds, generated from their declared tables (`support.tickets`).

For each kind, each pair of different statuses and each side that works the kind: a move in the table
works through the service and is audited; any other is refused with a stable code and changes nothing.
"""

from __future__ import annotations

from collections import deque
from typing import Any

import pytest

from partnerdesk.access.principal import Principal, principal_for
from partnerdesk.audit.models import AuditEvent
from partnerdesk.errors import DomainError
from partnerdesk.support import service_requests, support_requests, tickets, timeline
from partnerdesk.support.inputs import SupportRequestIn
from partnerdesk.support.models import Note, ServiceRequest, SupportRequest, SupportTopic
from partnerdesk.support.tickets import Kind, Side
from partnerdesk.testing import World, database_state

# Who asks from each side, in the tiny world.
ASKER = {
    Side.CUSTOMER: "a1.global_admin",
    Side.PARTNER: "a.admin_agent",
    Side.OPERATOR: "operator.support_engineer",
}
# The sides that work each kind (the other side never sees it).
SIDES = {
    tickets.SUPPORT_REQUEST.name: (Side.CUSTOMER, Side.PARTNER),
    tickets.SERVICE_REQUEST.name: (Side.PARTNER, Side.OPERATOR),
}


def cases() -> list[Any]:
    return [
        pytest.param(kind, source, target, side, id=f"{kind.name}:{source}->{target}:{side}")
        for kind in tickets.KINDS
        for source in kind.statuses
        for target in kind.statuses
        if source != target
        for side in SIDES[kind.name]
    ]


def asker(world: World, side: Side) -> Principal:
    return principal_for(world.user(ASKER[side]))


def open_ticket(world: World, kind: Kind) -> Any:
    if kind is tickets.SUPPORT_REQUEST:
        return support_requests.create_support_request(
            asker(world, Side.CUSTOMER),
            SupportRequestIn(
                title="Mail is slow",
                description="Since this morning.",
                severity="moderate",
                contact_name="Chen",
                contact_email="chen@contoso.test",
            ),
        )
    return service_requests.create_service_request(
        asker(world, Side.PARTNER),
        service_requests.NewServiceRequest(
            title="Billing export fails",
            description="The export stops halfway.",
            severity="moderate",
            topic=SupportTopic.objects.create(name="Billing"),
        ),
    )


def move(world: World, kind: Kind, ticket: Any, target: str, side: Side) -> Any:
    """Ask for a status change through the kind's service, as `side`."""
    if kind is tickets.SUPPORT_REQUEST:
        return support_requests.update_support_request(asker(world, side), ticket, status=target)
    return service_requests.update_service_request(
        asker(world, side), ticket, status=target, resolution="Fixed."
    )


def path_to(kind: Kind, status: str) -> list[tickets.Transition]:
    """The shortest walk through the table from a new ticket's status to `status`."""
    start = kind.statuses[0]
    walks: deque[tuple[str, list[tickets.Transition]]] = deque([(start, [])])
    seen = {start}
    while walks:
        current, walk = walks.popleft()
        if current == status:
            return walk
        for transition in kind.transitions:
            if transition.source == current and transition.target not in seen:
                seen.add(transition.target)
                walks.append((transition.target, [*walk, transition]))
    raise AssertionError(f"{kind.name}: {status} cannot be reached from {start}")


def ticket_in(world: World, kind: Kind, status: str) -> Any:
    ticket = open_ticket(world, kind)
    for transition in path_to(kind, status):
        ticket = move(world, kind, ticket, transition.target, sorted(transition.sides)[0])
    assert ticket.status == status
    return ticket


def expected_refusal(kind: Kind, target: str, side: Side) -> str:
    """The code the engine refuses with: the side's refusal when it never moves into `target`."""
    if not any(side in t.sides for t in kind.transitions if t.target == target):
        return kind.side_refusals[side][1]
    return "invalid_transition"


def test_every_status_is_reachable_and_new_tickets_start_open():
    for kind in tickets.KINDS:
        assert kind.statuses[0] == "open"
        for status in kind.statuses:
            path_to(kind, status)
        for transition in kind.transitions:
            assert {transition.source, transition.target} <= set(kind.statuses)
            assert transition.sides <= set(SIDES[kind.name])


@pytest.mark.parametrize(("kind", "source", "target", "side"), cases())
def test_a_move_works_exactly_when_the_table_allows_it(world, kind, source, target, side):
    ticket = ticket_in(world, kind, source)
    transition = kind.find(source, target)

    if transition is not None and side in transition.sides:
        changed = move(world, kind, ticket, target, side)

        assert changed.status == target
        assert type(ticket).objects.get(pk=ticket.pk).status == target
        assert AuditEvent.objects.filter(action=f"{kind.name}.{target}", object_id=str(ticket.pk)).exists()
    else:
        before = database_state()

        with pytest.raises(DomainError) as refused:
            move(world, kind, ticket, target, side)

        assert refused.value.code == expected_refusal(kind, target, side)
        assert database_state() == before


@pytest.mark.parametrize("kind", tickets.KINDS, ids=lambda kind: kind.name)
def test_an_answer_from_the_side_a_ticket_waits_on_reopens_it(world, kind):
    answer = kind.on_answer
    ticket = ticket_in(world, kind, answer.source)
    (side,) = answer.sides

    if kind is tickets.SUPPORT_REQUEST:
        timeline.add_message(asker(world, side), ticket, body="Here is the log you asked for.")
        model: type[Any] = SupportRequest
    else:
        timeline.add_note(asker(world, side), ticket, body="Here is the log.", kind=Note.Kind.FROM_PARTNER)
        model = ServiceRequest

    assert model.objects.get(pk=ticket.pk).status == answer.target


def test_an_unknown_status_is_refused(world):
    for kind in tickets.KINDS:
        ticket = open_ticket(world, kind)
        before = database_state()
        side = SIDES[kind.name][-1]

        with pytest.raises(DomainError) as refused:
            move(world, kind, ticket, "nonsense", side)

        assert refused.value.code == "invalid_status"
        assert database_state() == before
