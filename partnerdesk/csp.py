"""The Content-Security-Policy header on every response (platform layer; imports no domain).

Django 5.2 has no CSP of its own (it arrives in 6.0 as `SECURE_CSP` and
`django.middleware.csp.ContentSecurityPolicyMiddleware`). Partnerdesk's pages carry no inline script,
style or event handler, so one fixed policy needs no nonces and no per-view exceptions: this
middleware writes `settings.SECURE_CSP`, a dict in the shape Django 6.0 reads, so the upgrade swaps
the middleware and keeps the setting.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

HEADER = "Content-Security-Policy"


def policy_header(policy: dict[str, list[str]]) -> str:
    """Write a policy dict (`{"script-src": ["'self'"]}`) as the header's value."""
    return "; ".join(" ".join([directive, *sources]) for directive, sources in policy.items())


class ContentSecurityPolicyMiddleware:
    """Send `settings.SECURE_CSP` with every response that does not set its own policy."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.header = policy_header(settings.SECURE_CSP)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if self.header and HEADER not in response:
            response[HEADER] = self.header
        return response
