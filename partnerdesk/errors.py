"""Domain errors: what a service refuses, with a stable machine-readable code.

The edges map them: the API to `{"error": {"code", "message"}}` with `status`, the web to a form
error or an error page. Services never import the web or API layers.
"""

from __future__ import annotations


class DomainError(Exception):
    """A request the rules refuse; nothing was changed."""

    status = 400
    code = "invalid_request"

    def __init__(self, message: str, *, code: str | None = None, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status


class NotFound(DomainError):
    """The object does not exist, or belongs to an organization the principal cannot see."""

    status = 404
    code = "not_found"


class Forbidden(DomainError):
    """The principal can see the object but may not do this to it."""

    status = 403
    code = "forbidden"


class Conflict(DomainError):
    """The request collides with the current state (a duplicate, a stale transition)."""

    status = 409
    code = "conflict"


class RateLimited(DomainError):
    """Too many attempts: refused until `retry_after` seconds have passed (HTTP 429, `Retry-After`)."""

    status = 429
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = max(1, retry_after)
