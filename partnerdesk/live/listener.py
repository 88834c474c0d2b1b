"""How a waiting stream learns that something it may show happened (ADR 0017).

PostgreSQL: a trigger on the events log (`live/migrations/0002`) sends `NOTIFY partnerdesk_live` with
the event's id and audience columns for every row inserted; the notification is delivered when the
change's transaction commits, never before. One listener thread per process holds the only extra
connection (`LISTEN`), and wakes the streams of this process whose organization the notification
names. A woken stream runs its one query through the choke point, which alone decides what it
sends: the notification's columns only spare streams that certainly have nothing to read. A
presence ping notifies too (`announce`), naming the organization whose agents see it.

SQLite has no notifications: streams poll (`POLL_SECONDS`). So does every stream on PostgreSQL while
the listener is down (reconnecting). A process with no open stream for `HEARTBEAT_SECONDS` closes
the listener's connection; the next stream opens it again.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from django.db import connection, connections

from partnerdesk.access.principal import Principal

log = logging.getLogger(__name__)

CHANNEL = "partnerdesk_live"
POLL_SECONDS = 1.0
HEARTBEAT_SECONDS = 5.0
CHECK_SECONDS = 1.0  # how often the listener looks up from its socket (to stop, or to close when idle)

Interest = Callable[[dict[str, Any]], bool]


def notifies() -> bool:
    """Whether the database delivers notifications (PostgreSQL), so streams wait instead of polling."""
    return connection.vendor == "postgresql"


def interest_of(principal: Principal) -> Interest:
    """Which notifications may concern the principal's organization (the same columns as `seen_by`)."""
    organization = str(principal.organization.pk)
    kind = principal.kind

    def concerns(payload: dict[str, Any]) -> bool:
        if payload.get("org") == organization:
            return True
        if kind == "operator":
            return bool(payload.get("o"))
        if kind == "partner":
            return payload.get("p") == organization
        return payload.get("c") == organization and not payload.get("i")

    return concerns


def announce(organization_id: Any) -> None:
    """Wake the streams of `organization_id` when the current transaction commits (a presence ping)."""
    if notifies():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_notify(%s, %s)", [CHANNEL, json.dumps({"org": str(organization_id)})])


class Waiter:
    """One stream waiting for its next tick."""

    def __init__(self, interest: Interest) -> None:
        self.interest = interest
        self.woken = threading.Event()

    def wait(self, timeout: float) -> None:
        """Return when a notification may concern this stream, or after `timeout` seconds."""
        self.woken.wait(timeout)
        self.woken.clear()


class Listener:
    """The process's one `LISTEN` connection, and the streams of this process waiting on it."""

    def __init__(self) -> None:
        self._waiters: set[Waiter] = set()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._idle_since = time.monotonic()
        self._ended = threading.Condition(self._lock)
        self.listening = threading.Event()
        # Set while `end_streams` asks every stream of the process to end now.
        self.closing = threading.Event()

    def register(self, interest: Interest) -> Waiter:
        waiter = Waiter(interest)
        with self._lock:
            self._waiters.add(waiter)
            if notifies() and (self._thread is None or not self._thread.is_alive()):
                self._thread = threading.Thread(target=self._run, name="live-listener", daemon=True)
                self._thread.start()
        return waiter

    def unregister(self, waiter: Waiter) -> None:
        with self._lock:
            self._waiters.discard(waiter)
            if not self._waiters:
                self._idle_since = time.monotonic()
                self._ended.notify_all()

    def end_streams(self, timeout: float = 5.0) -> bool:
        """Ask every open stream of this process to end now, and wait until their answers are closed.

        For a test's teardown (the live server's threads must not touch the database of the next
        test) and a graceful shutdown. Returns whether all ended within `timeout`.
        """
        self.closing.set()
        try:
            with self._lock:
                for waiter in self._waiters:
                    waiter.woken.set()
                return self._ended.wait_for(lambda: not self._waiters, timeout)
        finally:
            self.closing.clear()

    def stop(self) -> None:
        """Close the listener's connection and end its thread (tests, before dropping their database)."""
        self._stopping.set()
        thread = self._thread
        if thread is not None:
            thread.join(timeout=2 * CHECK_SECONDS + 1)
        self._stopping.clear()

    def _done(self) -> bool:
        """Whether the thread should end: asked to, or no stream has waited for a heartbeat."""
        with self._lock:
            idle = not self._waiters and time.monotonic() - self._idle_since > HEARTBEAT_SECONDS
            if self._stopping.is_set() or idle:
                self._thread = None
                self.listening.clear()
                return True
            return False

    def timeout(self) -> float:
        """How long a stream waits between ticks when nothing wakes it."""
        return HEARTBEAT_SECONDS if notifies() and self.listening.is_set() else POLL_SECONDS

    def deliver(self, payload: dict[str, Any]) -> None:
        with self._lock:
            waiters = list(self._waiters)
        for waiter in waiters:
            if waiter.interest(payload):
                waiter.woken.set()

    def _run(self) -> None:
        while True:
            try:
                self._listen()
                return
            except Exception:  # the connection dropped: streams poll until it is back
                log.warning("live listener lost its connection; reconnecting", exc_info=True)
            self.listening.clear()
            if self._done():
                return
            time.sleep(1)

    def _listen(self) -> None:
        database = connections["default"]
        raw = database.get_new_connection(database.get_connection_params())
        try:
            raw.autocommit = True
            raw.execute(f"LISTEN {CHANNEL}")
            self.listening.set()
            while not self._done():
                for notification in raw.notifies(timeout=CHECK_SECONDS):
                    try:
                        payload = json.loads(notification.payload)
                    except ValueError:
                        continue
                    self.deliver(payload)
        finally:
            raw.close()


LISTENER = Listener()
