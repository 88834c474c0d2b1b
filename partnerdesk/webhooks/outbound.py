"""Outbound HTTP for webhooks that cannot be turned against the operator's own network (SSRF).

A URL's host is resolved once; every address it resolves to must be public (not loopback, private,
link-local, multicast, reserved or unspecified) unless `WEBHOOK_ALLOWED_NETWORKS` lists a network
containing it, and the request then connects to that checked address (the Host header and the TLS
name stay the URL's), so a second DNS answer (rebinding) cannot slip past. https is required except
towards an allowed network. Redirects are not followed (a 3xx is a failure), the connection has
`WEBHOOK_CONNECT_TIMEOUT` seconds and the whole request `WEBHOOK_TIMEOUT`, and at most
`MAX_RESPONSE_BYTES` of the answer are read.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

from partnerdesk.errors import DomainError

MAX_RESPONSE_BYTES = 64 * 1024
USER_AGENT = "Partnerdesk-Webhooks/1"

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class RefusedUrl(DomainError):
    """A webhook URL the product will not call."""

    status = 422
    code = "webhook_url_refused"


@dataclass(frozen=True)
class Target:
    """A checked URL: where to connect (the resolved address) and what to ask for."""

    scheme: str
    host: str
    port: int
    path: str
    address: Address


@dataclass(frozen=True)
class Answer:
    status: int
    elapsed_ms: int


@lru_cache(maxsize=8)
def _allowed(networks: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(network, strict=False) for network in networks)


def allowed_network(address: Address) -> bool:
    """Whether `WEBHOOK_ALLOWED_NETWORKS` lets webhooks reach `address` though it is not public."""
    return any(address in network for network in _allowed(tuple(settings.WEBHOOK_ALLOWED_NETWORKS)))


def public(address: Address) -> bool:
    """Whether `address` is on the public internet (an IPv4-mapped IPv6 address counts as its IPv4)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def resolve(host: str, port: int) -> list[Address]:
    """Every address `host` resolves to (an IP literal is itself)."""
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        answers = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise RefusedUrl(_("The host %(host)s could not be resolved.") % {"host": host}) from None
    return list(dict.fromkeys(ipaddress.ip_address(str(answer[4][0]).split("%")[0]) for answer in answers))


def check(url: str) -> Target:
    """Parse and resolve `url`; refuse it unless every address it names may be called. Returns the first."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise RefusedUrl(_("Enter a valid URL.")) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise RefusedUrl(_("The URL must start with https:// and name a host."))
    if parts.username or parts.password:
        raise RefusedUrl(_("The URL must not carry a user name or password."))
    host = parts.hostname
    port = port or (443 if parts.scheme == "https" else 80)
    addresses = resolve(host, port)
    for address in addresses:
        if not public(address) and not allowed_network(address):
            raise RefusedUrl(
                _("%(host)s resolves to %(address)s, a private or reserved address webhooks may not call.")
                % {"host": host, "address": address}
            )
    if parts.scheme == "http" and not all(allowed_network(address) for address in addresses):
        raise RefusedUrl(_("Webhook URLs must use https://."))
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return Target(scheme=parts.scheme, host=host, port=port, path=path, address=addresses[0])


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """TLS to a checked address, verifying the certificate against the URL's host name."""

    def __init__(self, target: Target, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout, context=ssl.create_default_context())
        self._target = target

    def connect(self) -> None:
        raw = socket.create_connection(
            (str(self._target.address), self.port), timeout=settings.WEBHOOK_CONNECT_TIMEOUT
        )
        raw.settimeout(self.timeout)
        self.sock = self._context.wrap_socket(raw, server_hostname=self._target.host)  # type: ignore[attr-defined]


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, target: Target, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self._target = target

    def connect(self) -> None:
        self.sock = socket.create_connection(
            (str(self._target.address), self.port), timeout=settings.WEBHOOK_CONNECT_TIMEOUT
        )
        self.sock.settimeout(self.timeout)


def post(url: str, body: bytes, headers: dict[str, str]) -> Answer:
    """POST `body` to `url`, checked again now; raise RefusedUrl or OSError, else the answer's status.

    The answer's body is read (up to the cap) only so that the connection ends cleanly.
    """
    target = check(url)
    started = time.monotonic()
    deadline = started + settings.WEBHOOK_TIMEOUT
    connection_class = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
    connection = connection_class(target, timeout=settings.WEBHOOK_TIMEOUT)
    try:
        connection.request(
            "POST",
            target.path,
            body=body,
            headers={"User-Agent": USER_AGENT, "Content-Type": "application/json", **headers},
        )
        if connection.sock is not None:
            connection.sock.settimeout(max(0.1, deadline - time.monotonic()))
        response = connection.getresponse()
        remaining = MAX_RESPONSE_BYTES
        while remaining > 0:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(
                    _("the answer took longer than %(seconds)ss") % {"seconds": settings.WEBHOOK_TIMEOUT}
                )
            if connection.sock is not None:
                connection.sock.settimeout(left)
            chunk = response.read(min(remaining, 8192))
            if not chunk:
                break
            remaining -= len(chunk)
        return Answer(status=response.status, elapsed_ms=int((time.monotonic() - started) * 1000))
    finally:
        connection.close()
