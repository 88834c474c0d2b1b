"""Query expressions shared by the apps."""

from __future__ import annotations

import dataclasses
import json
import threading
from collections.abc import Callable, Hashable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple, TypeVar

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import (
    Aggregate,
    DateTimeField,
    Exists,
    Expression,
    Field,
    Func,
    JSONField,
    Q,
    QuerySet,
    Subquery,
    UUIDField,
)
from django.db.models.query import get_related_populators  # type: ignore[attr-defined]
from django.utils import timezone

R = TypeVar("R", bound=QuerySet[Any])

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


# --- Queries built once per process ---------------------------------------------------------------
#
# Building a queryset and compiling it to SQL costs more Python than running it on a hot list: the
# unread badge spent ~4 ms building and compiling a query PostgreSQL answers in well under one, and a
# queue page ~1 ms (bench/RESULTS.md). A `Prepared` query is built and compiled once per process for
# each of its shapes (the principal's kind and permissions, which filters are set, the page size);
# a request binds only its values (ids, the cursor, the time) into that SQL and reads rows.


class Slot(Expression):
    """A value a prepared query leaves open in its SQL, bound by `name` on each request."""

    def __init__(self, name: str, output_field: Field[Any, Any]) -> None:
        super().__init__(output_field=output_field)
        self.name = name

    def __repr__(self) -> str:
        return f"Slot({self.name!r})"

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        return "%s", [self]

    def bind(self, value: Any, connection: Any) -> Any:
        return self.output_field.get_db_prep_value(value, connection, prepared=False)


class SlotList(Slot):
    """A list of values a prepared query leaves open (`field__in=SlotList(...)`), of any length."""

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        if connection.vendor == "postgresql":
            return f"SELECT unnest(%s::{self.output_field.db_type(connection)}[])", [self]
        return "SELECT value FROM json_each(%s)", [self]

    def bind(self, value: Any, connection: Any) -> Any:
        values = [super(SlotList, self).bind(item, connection) for item in value]
        if connection.vendor == "postgresql":
            return values
        return json.dumps([str(item) for item in values])


_building: ContextVar[bool] = ContextVar("building", default=False)

NOW = "now"


def now() -> Any:
    """The current time, for a condition a prepared query may hold: there, a slot bound per request.

    A scoping rule that compares with the time asks this instead of `timezone.now()`, or the SQL
    compiled once would keep the time of the first request.
    """
    return Slot(NOW, DateTimeField()) if _building.get() else timezone.now()


class StandIn:
    """An organization or user of a stand-in principal: its ids are slots, its other values plain.

    Reading any other attribute fails: a build that needs it must give it a slot or a shape.
    """

    def __init__(self, **attributes: Any) -> None:
        self.__dict__.update(attributes)

    def __getattr__(self, name: str) -> Any:
        raise AttributeError(f"a prepared query read {name!r} of the principal: give it a slot or a shape")


def stand_in(principal: Any) -> tuple[Hashable, Any, dict[str, Any]]:
    """The shape of `principal`, a stand-in for it whose ids are slots, and the values they bind.

    The shape is what a scoping rule may branch on (the kind of organization, the roles, permissions
    and scopes held, being an app, acting on behalf, having a partner); the ids are what it compares
    with. The principal's other values stay as they are.
    """
    organization, user = principal.organization, principal.user
    principal = getattr(principal, "_wrapped", principal)  # the middleware's lazy principal, resolved
    values: dict[str, Any] = {"organization_id": organization.pk, "user_id": user.pk}
    uuid_field: UUIDField[Any, Any] = UUIDField()
    organization_id = Slot("organization_id", uuid_field)
    partner_id = None
    if organization.partner_id is not None:
        partner_id, values["partner_id"] = Slot("partner_id", uuid_field), organization.partner_id
    stand_in_organization = StandIn(
        pk=organization_id,
        id=organization_id,
        kind=organization.kind,
        partner_id=partner_id,
        entitled_service_ids=SlotList("entitled_service_ids", uuid_field),
    )
    values["entitled_service_ids"] = list(organization.entitled_service_ids)
    home = stand_in_organization
    if principal.is_delegated:
        home = StandIn(pk=Slot("home_organization_id", uuid_field), kind=principal.home_organization.kind)
        values["home_organization_id"] = principal.home_organization.pk
    home.__dict__["is_suspended"] = principal.home_organization.is_suspended
    shape = (
        organization.kind,
        principal.roles,
        principal.home_roles,
        principal.granted,
        principal.scopes,
        principal.app is not None,
        principal.home_organization.is_suspended,
        principal.is_delegated,
        partner_id is not None,
    )
    stand_in_user = StandIn(pk=Slot("user_id", uuid_field), id=Slot("user_id", uuid_field))
    replaced = dataclasses.replace(
        principal, user=stand_in_user, organization=stand_in_organization, home_organization=home
    )
    return shape, replaced, values


@dataclass(frozen=True)
class _Compiled:
    alias: str
    sql: str
    params: tuple[Any, ...]
    names: tuple[str, ...]
    converters: dict[int, tuple[list[Any], Any]]


class Prepared:
    """A `.values()` query of what a principal sees, compiled once per process for each shape.

    `build(principal, *shape)` returns the queryset of one shape, given a stand-in principal whose ids
    are `Slot`s (`stand_in`) and with slots of its own where a request's values go (a cursor's values,
    `now()`); `rows(principal, *shape, values=...)` runs that SQL with the principal's ids and
    `values` bound, and answers what `.values()` would, converted as Django converts them.
    """

    MAX_SHAPES = 512

    def __init__(self, build: Callable[..., QuerySet[Any]]) -> None:
        self._build = build
        self._compiled: dict[Hashable, _Compiled] = {}

    def _compiled_for(self, principal: Any, shape: tuple[Hashable, ...]) -> tuple[_Compiled, dict[str, Any]]:
        principal_shape, stand_in_principal, values = stand_in(principal)
        key = (principal_shape, *shape)
        compiled = self._compiled.get(key)
        if compiled is None:
            token = _building.set(True)
            try:
                queryset = self._build(stand_in_principal, *shape)
            finally:
                _building.reset(token)
            compiled = _compile(queryset)
            if len(self._compiled) < self.MAX_SHAPES:
                self._compiled[key] = compiled
        return compiled, values

    def rows(
        self, principal: Any, *shape: Hashable, values: dict[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        """The rows the query of `shape` answers for `principal` with `values` bound."""
        compiled, bound = self._compiled_for(principal, shape)
        connection = connections[compiled.alias]
        converted = []
        for raw in _execute(compiled, {**bound, **(values or {})}, compiled.sql):
            row = list(raw)
            for position, (converters, expression) in compiled.converters.items():
                value = row[position]
                for converter in converters:
                    value = converter(value, expression, connection)
                row[position] = value
            converted.append(dict(zip(compiled.names, row, strict=True)))
        return converted

    def bounded_count(
        self, principal: Any, *shape: Hashable, values: dict[str, Any] | None = None
    ) -> BoundedCount:
        """`bounded_count` of the query of `shape`: one COUNT around its SQL, which `build` ends with
        `[: SHOWN_AT_MOST + 1]`."""
        compiled, bound = self._compiled_for(principal, shape)
        sql = f"SELECT COUNT(*) FROM ({compiled.sql}) counted"  # noqa: S608 (Django compiled it; values are bound)
        answered = _execute(compiled, {**bound, **(values or {})}, sql) if compiled.sql else [(0,)]
        counted = int(answered[0][0])
        return BoundedCount(number=min(counted, SHOWN_AT_MOST), more=counted > SHOWN_AT_MOST)


def _compile(queryset: QuerySet[Any]) -> _Compiled:
    query = queryset.query
    compiler = query.get_compiler(using=queryset.db)
    try:
        sql, params = compiler.as_sql()
    except EmptyResultSet:  # `.none()`, or a condition that can match nothing: no query at all
        return _Compiled(alias=queryset.db, sql="", params=(), names=(), converters={})
    fields = [selected[0] for selected in compiler.select[: compiler.col_count]]
    return _Compiled(
        alias=queryset.db,
        sql=sql,
        params=tuple(params),
        # The columns in the order `.values()` named them (Django 5.2 selects them so).
        names=tuple(query.selected)
        if query.selected
        else (*query.extra_select, *query.values_select, *query.annotation_select),
        converters=compiler.get_converters(fields),
    )


def _execute(compiled: _Compiled, values: dict[str, Any], sql: str) -> list[tuple[Any, ...]]:
    if not compiled.sql:
        return []
    connection = connections[compiled.alias]
    values = {NOW: timezone.now(), **values}
    bound = [p.bind(values[p.name], connection) if isinstance(p, Slot) else p for p in compiled.params]
    with connection.cursor() as cursor:
        cursor.execute(sql, bound)
        return cursor.fetchall()


class PreparedFirst:
    """The first model instance of a queryset (its `select_related` and annotations too), whose SQL is
    compiled once per thread for each shape: for a look-up every request makes, such as the
    credential behind it (`accounts.services.token_for_bearer`).

    `build(*shape)` returns the queryset with `Slot`s where a call's values go (`now()` included);
    `first(*shape, values=...)` binds them, runs that SQL and builds the instance as Django's
    `ModelIterable` would. Per thread, because a compiler holds its thread's connection.
    """

    MAX_SHAPES = 64

    def __init__(self, build: Callable[..., QuerySet[Any]]) -> None:
        self._build = build
        self._local = threading.local()

    def _compiler(self, shape: tuple[Hashable, ...]) -> tuple[Any, str, tuple[Any, ...]] | None:
        compiled: dict[Hashable, Any] = self._local.__dict__.setdefault("compiled", {})
        if shape in compiled:
            return compiled[shape]
        token = _building.set(True)
        try:
            queryset = self._build(*shape)[:1]
        finally:
            _building.reset(token)
        compiler = queryset.query.get_compiler(using=queryset.db)
        try:
            sql, params = compiler.as_sql()
            entry: tuple[Any, str, tuple[Any, ...]] | None = (compiler, sql, tuple(params))
        except EmptyResultSet:
            entry = None
        if len(compiled) < self.MAX_SHAPES:
            compiled[shape] = entry
        return entry

    def first(self, *shape: Hashable, values: dict[str, Any]) -> Any:
        """The first instance the query of `shape` answers with `values` bound, or None."""
        entry = self._compiler(shape)
        if entry is None:
            return None
        compiler, sql, params = entry
        connection = compiler.connection
        values = {NOW: timezone.now(), **values}
        bound = [p.bind(values[p.name], connection) if isinstance(p, Slot) else p for p in params]
        with connection.cursor() as cursor:
            cursor.execute(sql, bound)
            fetched = cursor.fetchall()
        if not fetched:
            return None
        select, klass_info = compiler.select, compiler.klass_info
        start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
        init_list = [column[0].target.attname for column in select[start:end]]
        row = next(iter(compiler.results_iter(results=[fetched])))
        instance = klass_info["model"].from_db(compiler.using, init_list, row[start:end])
        for populator in get_related_populators(klass_info, select, compiler.using):
            populator.populate(row, instance)
        for name, position in compiler.annotation_col_map.items():
            setattr(instance, name, row[position])
        return instance


def within(queryset: R, field: str, *, since: datetime | None, until: datetime | None) -> R:
    """Narrow a log to the rows whose `field` is from `since` (included) to `until` (excluded).

    Either end may be left open (None), as the log filters of the pages and the API leave them.
    """
    if since:
        queryset = queryset.filter(**{f"{field}__gte": since})
    if until:
        queryset = queryset.filter(**{f"{field}__lt": until})
    return queryset
