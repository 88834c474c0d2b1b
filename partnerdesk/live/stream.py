"""Server-Sent Events for live pages: the events log, as the viewer may see it, after a cursor.

    return stream.response(request, principal, Q(object_type="support.supportrequest"))

One mechanism with the webhooks: a stream reads the same `events.Event` rows, narrowed by the same
choke point (`policy.visible(principal, Event)`, the audience columns), never a second change feed.
Broadcast events (health, Message center) are left out: no live page shows them, and one that does
must also ask the object's own rule, as the webhook fan-out does.

Short-lived answers, for ordinary reverse proxies and WSGI threads: a stream lasts at most
`settings.LIVE_STREAM_SECONDS` (25 s), then ends with a `retry:` hint and the browser's EventSource
reconnects with `Last-Event-ID`. Each tick is one query on the log (primary-key range `id > cursor`
with the audience filter), plus one for who is replying on a request's page. Between ticks the
stream waits on the process's listener (PostgreSQL `LISTEN/NOTIFY`) or polls (SQLite), holding no
transaction open (ADR 0017).

Ids are handed out at INSERT and transactions commit in any order (ADR 0013), so each tick re-reads
`LOOKBEHIND` ids behind the newest it sent and skips what it sent already: an event whose
transaction committed late still arrives. What a message carries is only what changed (the event's
name and object); the page fetches the new rows through its own view.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.http import HttpRequest, StreamingHttpResponse

from partnerdesk.access import policy
from partnerdesk.access.principal import Principal
from partnerdesk.events.models import Event
from partnerdesk.live import presence
from partnerdesk.live.listener import LISTENER, Waiter, interest_of

CONTENT_TYPE = "text/event-stream"
RETRY_MILLISECONDS = 1000
LOOKBEHIND = 50
BATCH = 100


def newest() -> int:
    """The newest event id: where a page's stream starts (a page shows the state as of it)."""
    return Event.objects.order_by("-id").values_list("id", flat=True).first() or 0


def page(url: str) -> dict[str, Any]:
    """What a page's template needs to subscribe: the stream's URL and the cursor it was rendered at."""
    return {"url": url, "since": newest()}


def _cursor(value: str | None) -> int | None:
    """An event id a browser sent, or None for anything else (the browser's own value is opaque)."""
    value = (value or "").strip()
    if not (value.isascii() and value.isdigit()) or len(value) > 18:
        return None
    return int(value)


def start_of(request: HttpRequest) -> int | None:
    """Where to resume: the browser's `Last-Event-ID`, else the page's `?since=` (None: from now)."""
    resumed = _cursor(request.headers.get("Last-Event-ID"))
    return resumed if resumed is not None else _cursor(request.GET.get("since"))


def message(*, event: str, data: Any, id: int | None = None) -> str:
    """One SSE message (`id:` first, so the browser's cursor moves with it)."""
    head = f"id: {id}\n" if id is not None else ""
    return f"{head}event: {event}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"


def tick(principal: Principal, events: Q, *, after: int) -> list[tuple[int, str, str, str]]:
    """The events after `after` the principal may see among `events`, oldest first: one query."""
    return list(
        policy.visible(principal, Event)
        .filter(events, id__gt=after, broadcast=False)
        .order_by("id")
        .values_list("id", "name", "object_type", "object_id")[:BATCH]
    )


def response(
    request: HttpRequest,
    principal: Principal,
    events: Q,
    *,
    presence_on: models.Model | None = None,
) -> StreamingHttpResponse:
    """Stream `events` as the principal may see them, and who else is replying on `presence_on`.

    `?once=1` (or `LIVE_STREAM_SECONDS = 0`) answers one tick and ends: for scripts and tests.
    """
    seconds = 0.0 if request.GET.get("once") == "1" else float(settings.LIVE_STREAM_SECONDS)
    waiter = LISTENER.register(interest_of(principal))
    answer = EventStream(_stream(principal, events, start_of(request), seconds, presence_on, waiter), waiter)
    answer["Cache-Control"] = "no-cache"
    answer["X-Accel-Buffering"] = "no"  # nginx: pass each message on as it comes
    return answer


class EventStream(StreamingHttpResponse):
    """A stream's answer: its waiter is let go only once the server closed the answer."""

    def __init__(self, messages: Iterator[str], waiter: Waiter) -> None:
        super().__init__(messages, content_type=CONTENT_TYPE)
        self.waiter = waiter

    def close(self) -> None:
        try:
            super().close()  # Django's request_finished: the thread is done with the database
        finally:
            LISTENER.unregister(self.waiter)


def _stream(
    principal: Principal,
    events: Q,
    start: int | None,
    seconds: float,
    presence_on: models.Model | None,
    waiter: Waiter,
) -> Iterator[str]:
    deadline = time.monotonic() + seconds
    yield f"retry: {RETRY_MILLISECONDS}\n\n"
    ceiling = newest()
    floor = ceiling if start is None else start
    cursor, sent = floor, set()
    shown: list[str] | None = None
    while True:
        rows = tick(principal, events, after=max(floor, cursor - LOOKBEHIND))
        drained = len(rows) < BATCH
        for id, name, object_type, object_id in rows:
            if id in sent:
                continue
            sent.add(id)
            cursor = max(cursor, id)
            yield message(
                id=id,
                event="change",
                data={"type": name, "object": {"type": object_type, "id": object_id}},
            )
        if presence_on is not None:
            names = presence.replying(principal, presence_on)
            if names != shown:
                shown = names
                yield message(event="presence", data=names)
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        waiter.wait(min(remaining, LISTENER.timeout()))
        if LISTENER.closing.is_set():
            break
        # A comment line: the only way a WSGI server learns that the browser left (the write
        # fails), so a stream of a page closed mid-way ends within a tick or two, not at its limit.
        yield ":\n\n"
    # Everything this principal may see up to `ceiling` was sent: resume from there, so the next
    # stream does not re-read what it may not see (an id-only message moves the browser's
    # Last-Event-ID without firing an event).
    yield f"id: {max(cursor, ceiling) if drained else cursor}\nretry: {RETRY_MILLISECONDS}\n\n"
