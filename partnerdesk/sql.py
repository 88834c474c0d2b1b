"""Query expressions shared by the apps."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, NamedTuple

from django.db.models import Aggregate, Exists, Func, JSONField, Q, QuerySet, Subquery

# A badge or a dashboard card shows "99+" beyond this: counting further would cost O(rows) and show
# nothing more.
SHOWN_AT_MOST = 99


class BoundedCount(NamedTuple):
    """A count as a badge shows it: `number` up to 99, `more` when there are more."""

    number: int
    more: bool

    def __str__(self) -> str:
        return f"{self.number}+" if self.more else str(self.number)


def bounded_count(queryset: QuerySet[Any]) -> BoundedCount:
    """Count the rows of `queryset` up to 99, and say whether there are more.

    One query whatever the number of rows: a COUNT over the subquery LIMIT-ed to 100 rows.
    """
    counted = queryset.order_by()[: SHOWN_AT_MOST + 1].count()
    return BoundedCount(number=min(counted, SHOWN_AT_MOST), more=counted > SHOWN_AT_MOST)


class PerRowExists(Exists):
    """EXISTS answered for each outer row from an index, never by hashing the whole subquery.

    When PostgreSQL expects many outer rows (it ignores the LIMIT of a page when it estimates), it
    evaluates a correlated EXISTS inside an OR by hashing every row of the subquery's table first:
    a page of 50 Message center posts then read all 20,000 rows of each audience table, on every
    request. A subquery with an OFFSET cannot be turned into that hashed form, so each outer row
    probes the index instead: the cost follows the page, not the table (bench/RESULTS.md, 1a and 1b).
    """

    template = "EXISTS(%(subquery)s OFFSET 0)"


class JSONArrayAgg(Aggregate):
    """The values of a column as one JSON array: `jsonb_agg` on PostgreSQL, `json_group_array` on SQLite.

    A JSON column's values stay JSON (an array of arrays), not strings of it. Over no rows PostgreSQL
    answers NULL where SQLite answers `[]`: read it as `value or []`.
    """

    function = "JSONB_AGG"
    output_field = JSONField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        source, *rest = self.get_source_expressions()
        if isinstance(getattr(source, "output_field", None), JSONField):
            # SQLite keeps JSON as text: json() makes each value JSON again inside the array.
            self = self.copy()
            self.set_source_expressions([Func(source, function="JSON"), *rest])
        return super().as_sql(compiler, connection, function="JSON_GROUP_ARRAY", **extra_context)


def json_array_of(queryset: QuerySet[Any], column: str, *, per: str) -> Subquery:
    """A subquery: the `column` values of `queryset`'s rows as one JSON array, for each outer row.

    `per` is the column of `queryset` the caller correlated with the outer row (`OuterRef`); the
    rows are grouped by it, so the subquery answers one row (or none: NULL).
    """
    return Subquery(
        queryset.order_by().values(per).annotate(values=JSONArrayAgg(column)).values("values")[:1],
        output_field=JSONField(),
    )


def keyset_batches(queryset: QuerySet[Any], field: str, *, size: int = 200) -> Iterator[list[Any]]:
    """Yield the rows of `queryset` in batches of `size`, ordered by (`field`, pk), each batch a query.

    A job that handles what is due walks it this way: each batch starts after the last row of the
    one before, so it always advances, even past rows it chose to leave as they were.
    """
    ordered = queryset.order_by(field, "pk")
    batch = list(ordered[:size])
    while batch:
        yield batch
        if len(batch) < size:
            return
        last = batch[-1]
        value = getattr(last, field)
        batch = list(
            ordered.filter(Q(**{f"{field}__gt": value}) | Q(**{field: value, "pk__gt": last.pk}))[:size]
        )
