"""Each portal's audit log page: the same list, scoped by the principal, with filters and CSV export."""

from __future__ import annotations

import csv
from datetime import datetime, time, timedelta
from typing import Any

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.http import urlencode

from partnerdesk.access.permissions import Permission
from partnerdesk.access.principal import principal_of
from partnerdesk.access.web import requires
from partnerdesk.audit.models import AuditEvent
from partnerdesk.audit.queries import filtered_events
from partnerdesk.pagination import paginate

FILTERS = ["action", "object_type", "actor", "channel", "since", "until"]


def _day_start(raw: str) -> datetime | None:
    day = parse_date(raw) if raw else None
    return timezone.make_aware(datetime.combine(day, time.min)) if day else None


def _events(request: HttpRequest) -> tuple[object, dict[str, str]]:
    values = {name: request.GET.get(name, "").strip() for name in FILTERS}
    until = _day_start(values["until"])
    events = filtered_events(
        principal_of(request),
        action=values["action"],
        object_type=values["object_type"],
        actor=values["actor"],
        channel=values["channel"] if values["channel"] in AuditEvent.Channel.values else "",
        since=_day_start(values["since"]),
        until=until + timedelta(days=1) if until else None,
    ).select_related("actor_organization", "on_behalf_of", "organization")
    return events, values


def audit_log(request: HttpRequest, portal: str) -> HttpResponse | StreamingHttpResponse:
    events: Any
    events, values = _events(request)
    if request.GET.get("format") == "csv":
        return _csv(events)
    page = paginate(events, ordering=["-id"], cursor=request.GET.get("cursor"), limit=50)
    query = {k: v for k, v in values.items() if v}
    return render(
        request,
        "audit/log.html",
        {
            "page": page,
            "filters": values,
            "channels": AuditEvent.Channel.choices,
            "query_string": urlencode(query),
            "csv_query": urlencode({**query, "format": "csv"}),
        },
    )


class _Echo:
    def write(self, value: str) -> str:
        return value


def _csv(events: object) -> StreamingHttpResponse:
    """Stream the filtered log as CSV, in id order chunks, without loading it all into memory."""
    writer = csv.writer(_Echo())
    header = [
        "id",
        "at",
        "actor",
        "actor_organization",
        "role",
        "on_behalf_of",
        "channel",
        "organization",
        "object_type",
        "object_id",
        "action",
        "before",
        "after",
        "reason",
    ]

    def rows():
        yield writer.writerow(header)
        for event in events.order_by("-id").iterator(chunk_size=500):  # type: ignore[attr-defined]
            yield writer.writerow(
                [
                    event.id,
                    event.at.isoformat(),
                    event.actor_email,
                    event.actor_organization.name if event.actor_organization else "",
                    event.role,
                    event.on_behalf_of.name if event.on_behalf_of else "",
                    event.channel,
                    event.organization.name if event.organization else "",
                    event.object_type,
                    event.object_id,
                    event.action,
                    event.before,
                    event.after,
                    event.reason,
                ]
            )

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="audit-log.csv"'
    return response


@requires(Permission.AUDIT_VIEW, portal="operator")
def operator_log(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    return audit_log(request, "operator")


@requires(Permission.AUDIT_VIEW, portal="partner")
def partner_log(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    return audit_log(request, "partner")


@requires(Permission.AUDIT_VIEW, portal="admin")
def admin_log(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    return audit_log(request, "admin")
