"""Looking up a domain's TXT records: a small interface, and its dnspython implementation.

The nameservers and port come from settings (DNS_RESOLVER_NAMESERVERS, DNS_RESOLVER_PORT), so tests
point it at a real DNS server on a loopback port and production at the resolvers it trusts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import dns.exception
import dns.resolver
from django.conf import settings


@dataclass(frozen=True)
class TxtLookup:
    """What a lookup found: the TXT strings, or why there were none."""

    records: list[str]
    problem: str = ""  # "", "nxdomain", "no_answer", "unreachable"
    detail: str = ""


class TxtResolver(Protocol):
    """Anything that can look up a name's TXT records."""

    def txt(self, name: str) -> TxtLookup: ...


class DnsPythonResolver:
    """Query the configured nameservers directly (no caching, so a just-published record is seen)."""

    def __init__(self, nameservers: list[str], port: int, timeout: float) -> None:
        self.resolver = dns.resolver.Resolver(configure=not nameservers)
        if nameservers:
            self.resolver.nameservers = nameservers
        self.resolver.port = port
        self.resolver.lifetime = timeout
        self.resolver.timeout = timeout

    def txt(self, name: str) -> TxtLookup:
        """Return the TXT strings at `name`, or why there are none (never raises for DNS answers)."""
        try:
            answer = self.resolver.resolve(name, "TXT", search=False)
        except dns.resolver.NXDOMAIN:
            return TxtLookup(records=[], problem="nxdomain")
        except dns.resolver.NoAnswer:
            return TxtLookup(records=[], problem="no_answer")
        except (dns.resolver.NoNameservers, dns.exception.Timeout) as error:
            return TxtLookup(records=[], problem="unreachable", detail=str(error))
        records = [b"".join(rdata.strings).decode("utf-8", "replace") for rdata in answer]
        return TxtLookup(records=records)


def resolver() -> TxtResolver:
    """Return the resolver the settings choose."""
    return DnsPythonResolver(
        nameservers=list(settings.DNS_RESOLVER_NAMESERVERS),
        port=settings.DNS_RESOLVER_PORT,
        timeout=float(settings.DNS_RESOLVER_TIMEOUT),
    )
