"""Read side of the directory: the filtered user list, sign-in log, and licence look-ups."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import CharField, Exists, OuterRef, Q, QuerySet, UUIDField

from partnerdesk.access import policy
from partnerdesk.access.principal import Principal
from partnerdesk.accounts.models import RoleAssignment, User
from partnerdesk.directory.models import GroupMembership, SignInEvent
from partnerdesk.pagination import Page, keyset_slice, paginate_prepared
from partnerdesk.sql import Prepared, Slot, within

USER_ORDERING = ["display_name", "id"]


@dataclass(frozen=True)
class UserFilters:
    """The users list's filters, as given in the query string (empty: not filtered)."""

    q: str = ""
    role: str = ""
    blocked: str = ""  # "", "yes", "no"
    licensed: str = ""  # "", "yes", "no"
    domain: str = ""
    group: str = ""


def licensed_user_ids(customer_id: uuid.UUID) -> Collection[Any] | None:
    """Users holding a licence, from the subscriptions area; None while it does not provide this yet."""
    from partnerdesk.subscriptions import queries as subscriptions

    function = getattr(subscriptions, "licensed_user_ids", None)
    return None if function is None else function(customer_id)


def licences_of(user: User) -> list[Any] | None:
    """The user's licences (shown and linked on the user page), or None while subscriptions lacks it."""
    from partnerdesk.subscriptions import queries as subscriptions

    function = getattr(subscriptions, "licences_of", None)
    return None if function is None else list(function(user))


def users(principal: Principal, filters: UserFilters) -> QuerySet[User]:
    """The tenant's live users matching the filters, ordered for keyset pagination by name.

    Each filter is an indexed condition or an EXISTS on an indexed table, so a page costs the same
    at 100,000 users as at 10 (index user_org_live_name serves the ordering). A filter may be a
    `Slot` (the prepared list, `USER_LIST`): `domain` is then the e-mail's ending, "@" included.
    """
    queryset = policy.visible(principal, User)
    if filters.q:
        queryset = queryset.filter(Q(display_name__icontains=filters.q) | Q(email__icontains=filters.q))
    if filters.role:
        queryset = queryset.filter(
            Exists(RoleAssignment.objects.filter(user=OuterRef("pk"), role=filters.role))
        )
    if filters.blocked in ("yes", "no"):
        queryset = queryset.filter(blocked=filters.blocked == "yes")
    if filters.domain:
        ending = filters.domain if isinstance(filters.domain, Slot) else "@" + filters.domain.lower()
        queryset = queryset.filter(email__iendswith=ending)
    if filters.group:
        group_id: Any = filters.group
        if not isinstance(group_id, Slot):
            try:
                group_id = uuid.UUID(filters.group)
            except ValueError:
                return queryset.none()
        queryset = queryset.filter(
            Exists(GroupMembership.objects.filter(user=OuterRef("pk"), group_id=group_id))
        )
    if filters.licensed in ("yes", "no"):
        licensed = licensed_user_ids(principal.organization.pk)
        if licensed is not None:
            if filters.licensed == "yes":
                queryset = queryset.filter(pk__in=licensed)
            else:
                queryset = queryset.exclude(pk__in=licensed)
    return queryset


# What the users list shows of each user (the API's `UserOut` and the admin center's page), read as
# rows through a query built once per process: the list is paged through 100,000 users.
USER_ROW = (
    "id", "display_name", "job_title", "department", "usage_location", "phone", "email", "blocked",
    "must_change_password", "created_at", "deleted_at",
)  # fmt: skip


SLOTTED = "<slot>"  # a filter given: its value is bound per request


def _user_list(principal: Principal, shape: tuple[Any, ...], after: bool, size: int) -> QuerySet[Any]:
    slotted: dict[str, Any] = {
        name: Slot(name, UUIDField() if name == "group" else CharField()) if value == SLOTTED else value
        for name, value in shape
    }
    rows = users(principal, UserFilters(**slotted)).values(*USER_ROW)
    return keyset_slice(rows, USER_ORDERING, after=after, size=size)


USER_LIST = Prepared(_user_list)


def user_rows(
    principal: Principal, filters: UserFilters, *, cursor: str | None, limit: int | None
) -> Page[dict[str, Any]]:
    """One page of `users` as rows (`USER_ROW`), through the prepared `USER_LIST`."""
    shape: list[tuple[str, str]] = []
    values: dict[str, Any] = {}
    for name in ("q", "role", "blocked", "licensed", "domain", "group"):
        value = getattr(filters, name)
        if name in ("blocked", "licensed"):
            shape.append((name, value if value in ("yes", "no") else ""))
            continue
        if not value:
            shape.append((name, ""))
            continue
        if name == "group":
            try:
                value = uuid.UUID(value)
            except ValueError:
                shape.append((name, "-"))  # not an id: matches nothing
                continue
        values[name] = "@" + value.lower() if name == "domain" else value
        shape.append((name, SLOTTED))
    return paginate_prepared(
        USER_LIST, principal, tuple(shape), ordering=USER_ORDERING, cursor=cursor, limit=limit, values=values
    )


def sign_ins(
    principal: Principal,
    *,
    result: str = "",
    email: str = "",
    since: datetime | None = None,
    until: datetime | None = None,
) -> QuerySet[SignInEvent]:
    """The tenant's sign-in log, newest first by id."""
    events = policy.visible(principal, SignInEvent)
    if result in SignInEvent.Result.values:
        events = events.filter(result=result)
    if email:
        events = events.filter(email__icontains=email)
    return within(events, "at", since=since, until=until)
