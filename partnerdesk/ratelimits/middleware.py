"""Write the sign-in failures a request counted inside a transaction once its answer is made."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from partnerdesk.ratelimits.services import deferred_writes


class RateLimitMiddleware:
    """A refused API call under an Idempotency-Key rolls back what it wrote; its failure must stay."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with deferred_writes():
            return self.get_response(request)
