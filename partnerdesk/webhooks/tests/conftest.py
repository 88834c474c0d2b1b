"""Real HTTP receivers in the test process, and a worker cycle with a clock the test moves."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from standardwebhooks.webhooks import Webhook

from partnerdesk.webhooks import delivery, fanout


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes

    @property
    def message_id(self) -> str:
        return self.headers["webhook-id"]

    @property
    def document(self) -> dict[str, Any]:
        return json.loads(self.body)

    @property
    def type(self) -> str:
        return str(self.document["type"])


@dataclass
class Receiver:
    """An HTTP server on 127.0.0.1 that records every request; it can fail the next N of them."""

    server: ThreadingHTTPServer
    requests: list[Received] = field(default_factory=list)
    fail_next: int = 0
    status: int = 204
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks"

    def processed(self, secret: str | list[str]) -> list[Received]:
        """What a careful receiver keeps: verified (any of the secrets), each webhook-id once, in order."""
        secrets = [secret] if isinstance(secret, str) else secret
        kept: dict[str, Received] = {}
        for request in self.requests:
            if request.headers.get("x-answered") != "2xx":
                continue
            for candidate in secrets:
                Webhook(candidate).verify(request.body, request.headers)  # raises when not signed
                break
            kept.setdefault(request.message_id, request)
        return list(kept.values())

    def types(self, secret: str) -> list[str]:
        return [request.type for request in self.processed(secret)]


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            with receiver.lock:
                failing = receiver.fail_next > 0
                if failing:
                    receiver.fail_next -= 1
                headers = {key.lower(): value for key, value in self.headers.items()}
                headers["x-answered"] = "5xx" if failing else "2xx"
                receiver.requests.append(Received(headers=headers, body=body))
            self.send_response(503 if failing else receiver.status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def receivers() -> Iterator[Callable[[], Receiver]]:
    """`receivers()` starts one more receiver; all stop at the end of the test."""
    started: list[Receiver] = []

    def start() -> Receiver:
        server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
        receiver = Receiver(server=server)
        server.RequestHandlerClass = _handler(receiver)
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True).start()
        started.append(receiver)
        return receiver

    yield start
    for receiver in started:
        receiver.server.shutdown()
        receiver.server.server_close()


def worker_cycle(now: datetime | None = None, worker: str = "test-worker") -> int:
    """One pass of the worker's webhook queue (`webhooks.jobs.deliver`), at `now`."""
    while fanout.fan_out(now=now):
        pass
    return delivery.deliver_due(worker, now=now)
