"""Support reports: weekly volume, first-response and resolution times (median, p90), SLA
attainment, escalation and deflection rates; drawn as server-rendered SVG and exportable as CSV.

A partner sees its customers' requests; the operator sees service requests and every partner's
escalation rate. Computed over a period (the last `WEEKS` weeks unless the filters choose another),
for one customer (or partner), agent or severity when chosen, from the rows the principal may see.
"""

from __future__ import annotations

import csv
import statistics
from collections import Counter as Tally
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django import forms
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.db.models.functions import TruncWeek
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from partnerdesk.access import policy, rules
from partnerdesk.access.permissions import Permission
from partnerdesk.access.principal import principal_of
from partnerdesk.access.web import requires
from partnerdesk.accounts.models import User
from partnerdesk.support.models import Deflection, ServiceRequest, Severity, SupportRequest
from partnerdesk.tenancy.models import Organization

WEEKS = 12
MAX_DAYS = 366
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


def _within(done_at: Any, due_at: Any) -> bool:
    return due_at is None or done_at <= due_at


def _attainment(rows: list[Any], *, done: Any, due: Any, now: datetime) -> int | None:
    """Percent of requests that met a target, counting the ones that breached it still undone.

    A request done in time met it; one done late, or not done and past its due time, missed it; one
    not done and not yet due is still open and counts neither way.
    """
    met = missed = 0
    for row in rows:
        done_at, due_at = done(row), due(row)
        if done_at is not None:
            met, missed = (met + 1, missed) if _within(done_at, due_at) else (met, missed + 1)
        elif due_at is not None and due_at < now:
            missed += 1
    counted = met + missed
    return round(100 * met / counted) if counted else None


def summarize(rows: list[Any], *, finished_field: str, now: datetime | None = None) -> dict[str, Any]:
    """Times and attainment of a list of requests (support or service)."""
    now = now or timezone.now()
    first = [_hours(r.first_response_at - r.created_at) for r in rows if r.first_response_at]
    finished = [_hours(getattr(r, finished_field) - r.created_at) for r in rows if getattr(r, finished_field)]
    return {
        "total": len(rows),
        "first_response_median": median(first),
        "first_response_p90": percentile(first, 0.9),
        "resolution_median": median(finished),
        "resolution_p90": percentile(finished, 0.9),
        "sla_attainment": _attainment(
            rows, done=lambda r: r.first_response_at, due=lambda r: r.first_response_due_at, now=now
        ),
        "resolution_sla_attainment": _attainment(
            rows, done=lambda r: getattr(r, finished_field), due=lambda r: r.resolution_due_at, now=now
        ),
    }


class ReportFilters(forms.Form):
    """The period and the slice of a report; every field optional (the last 12 weeks, everything)."""

    since = forms.DateField(
        label=gettext_lazy("From"), required=False, widget=forms.DateInput({"type": "date"})
    )
    until = forms.DateField(
        label=gettext_lazy("To"), required=False, widget=forms.DateInput({"type": "date"})
    )
    organization = forms.ModelChoiceField(queryset=Organization.objects.none(), required=False)
    agent = forms.ModelChoiceField(
        label=gettext_lazy("Agent"), queryset=User.objects.none(), required=False, to_field_name="pk"
    )
    severity = forms.ChoiceField(
        label=gettext_lazy("Severity"),
        choices=[("", gettext_lazy("Any severity")), *Severity.choices],
        required=False,
    )

    def __init__(
        self,
        data: Any,
        *,
        organizations: QuerySet[Organization],
        organization_label: Any,
        agents: QuerySet[User],
    ) -> None:
        super().__init__(data)
        organization_field: Any = self.fields["organization"]
        organization_field.queryset = organizations
        organization_field.label = organization_label
        organization_field.empty_label = _("All")
        agent_field: Any = self.fields["agent"]
        agent_field.queryset = agents
        agent_field.empty_label = _("Anyone")
        agent_field.label_from_instance = lambda user: user.display_name or user.email

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        today = timezone.localdate()
        until = cleaned.get("until") or today
        since = cleaned.get("since") or _first_week(timezone.now())
        if since > until:
            raise forms.ValidationError(_("The period must start before it ends."), code="period_reversed")
        if (until - since).days > MAX_DAYS:
            raise forms.ValidationError(
                _("Choose a period of at most %(days)s days.") % {"days": MAX_DAYS}, code="period_too_long"
            )
        cleaned["since"], cleaned["until"] = since, until
        return cleaned


@dataclass(frozen=True)
class Period:
    """The days a report covers, inclusive, in the viewer's time zone."""

    since: date
    until: date

    @classmethod
    def default(cls) -> Period:
        return cls(since=_first_week(timezone.now()), until=timezone.localdate())

    @property
    def starts_at(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.since, time.min))

    @property
    def ends_at(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.until + timedelta(days=1), time.min))

    @property
    def weeks(self) -> int:
        return max(1, ((self.until - self.week_start).days // 7) + 1)

    @property
    def week_start(self) -> date:
        return self.since - timedelta(days=self.since.weekday())


def _first_week(now: Any) -> Any:
    start = (now - timedelta(weeks=WEEKS - 1)).date()
    return start - timedelta(days=start.weekday())


def weekly(rows: list[Any], period: Period) -> list[dict[str, Any]]:
    """Requests per week of the period, oldest first, as SVG bars."""
    start = period.week_start
    tally = Tally(((timezone.localdate(r.created_at) - start).days // 7) for r in rows)
    return _bars(start, [tally.get(i, 0) for i in range(period.weeks)])


def dashboard_bars(principal: Any) -> list[dict[str, Any]]:
    """Requests per week for a dashboard, counted by the database (one query, however many rows).

    The operator's dashboard counts service requests (escalations), a partner's its customers'
    support requests.
    """
    now = timezone.now()
    start = _first_week(now)
    model: Any = ServiceRequest if rules.on_operator_side(principal) else SupportRequest
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
    width = max(8, CHART_WIDTH // len(counts))
    bars = []
    for i, count in enumerate(counts):
        height = round((CHART_HEIGHT - 34) * count / top)
        bars.append(
            {
                "week": start + timedelta(weeks=i),
                "count": count,
                "x": i * width + width // 8,
                "y": CHART_HEIGHT - 16 - height,
                "width": width - width // 4,
                "height": height,
                "label_x": i * width + width // 2,
            }
        )
    return bars


def _sliced(queryset: QuerySet[Any], filters: dict[str, Any], *, organization_field: str) -> QuerySet[Any]:
    if filters.get("organization"):
        queryset = queryset.filter(**{organization_field: filters["organization"]})
    if filters.get("agent"):
        queryset = queryset.filter(assignee=filters["agent"])
    if filters.get("severity"):
        queryset = queryset.filter(severity=filters["severity"])
    return queryset


def partner_report(principal: Any, period: Period | None = None, **filters: Any) -> dict[str, Any]:
    """A partner's support requests of the period, for one customer, agent or severity if chosen."""
    period = period or Period.default()
    chosen = policy.visible(principal, SupportRequest).filter(
        created_at__gte=period.starts_at, created_at__lt=period.ends_at
    )
    rows = list(
        _sliced(chosen, filters, organization_field="customer")
        .annotate(escalated=Exists(ServiceRequest.objects.filter(support_request=OuterRef("pk"))))
        .only(
            "created_at",
            "first_response_at",
            "first_response_due_at",
            "resolution_due_at",
            "resolved_at",
            "closed_at",
        )
    )
    deflections_in_period = policy.visible(principal, Deflection).filter(
        created_at__gte=period.starts_at, created_at__lt=period.ends_at
    )
    if filters.get("organization"):
        deflections_in_period = deflections_in_period.filter(customer=filters["organization"])
    # Self-help belongs to no agent or severity: shown only when the report is not sliced by them.
    sliced_by_request = bool(filters.get("agent") or filters.get("severity"))
    deflections = 0 if sliced_by_request else deflections_in_period.count()
    summary = summarize(rows, finished_field="resolved_at")
    escalated = sum(1 for r in rows if r.escalated)
    summary["escalation_rate"] = round(100 * escalated / len(rows)) if rows else None
    summary["deflections"] = deflections
    total = deflections + len(rows)
    summary["deflection_rate"] = round(100 * deflections / total) if total and not sliced_by_request else None
    return {"summary": summary, "bars": weekly(rows, period), "partners": [], "period": period}


def operator_report(principal: Any, period: Period | None = None, **filters: Any) -> dict[str, Any]:
    """Service requests of the period, for one partner, engineer or severity if chosen."""
    period = period or Period.default()
    in_period = {"created_at__gte": period.starts_at, "created_at__lt": period.ends_at}
    rows = list(
        _sliced(
            policy.visible(principal, ServiceRequest).filter(**in_period),
            filters,
            organization_field="partner",
        ).only(
            "created_at",
            "first_response_at",
            "first_response_due_at",
            "resolution_due_at",
            "closed_at",
            "partner_id",
        )
    )
    summary = summarize(rows, finished_field="closed_at")
    support_requests = SupportRequest.objects.filter(**in_period)  # unscoped: the operator sees every partner
    deflections_in_period = Deflection.objects.filter(
        **in_period
    )  # unscoped: the operator sees every partner
    if filters.get("organization"):
        support_requests = support_requests.filter(partner=filters["organization"])
        deflections_in_period = deflections_in_period.filter(partner=filters["organization"])
    deflections = deflections_in_period.count()
    total = deflections + support_requests.count()
    summary["deflections"] = deflections
    summary["deflection_rate"] = round(100 * deflections / total) if total else None
    per_partner = (
        support_requests.values("partner__name")
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
    return {"summary": summary, "bars": weekly(rows, period), "partners": partners, "period": period}


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


def _render(
    request: HttpRequest,
    build: Any,
    form: ReportFilters,
    *,
    title: str,
    filename: str,
) -> HttpResponse:
    """Build the report for valid filters (or the default period, with the form's message) and show it."""
    principal = principal_of(request)
    if form.is_valid():
        data = form.cleaned_data
        period = Period(since=data["since"], until=data["until"])
        report = build(
            principal,
            period,
            organization=data["organization"],
            agent=data["agent"],
            severity=data["severity"],
        )
        status = 200
    else:
        report = build(principal, Period.default())
        status = 400
    if request.GET.get("format") == "csv" and status == 200:
        return _csv(report, filename)
    return render(
        request,
        "support/reports.html",
        {
            **report,
            "title": title,
            "form": form,
            "chart_width": CHART_WIDTH,
            "chart_height": CHART_HEIGHT,
            "csv_query": _csv_query(request),
        },
        status=status,
    )


def _csv_query(request: HttpRequest) -> str:
    query = request.GET.copy()
    query["format"] = "csv"
    return query.urlencode()


@requires(Permission.SUPPORT_REPORTS, portal="partner")
def partner_reports(request: HttpRequest) -> HttpResponse:
    principal = principal_of(request)
    form = ReportFilters(
        request.GET,
        organizations=policy.visible(principal, Organization)
        .filter(partner=principal.organization)
        .order_by("name"),
        organization_label=_("Customer"),
        agents=policy.visible(principal, User).order_by("display_name", "email"),
    )
    return _render(request, partner_report, form, title=_("Support reports"), filename="support-report.csv")


@requires(Permission.SUPPORT_REPORTS, portal="operator")
def operator_reports(request: HttpRequest) -> HttpResponse:
    principal = principal_of(request)
    form = ReportFilters(
        request.GET,
        organizations=policy.visible(principal, Organization).filter(kind="partner").order_by("name"),
        organization_label=_("Partner"),
        agents=policy.visible(principal, User).order_by("display_name", "email"),
    )
    return _render(
        request, operator_report, form, title=_("Escalation reports"), filename="escalation-report.csv"
    )
