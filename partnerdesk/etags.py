"""ETag and If-Match for every resource that can be changed (platform layer: imports no domain app).

A changeable model inherits `Versioned`: its `version` goes up on every save, whichever page,
operation or job saves it, so a reader's ETag stops matching as soon as anybody changes the row.
An edge that changes a resource runs the service inside `guarded(expected, *rows)`: the change's
transaction opens with the rows locked (`SELECT … FOR UPDATE`; SQLite takes its write lock at
BEGIN) and compared with the caller's ETag, and the service's own `atomic` joins that transaction.
Of two writers holding the same ETag one wins and the other gets `PreconditionFailed` (412
`precondition_failed`), with nothing changed. Without an ETag the change proceeds as it always did.

The API reads the ETag from `If-Match` and answers it in `ETag`; a web form carries it in the
hidden field `etag` and a stale form is re-rendered with the message and `STALE_FORM_STATUS`.

Reads that are polled (a list the same for every admin of a tenant that changes rarely) answer an
ETag too, and `304 Not Modified` to an `If-None-Match` that names it, without building the body:
the app computes the tag with `validator(...)` from values much cheaper to read than the answer (a
change counter, the tenant's entitlement version, the query string), and `not_modified` compares.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, ClassVar

from django.db import models, transaction
from django.db.models import F
from django.db.models.expressions import CombinedExpression
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from partnerdesk.errors import DomainError

HEADER = "If-Match"
NONE_MATCH = "If-None-Match"
# A revalidated read is each caller's own (tags differ by user); a browser asks again every time.
REVALIDATE = "private, no-cache"
FORM_FIELD = "etag"
# A stale web form is a conflict with the current state, like the other refusals of a stale change.
STALE_FORM_STATUS = 409
HEADER_DESCRIPTION = (
    "The ETag of the resource as you read it. If someone changed it since, nothing is changed and "
    "the answer is 412 precondition_failed; without the header the change proceeds."
)


class PreconditionFailed(DomainError):
    """The caller's ETag is not the resource's current one: someone else changed it in between."""

    status = 412
    code = "precondition_failed"


class Versioned(models.Model):
    """A row whose `version` goes up on every save: the ETag of the resource it is part of.

    A queryset `.update()` of such a row must bump it too: `.update(..., version=next_version())`.
    """

    version = models.PositiveIntegerField(default=1)
    # Fields a save may write without it being a change of the resource (a sign-in's last_login).
    bookkeeping_fields: ClassVar[frozenset[str]] = frozenset()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Save, counting the change in the database (not from a possibly stale copy in memory)."""
        if self._state.adding:
            super().save(*args, **kwargs)
            return
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            if set(update_fields) <= self.bookkeeping_fields:
                super().save(*args, **kwargs)
                return
            kwargs["update_fields"] = {*update_fields, "version"}
        self.version = next_version()
        super().save(*args, **kwargs)
        self.refresh_from_db(fields=["version"])

    @property
    def etag(self) -> str:
        """The ETag of this row alone (for a form's hidden field or the `ETag` header)."""
        return etag_of(self)


def next_version() -> CombinedExpression:
    """The expression that counts one more change, for `.update()` calls on a `Versioned` row."""
    return F("version") + 1


def etag_of(*rows: Versioned | None) -> str:
    """The strong ETag of a resource made of these rows (a row not saved yet counts as version 0)."""
    versions = ".".join(str(0 if row is None or row._state.adding else row.version) for row in rows)
    return f'"{versions}"'


def matches(current: str, expected: str) -> bool:
    """Whether an `If-Match` value (`*`, or a list of ETags, weak ones accepted) names `current`."""
    candidates = [candidate.strip() for candidate in expected.split(",")]
    return any(candidate == "*" or candidate.removeprefix("W/") == current for candidate in candidates)


def if_match(request: HttpRequest) -> str | None:
    """The ETag an API caller sent in `If-Match`, or None: then the change is unconditional."""
    return request.headers.get(HEADER) or None


def posted(request: HttpRequest) -> str | None:
    """The ETag a web form carried in its hidden field, or None (a form from before the field)."""
    return request.POST.get(FORM_FIELD) or None


def _locked(row: Versioned | None) -> Versioned | None:
    """The row as it is now, locked until the transaction ends (None: it does not exist yet)."""
    if row is None or row.pk is None:
        return None
    return type(row)._base_manager.select_for_update().only("version").filter(pk=row.pk).first()


def check(expected: str | None, *locked: Versioned | None) -> None:
    """Refuse a stale ETag, comparing with rows this transaction has already locked."""
    if expected is not None and not matches(etag_of(*locked), expected):
        raise PreconditionFailed(
            _("Someone else changed this since you opened it; review it and submit again.")
        )


@contextmanager
def guarded(expected: str | None, *rows: Versioned | None) -> Iterator[None]:
    """Open the change's transaction with `rows` locked and compared with `expected`.

    The service that runs inside joins this transaction, so the comparison holds until it commits:
    a second writer waits on the lock, then finds the new version.
    """
    with transaction.atomic():
        if expected is not None:
            check(expected, *(_locked(row) for row in rows))
        yield


def page_status(error: DomainError, otherwise: int) -> int:
    """The status of a page re-rendered for `error`: 409 for a stale form, `otherwise` for the rest."""
    return STALE_FORM_STATUS if isinstance(error, PreconditionFailed) else otherwise


def tag(response: HttpResponse, *rows: Versioned | None) -> None:
    """Answer the resource's current ETag, for the caller's next `If-Match`."""
    response["ETag"] = etag_of(*rows)


def validator(*parts: object) -> str:
    """The strong ETag of a read answer that depends on exactly these values (hashed: it names no row)."""
    digest = hashlib.blake2b("\x1f".join(map(str, parts)).encode(), digest_size=16).hexdigest()
    return f'"{digest}"'


def not_modified(request: HttpRequest, current: str) -> HttpResponse | None:
    """`304 Not Modified` when the caller's `If-None-Match` names `current` (weak comparison), else None."""
    sent = request.headers.get(NONE_MATCH)
    if not sent or not matches(current, sent):
        return None
    response = HttpResponse(status=304)
    revalidated(response, current)
    return response


def revalidated(response: HttpResponse, current: str) -> None:
    """Answer a read's ETag, for the caller's next `If-None-Match`."""
    response["ETag"] = current
    response["Cache-Control"] = REVALIDATE


def document(operation: dict[str, Any]) -> None:
    """Write `If-Match` and its 412 into an OpenAPI operation that changes or deletes a resource."""
    operation.setdefault("parameters", []).append(
        {
            "in": "header",
            "name": HEADER,
            "required": False,
            "description": HEADER_DESCRIPTION,
            "schema": {"type": "string", "minLength": 1},
        }
    )
    error = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}}}
    operation.setdefault("responses", {}).setdefault(412, {"description": "precondition_failed", **error})
