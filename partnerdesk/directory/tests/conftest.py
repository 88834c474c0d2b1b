"""A real DNS server (dnslib) on a loopback UDP port, and the resolver settings pointing at it."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest
from dnslib import QTYPE, RCODE, RR, TXT
from dnslib.server import BaseResolver, DNSLogger, DNSServer


class Zone(BaseResolver):  # type: ignore[misc]
    """Authoritative answers from a dict the test fills: name → TXT strings. Unknown names: NXDOMAIN."""

    def __init__(self) -> None:
        self.txt: dict[str, list[str]] = {}
        self.names: set[str] = set()

    def publish(self, name: str, *values: str) -> None:
        self.txt.setdefault(name.rstrip(".").lower(), []).extend(values)

    def add_name(self, name: str) -> None:
        """A name that exists (has other records) but no TXT."""
        self.names.add(name.rstrip(".").lower())

    def resolve(self, request: Any, handler: Any) -> Any:
        reply = request.reply()
        name = str(request.q.qname).rstrip(".").lower()
        if name in self.txt and request.q.qtype == QTYPE.TXT:
            for value in self.txt[name]:
                reply.add_answer(RR(request.q.qname, QTYPE.TXT, rdata=TXT(value), ttl=60))
        elif name not in self.txt and name not in self.names:
            reply.header.rcode = RCODE.NXDOMAIN
        return reply


def _free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def dns_server(settings: Any) -> Iterator[Zone]:
    zone = Zone()
    port = _free_udp_port()
    server = DNSServer(
        zone, address="127.0.0.1", port=port, logger=DNSLogger(log="-request,-reply,-truncated")
    )
    server.start_thread()
    settings.DNS_RESOLVER_NAMESERVERS = ["127.0.0.1"]
    settings.DNS_RESOLVER_PORT = port
    settings.DNS_RESOLVER_TIMEOUT = 2
    try:
        yield zone
    finally:
        server.stop()
        server.server.server_close()
