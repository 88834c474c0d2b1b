"""Reports count what happened: breached requests that were never answered miss the SLA, resolution
has its own attainment, and the period, customer, agent and severity can be chosen."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from partnerdesk.access.principal import principal_for
from partnerdesk.support import reports, support_requests
from partnerdesk.support.inputs import SupportRequestIn
from partnerdesk.support.models import SupportRequest
from partnerdesk.testing import World, database_state

pytestmark = pytest.mark.django_db


def request_at(
    world: World,
    *,
    customer: str = "a1",
    created_hours_ago: float,
    first_due_in: float | None,
    answered_after: float | None = None,
    resolution_due_in: float | None = None,
    resolved_after: float | None = None,
    severity: str = "moderate",
    assignee: str | None = None,
) -> SupportRequest:
    """A support request created some hours ago, with its due times and answers relative to that."""
    principal = principal_for(world.user(f"{customer}.global_admin"))
    request = support_requests.create_support_request(
        principal,
        SupportRequestIn(
            title="Mail",
            description="No mail.",
            severity=severity,
            contact_name="C",
            contact_email="c@x.test",
        ),
    )
    created = timezone.now() - timedelta(hours=created_hours_ago)

    def at(hours: float | None) -> Any:
        return None if hours is None else created + timedelta(hours=hours)

    SupportRequest.objects.filter(pk=request.pk).update(
        created_at=created,
        first_response_due_at=at(first_due_in),
        first_response_at=at(answered_after),
        resolution_due_at=at(resolution_due_in),
        resolved_at=at(resolved_after),
        assignee=world.user(assignee) if assignee else None,
    )
    return request


def agent_principal(world: World) -> Any:
    return principal_for(world.user("a.admin_agent"))


def test_breached_requests_that_were_never_answered_miss_the_sla(world: World) -> None:
    request_at(world, created_hours_ago=10, first_due_in=1)  # breached, never answered
    request_at(world, created_hours_ago=10, first_due_in=1)  # breached, never answered
    request_at(world, created_hours_ago=10, first_due_in=2, answered_after=1)  # met
    request_at(world, created_hours_ago=1, first_due_in=4)  # open, not yet due: counts neither way

    summary = reports.partner_report(agent_principal(world))["summary"]

    assert summary["total"] == 4
    assert summary["sla_attainment"] == 33


def test_resolution_has_its_own_attainment(world: World) -> None:
    request_at(
        world, created_hours_ago=50, first_due_in=1, answered_after=1, resolution_due_in=8, resolved_after=4
    )
    request_at(
        world, created_hours_ago=50, first_due_in=1, answered_after=1, resolution_due_in=8, resolved_after=20
    )
    request_at(world, created_hours_ago=50, first_due_in=1, answered_after=1, resolution_due_in=8)  # breached
    request_at(world, created_hours_ago=2, first_due_in=1, answered_after=1, resolution_due_in=8)  # open

    summary = reports.partner_report(agent_principal(world))["summary"]

    assert summary["sla_attainment"] == 100
    assert summary["resolution_sla_attainment"] == 33


def test_reports_slice_by_customer_agent_severity_and_period(web: Any, world: World) -> None:
    request_at(world, customer="a1", created_hours_ago=5, first_due_in=1, assignee="a.helpdesk_agent")
    request_at(
        world, customer="a2", created_hours_ago=5, first_due_in=9, answered_after=1, severity="critical"
    )
    request_at(world, customer="a2", created_hours_ago=24 * 40, first_due_in=1, answered_after=2)
    client = web("a.admin_agent")

    def numbers(query: str) -> dict[str, str]:
        response = client.get(f"/partner/support-reports/?{query}")
        assert response.status_code == 200, response.content.decode()[:500]
        rows = response.content.decode()
        return {
            "csv": client.get(f"/partner/support-reports/?{query}&format=csv").content.decode(),
            "html": rows,
        }

    everything = numbers("")
    assert "total,3" in everything["csv"]
    assert "total,1" in numbers(f"organization={world.customer_a1.pk}")["csv"]
    assert "total,1" in numbers("severity=critical")["csv"]
    by_agent = numbers(f"agent={world.user('a.helpdesk_agent').pk}")["csv"]
    assert "total,1" in by_agent
    assert "sla_attainment,0" in by_agent
    today = timezone.localdate()
    last_week = numbers(f"since={(today - timedelta(days=7)).isoformat()}&until={today.isoformat()}")
    assert "total,2" in last_week["csv"]
    assert "total,3" in numbers(f"since={(today - timedelta(days=60)).isoformat()}")["csv"]


@pytest.mark.parametrize(
    "query",
    [
        "since=2026-13-45",
        "since=2026-05-02&until=2026-05-01",
        "since=2020-01-01&until=2026-01-01",
        "severity=catastrophic",
        "agent=not-a-uuid",
    ],
)
def test_filters_that_cannot_apply_are_said_and_the_default_period_is_shown(
    web: Any, world: World, query: str
) -> None:
    request_at(world, created_hours_ago=5, first_due_in=1)
    before = database_state()
    response = web("a.admin_agent").get(f"/partner/support-reports/?{query}")
    assert response.status_code == 400
    html = response.content.decode()
    assert 'class="form-errors"' in html
    assert "Showing the last 12 weeks instead." in html
    assert database_state() == before


def test_a_partner_cannot_report_on_another_partners_customer_or_agent(web: Any, world: World) -> None:
    request_at(world, customer="b1", created_hours_ago=5, first_due_in=1)
    client = web("a.admin_agent")
    assert client.get(f"/partner/support-reports/?organization={world.customer_b1.pk}").status_code == 400
    assert client.get(f"/partner/support-reports/?agent={world.user('b.admin_agent').pk}").status_code == 400
    csv = client.get("/partner/support-reports/?format=csv").content.decode()
    assert "total,0" in csv


def test_the_operator_slices_escalations_by_partner(web: Any, world: World) -> None:
    client = web("operator.support_engineer")
    assert client.get(f"/operator/support/reports/?organization={world.partner_a.pk}").status_code == 200
    assert client.get(f"/operator/support/reports/?organization={world.customer_a1.pk}").status_code == 400
