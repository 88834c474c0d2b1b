"""Service status history: stored append-only, readable on a page and over the API, the daily bars
read from it, and Graph's `healthOverviews/{id}/issues` agreeing with `$expand=issues`.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from partnerdesk.access.principal import principal_for
from partnerdesk.audit.models import AppendOnlyError
from partnerdesk.health import issues
from partnerdesk.health.models import ServiceStatusChange
from partnerdesk.health.testing import exchange_incident
from partnerdesk.health.tests.test_graph import GraphClient, token_for
from partnerdesk.testing import database_state

pytestmark = pytest.mark.django_db


@pytest.fixture
def incident(world, catalog):
    """An Exchange incident published, then restored: two stored changes."""
    operator = principal_for(world.user("operator.communications_manager"))
    issue = exchange_incident(world, catalog)
    issues.add_issue_post(operator, issue, body="Fixed.", status="service_restored")
    return issue


def test_the_service_page_lists_the_changes_and_the_bars_show_today_worst(web, catalog, incident):
    page = web("a1.global_admin").get(f"/admin/health/services/{catalog.exchange.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert incident.display_id in html
    assert html.count("status-service_degradation") >= 2  # the change row and today's bar
    overview = web("a1.global_admin").get("/admin/health/").content.decode()
    assert f"/admin/health/services/{catalog.exchange.pk}/" in overview


def test_the_api_reads_the_stored_history(api, catalog, incident):
    body = api("a1.global_admin").get("/health/services/exchange/history").json_body
    assert body["key"] == "exchange" and body["status"] == "service_operational"
    assert [(c["status"], c["issue"]) for c in body["changes"]] == [
        ("service_operational", incident.display_id),
        ("service_degradation", incident.display_id),
    ]
    assert len(body["days"]) == 30
    assert body["days"][-1] == {"date": timezone.localdate().isoformat(), "status": "service_degradation"}
    assert {d["status"] for d in body["days"][:-1]} == {"service_operational"}


def test_bars_carry_a_status_across_days_until_it_changes(api, catalog):
    now = timezone.now()
    for days_ago, status in (
        (40, "service_interruption"),
        (10, "service_degradation"),
        (8, "service_operational"),
    ):
        ServiceStatusChange.objects.create(
            service=catalog.sharepoint, status=status, at=now - timedelta(days=days_ago)
        )
    days = [
        d["status"]
        for d in api("a1.global_admin").get("/health/services/sharepoint/history").json_body["days"]
    ]
    # Interrupted since before the window, degraded 10 days ago, healthy again 8 days ago.
    assert days[:19] == ["service_interruption"] * 19
    assert days[19] == "service_interruption"  # that day started interrupted
    assert days[20] == "service_degradation"
    assert days[21] == "service_degradation"  # healthy again that day, but degraded at its start
    assert set(days[22:]) == {"service_operational"}


def test_outsiders_get_404_and_nothing_changes(api, web, catalog, incident):
    before = database_state()
    # Adatum (a2) is entitled to Teams only.
    assert api("a2.global_admin").get("/health/services/exchange/history").status_code == 404
    assert api("a2.global_admin").get("/health/services/no-such/history").status_code == 404
    assert web("a2.global_admin").get(f"/admin/health/services/{catalog.exchange.pk}/").status_code == 404
    assert database_state() == before


def test_the_history_is_append_only(catalog, incident):
    change = ServiceStatusChange.objects.filter(service=catalog.exchange).first()
    with pytest.raises(AppendOnlyError):
        ServiceStatusChange.objects.filter(service=catalog.exchange).update(status="investigating")
    with pytest.raises(AppendOnlyError):
        ServiceStatusChange.objects.all().delete()
    with pytest.raises(AppendOnlyError):
        change.save()
    with pytest.raises(AppendOnlyError):
        change.delete()
    assert ServiceStatusChange.objects.filter(service=catalog.exchange).count() == 2


def test_graph_overview_issues_agree_with_expand(world, catalog, incident):
    graph = GraphClient(token_for(world.user("a1.global_admin")))
    expanded = graph.get("/healthOverviews/Exchange Online", **{"$expand": "issues"}).body["issues"]
    listed = graph.get("/healthOverviews/Exchange Online/issues").body
    assert [i["id"] for i in listed["value"]] == [i["id"] for i in expanded] == [incident.display_id]
    assert listed["value"] == expanded
    assert (
        graph.get("/healthOverviews/Exchange Online/issues", **{"$count": "true"}).body["@odata.count"] == 1
    )
    assert graph.get("/healthOverviews/SharePoint Online/issues").body["value"] == []
    outsider = GraphClient(token_for(world.user("a2.global_admin")))
    assert outsider.get("/healthOverviews/Exchange Online/issues").status_code == 404
