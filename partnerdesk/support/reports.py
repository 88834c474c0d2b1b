"""Support reports: weekly volume, first-response and resolution times (median, p90), SLA
attainment, escalation and deflection rates; drawn as server-rendered SVG and exportable as CSV.

A partner sees its customers' requests; the operator sees service requests and every partner's
escalation rate. Computed over the last `WEEKS` weeks, from the rows the principal may see.
"""

from __future__ import annotations

import csv
import statistics
from collections import Counter as Tally
from datetime import datetime, time, timedelta
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q
from django.db.models.functions import TruncWeek
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from partnerdesk.access import policy
from partnerdesk.access.permissions import Permission
from partnerdesk.access.web import requires
from partnerdesk.support.models import Deflection, ServiceRequest, SupportRequest

WEEKS = 12
CHART_WIDTH = 600
CHART_HEIGHT = 160


def _hours(delta: timedelta) -> float:
    return delta.total_seconds() / 3600


def percentile(values: list[float], fraction: float) -> float | None:
    """Nearest-rank percentile; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, int(-(-fraction * len(ordered) // 1)))
    return round(ordered[min(rank, len(ordered)) - 1], 1)


def median(values: list[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


def summarize(rows: list[Any], *, finished_field: str) -> dict[str, Any]:
    """Times and attainment of a list of requests (support or service)."""
    first = [_hours(r.first_response_at - r.created_at) for r in rows if r.first_response_at]
    finished = [_hours(getattr(r, finished_field) - r.created_at) for r in rows if getattr(r, finished_field)]
    answered = [r for r in rows if r.first_response_at]
    met = [
        r
        for r in answered
        if r.first_response_due_at is None or r.first_response_at <= r.first_response_due_at
    ]
    return {
        "total": len(rows),
        "first_response_median": median(first),
        "first_response_p90": percentile(first, 0.9),
        "resolution_median": median(finished),
        "resolution_p90": percentile(finished, 0.9),
        "sla_attainment": round(100 * len(met) / len(answered)) if answered else None,
    }


def _first_week(now: Any) -> Any:
    start = (now - timedelta(weeks=WEEKS - 1)).date()
    return start - timedelta(days=start.weekday())


def weekly(rows: list[Any], now: Any) -> list[dict[str, Any]]:
    """Requests per week, oldest first, as SVG bars."""
    start = _first_week(now)
    tally = Tally(((r.created_at.date() - start).days // 7) for r in rows if r.created_at.date() >= start)
    return _bars(start, [tally.get(i, 0) for i in range(WEEKS)])


def dashboard_bars(principal: Any) -> list[dict[str, Any]]:
    """Requests per week for a dashboard, counted by the database (one query, however many rows).

    The operator's dashboard counts service requests (escalations), a partner's its customers'
    support requests.
    """
    now = timezone.now()
    start = _first_week(now)
    model: Any = ServiceRequest if principal.kind == "operator" else SupportRequest
    weeks = (
        policy.visible(principal, model)
        .filter(created_at__gte=timezone.make_aware(datetime.combine(start, time.min)))
        .annotate(week=TruncWeek("created_at"))
        .values("week")
        .annotate(count=Count("id"))
    )
    tally = {(row["week"].date() - start).days // 7: row["count"] for row in weeks}
    return _bars(start, [tally.get(i, 0) for i in range(WEEKS)])


def _bars(start: Any, counts: list[int]) -> list[dict[str, Any]]:
    top = max(counts) or 1
    width = CHART_WIDTH // WEEKS
    bars = []
    for i, count in enumerate(counts):
        height = round((CHART_HEIGHT - 34) * count / top)
        bars.append(
            {
                "week": start + timedelta(weeks=i),
                "count": count,
                "x": i * width + 4,
                "y": CHART_HEIGHT - 16 - height,
                "width": width - 8,
                "height": height,
                "label_x": i * width + width // 2,
            }
        )
    return bars


def partner_report(principal: Any) -> dict[str, Any]:
    now = timezone.now()
    since = now - timedelta(weeks=WEEKS)
    rows = list(
        policy.visible(principal, SupportRequest)
        .filter(created_at__gte=since)
        .annotate(escalated=Exists(ServiceRequest.objects.filter(support_request=OuterRef("pk"))))
        .only("created_at", "first_response_at", "first_response_due_at", "resolved_at", "closed_at")
    )
    deflections = policy.visible(principal, Deflection).filter(created_at__gte=since).count()
    summary = summarize(rows, finished_field="resolved_at")
    escalated = sum(1 for r in rows if r.escalated)
    summary["escalation_rate"] = round(100 * escalated / len(rows)) if rows else None
    summary["deflections"] = deflections
    total = deflections + len(rows)
    summary["deflection_rate"] = round(100 * deflections / total) if total else None
    return {"summary": summary, "bars": weekly(rows, now), "partners": []}


def operator_report(principal: Any) -> dict[str, Any]:
    now = timezone.now()
    since = now - timedelta(weeks=WEEKS)
    rows = list(
        policy.visible(principal, ServiceRequest)
        .filter(created_at__gte=since)
        .only("created_at", "first_response_at", "first_response_due_at", "closed_at", "partner_id")
    )
    summary = summarize(rows, finished_field="closed_at")
    deflections = Deflection.objects.filter(created_at__gte=since).count()
    support_total = SupportRequest.objects.filter(created_at__gte=since).count()
    total = deflections + support_total
    summary["deflections"] = deflections
    summary["deflection_rate"] = round(100 * deflections / total) if total else None
    per_partner = (
        SupportRequest.objects.filter(created_at__gte=since)
        .values("partner__name")
        .annotate(
            requests=Count("id"),
            escalated=Count("id", filter=Q(service_request__isnull=False)),
        )
        .order_by("partner__name")
    )
    partners = [
        {**p, "rate": round(100 * p["escalated"] / p["requests"]) if p["requests"] else 0}
        for p in per_partner
    ]
    return {"summary": summary, "bars": weekly(rows, now), "partners": partners}


def _csv(report: dict[str, Any], filename: str) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    writer.writerow(["metric", "value"])
    for key, value in report["summary"].items():
        writer.writerow([key, "" if value is None else value])
    writer.writerow([])
    writer.writerow(["week", "requests"])
    for bar in report["bars"]:
        writer.writerow([bar["week"].isoformat(), bar["count"]])
    if report["partners"]:
        writer.writerow([])
        writer.writerow(["partner", "support requests", "escalated", "escalation rate %"])
        for row in report["partners"]:
            writer.writerow([row["partner__name"], row["requests"], row["escalated"], row["rate"]])
    return response


def _render(request: HttpRequest, report: dict[str, Any], *, title: str, filename: str) -> HttpResponse:
    if request.GET.get("format") == "csv":
        return _csv(report, filename)
    return render(
        request,
        "support/reports.html",
        {**report, "title": title, "chart_width": CHART_WIDTH, "chart_height": CHART_HEIGHT},
    )


@requires(Permission.SUPPORT_REPORTS, portal="partner")
def partner_reports(request: HttpRequest) -> HttpResponse:
    principal = request.principal  # type: ignore[attr-defined]
    return _render(
        request, partner_report(principal), title=_("Support reports"), filename="support-report.csv"
    )


@requires(Permission.SUPPORT_REPORTS, portal="operator")
def operator_reports(request: HttpRequest) -> HttpResponse:
    principal = request.principal  # type: ignore[attr-defined]
    return _render(
        request, operator_report(principal), title=_("Escalation reports"), filename="escalation-report.csv"
    )
