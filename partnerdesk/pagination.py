"""Keyset pagination: pages stay as fast at row 1,000,000 as at row 1.

A cursor is the ordering values of the last row shown, opaque to clients (base64 JSON). The
ordering must end in a unique column (the primary key) so no row is skipped or repeated. Every
list of the API answers `paginate(...).answer(out)`: `{"items": [...], "next_cursor": ...}`.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Generic, TypeVar

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext as _

from partnerdesk.errors import DomainError

M = TypeVar("M", bound=models.Model)
T = TypeVar("T")

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


class InvalidCursor(DomainError):
    code = "invalid_cursor"


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None

    def answer(self, out: Callable[[T], Any] | None = None) -> dict[str, Any]:
        """This page as every list of the API answers it (`api.PageOut`), each row through `out`."""
        items = self.items if out is None else [out(row) for row in self.items]
        return {"items": items, "next_cursor": self.next_cursor}


def _encode(values: list[Any]) -> str:
    def plain(value: Any) -> Any:
        if isinstance(value, uuid.UUID):
            return str(value)
        if isinstance(value, datetime | date):
            return value.isoformat()
        return value

    raw = json.dumps([plain(v) for v in values], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str, size: int) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise InvalidCursor(_("The cursor is not valid; start again from the first page.")) from None
    if not isinstance(values, list) or len(values) != size:
        raise InvalidCursor(_("The cursor is not valid; start again from the first page."))
    return values


def _after(ordering: list[str], values: list[Any]) -> Q:
    """Rows strictly after `values` in `ordering`: (a > x) or (a = x and b > y) or ..."""
    condition = Q()
    for position, field in enumerate(ordering):
        name = field.lstrip("-")
        lookup = "lt" if field.startswith("-") else "gt"
        step = Q(**{f"{name}__{lookup}": values[position]})
        for earlier_position in range(position):
            earlier = ordering[earlier_position].lstrip("-")
            step &= Q(**{earlier: values[earlier_position]})
        condition |= step
    return condition


def clamp_limit(limit: int | None) -> int:
    if limit is None:
        return DEFAULT_LIMIT
    if limit < 1 or limit > MAX_LIMIT:
        raise DomainError(
            _("limit must be between 1 and %(max)s.") % {"max": MAX_LIMIT}, code="invalid_limit"
        )
    return limit


def paginate(
    queryset: models.QuerySet[M], *, ordering: list[str], cursor: str | None, limit: int | None
) -> Page[M]:
    """Return one page of `queryset` in `ordering`, starting after `cursor`."""
    size = clamp_limit(limit)
    queryset = queryset.order_by(*ordering)
    if cursor:
        try:
            queryset = queryset.filter(_after(ordering, _decode(cursor, len(ordering))))
        except (ValueError, TypeError):
            raise InvalidCursor(_("The cursor is not valid; start again from the first page.")) from None
    try:
        rows = list(queryset[: size + 1])
    except ValidationError:
        raise InvalidCursor(_("The cursor is not valid; start again from the first page.")) from None
    next_cursor = None
    if len(rows) > size:
        rows = rows[:size]
        last = rows[-1]
        next_cursor = _encode([_value(last, field.lstrip("-")) for field in ordering])
    return Page(items=rows, next_cursor=next_cursor)


def _value(instance: models.Model | dict[str, Any], path: str) -> Any:
    if isinstance(instance, dict):  # a `.values()` row: the ordering fields are among its keys
        return instance[path]
    value: Any = instance
    for part in path.split("__"):
        value = getattr(value, part)
    if isinstance(value, models.Model):
        return value.pk
    return value


def keyset_slice(queryset: models.QuerySet[Any], ordering: list[str], *, after: bool, size: int) -> Any:
    """The end of a prepared list's build (`sql.Prepared`): `ordering`, after the cursor's slots
    (`after_0`, `after_1`, …) when `after`, and one row more than `size` (is there a next page?)."""
    from partnerdesk.sql import Slot

    queryset = queryset.order_by(*ordering)
    if after:
        fields = [queryset.model._meta.get_field(name.lstrip("-")) for name in ordering]
        slots = [Slot(f"after_{position}", field) for position, field in enumerate(fields)]
        queryset = queryset.filter(_after(ordering, slots))
    return queryset[: size + 1]


def paginate_prepared(
    prepared: Any,
    principal: Any,
    *shape: Any,
    ordering: list[str],
    cursor: str | None,
    limit: int | None,
    values: dict[str, Any] | None = None,
) -> Page[Any]:
    """`paginate` for a prepared list (`sql.Prepared`) whose build ends in `keyset_slice`: one page of
    its rows, starting after `cursor`. The build gets `*shape`, then `after` and the page size."""
    size = clamp_limit(limit)
    bound = dict(values or {})
    if cursor:
        for position, value in enumerate(_decode(cursor, len(ordering))):
            bound[f"after_{position}"] = value
    try:
        rows = prepared.rows(principal, *shape, bool(cursor), size, values=bound)
    except (ValidationError, ValueError, TypeError):
        raise InvalidCursor(_("The cursor is not valid; start again from the first page.")) from None
    next_cursor = None
    if len(rows) > size:
        rows = rows[:size]
        next_cursor = _encode([_value(rows[-1], field.lstrip("-")) for field in ordering])
    return Page(items=rows, next_cursor=next_cursor)
