"""Each portal's audit log page: the same list, scoped by the principal, with filters and CSV export.

One view for the three portals; `urls.py` mounts it once per portal (`access.web.in_portals`).
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from partnerdesk.access.principal import principal_of
from partnerdesk.audit import sentences
from partnerdesk.audit.models import AuditEvent
from partnerdesk.audit.queries import filtered_events
from partnerdesk.pagination import paginate

FILTERS = ["action", "object_type", "actor", "channel", "since", "until"]


class AuditFilterForm(forms.Form):
    """The log's filters, from the query string; a date that is no date is a form error, not a 500."""

    action = forms.CharField(required=False, max_length=64)
    object_type = forms.CharField(required=False, max_length=64)
    actor = forms.CharField(required=False, max_length=254)
    channel = forms.ChoiceField(required=False, choices=[("", ""), *AuditEvent.Channel.choices])
    since = forms.DateField(label=_("From"), required=False)
    until = forms.DateField(label=_("To"), required=False)


def _day_start(day: date | None) -> datetime | None:
    return timezone.make_aware(datetime.combine(day, time.min)) if day else None


def _events(request: HttpRequest, form: AuditFilterForm) -> Any:
    data = form.cleaned_data if form.is_valid() else {}
    until = _day_start(data.get("until"))
    return filtered_events(
        principal_of(request),
        action=data.get("action", ""),
        object_type=data.get("object_type", ""),
        actor=data.get("actor", ""),
        channel=data.get("channel", ""),
        since=_day_start(data.get("since")),
        until=until + timedelta(days=1) if until else None,
    ).select_related("actor_user", "actor_organization", "on_behalf_of", "organization")


@dataclass(frozen=True)
class Row:
    """One event as the page shows it: the sentence, the labelled changes, the raw record."""

    event: AuditEvent
    sentence: str
    changes: list[sentences.FieldChange]
    raw: str


def _row(event: AuditEvent, known: sentences.Names) -> Row:
    raw = json.dumps({"before": event.before, "after": event.after}, indent=2, ensure_ascii=False)
    return Row(event, sentences.sentence(event), sentences.changes(event, known), raw)


def audit_log(request: HttpRequest, portal: str) -> HttpResponse | StreamingHttpResponse:
    form = AuditFilterForm(request.GET)
    events = _events(request, form)
    values = {name: request.GET.get(name, "").strip() for name in FILTERS}
    if request.GET.get("format") == "csv" and not form.errors:
        return _csv(events)
    page = paginate(events, ordering=["-id"], cursor=request.GET.get("cursor"), limit=50)
    query = {k: v for k, v in values.items() if v}
    known = sentences.names(page.items)  # the rows the page's changes name by id, one query per kind
    return render(
        request,
        "audit/log.html",
        {
            "page": page,
            "rows": [_row(event, known) for event in page.items],
            "form": form,
            "filters": values,
            "channels": AuditEvent.Channel.choices,
            "query_string": urlencode(query),
            "csv_query": urlencode({**query, "format": "csv"}),
        },
        status=400 if form.errors else 200,
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
        "object",
        "summary",
    ]

    def rows():
        yield writer.writerow(header)
        for event in events.order_by("-id").iterator(chunk_size=500):  # type: ignore[attr-defined]
            yield writer.writerow(
                [
                    event.id,
                    event.at.isoformat(),
                    event.actor_email or event.actor_app_name,
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
                    event.object_label,
                    sentences.sentence(event),
                ]
            )

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="audit-log.csv"'
    return response
