"""The users list at 100,000 users in one tenant: a fixed, small number of queries, served by an index."""

from __future__ import annotations

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from partnerdesk.accounts.models import RoleAssignment, User
from partnerdesk.directory.models import Domain, Group, GroupMembership

pytestmark = pytest.mark.django_db

TENANT_SIZE = 100_000


def grow_tenant(world, size: int, *, start: int = 0) -> None:
    """Bulk-insert `size` users (no password hashing) with a few roles, blocks and group members."""
    tenant = world.customer_a1
    Domain.objects.get_or_create(organization=tenant, name="contoso.com", status=Domain.Status.VERIFIED)
    group, _created = Group.objects.get_or_create(organization=tenant, name="Everyone")
    batch: list[User] = []
    for i in range(start, start + size):
        batch.append(
            User(
                id=uuid.uuid4(),
                email=f"person{i:06}@{'contoso.com' if i % 2 else 'contoso.partnerdesk.test'}",
                display_name=f"Person {i:06}",
                organization_id=tenant.pk,
                password="!",
                blocked=i % 97 == 0,
            )
        )
        if len(batch) == 10_000:
            _flush(batch, group)
            batch = []
    if batch:
        _flush(batch, group)


def _flush(batch: list[User], group: Group) -> None:
    User.objects.bulk_create(batch, batch_size=2_000)
    # Only the admins get a role row: plain users' rows would double the insert time and change nothing.
    RoleAssignment.objects.bulk_create(
        [RoleAssignment(user=u, role="user_admin") for u in batch[::50]], batch_size=2_000
    )
    GroupMembership.objects.bulk_create(
        [GroupMembership(group=group, user=u) for u in batch[::10]], batch_size=2_000
    )


PAGES = [
    "/admin/users/",
    "/admin/users/?q=Person+0009",
    "/admin/users/?role=user_admin",
    "/admin/users/?blocked=yes",
    "/admin/users/?domain=contoso.com",
    "/admin/users/?licensed=no",
]


def _count(client, path: str) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200
    return len(queries), response.content.count(b"<tr>")


def test_the_users_list_costs_the_same_queries_at_100000_users(web, world, monkeypatch):
    # Growing the tenant can take longer than the once-a-minute work of a session (the second-factor
    # policy's re-check, the session's "last seen" write): keep that amortized work out of the counts.
    monkeypatch.setattr("partnerdesk.mfa.middleware.CHECK_SECONDS", 3600)
    monkeypatch.setattr("partnerdesk.accounts.sessions.TOUCH_SECONDS", 3600)
    client = web("a1.global_admin")
    client.get("/admin/users/")  # warm the session
    grow_tenant(world, 1_000)  # every filter matches some rows already
    small = {path: _count(client, path)[0] for path in PAGES}

    grow_tenant(world, TENANT_SIZE, start=1_000)
    large = {path: _count(client, path) for path in PAGES}

    assert {path: queries for path, (queries, _rows) in large.items()} == small
    assert max(small.values()) <= 14
    assert large["/admin/users/"][1] == 51  # header + a full page of 50
    # The next page, by cursor, costs the same too.
    first = client.get("/admin/users/")
    cursor = first.content.decode().split("cursor=")[1].split('"')[0]
    queries, rows = _count(client, f"/admin/users/?cursor={cursor}")
    assert queries == small["/admin/users/"]
    assert rows == 51
    assert User.objects.filter(organization=world.customer_a1).count() > TENANT_SIZE


def test_the_users_page_query_uses_the_tenant_name_index(world):
    if connection.vendor != "sqlite":
        pytest.skip("the plan is checked on SQLite; PostgreSQL chooses by statistics")
    from partnerdesk.access.principal import principal_for
    from partnerdesk.directory import queries

    principal = principal_for(world.user("a1.global_admin"))
    sql, params = (
        queries.users(principal, queries.UserFilters())
        .order_by(*queries.USER_ORDERING)[:51]
        .query.sql_with_params()
    )
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        plan = " ".join(str(row) for row in cursor.fetchall())
    assert "user_org_live_name" in plan or "user_org_name" in plan
    assert "TEMP B-TREE" not in plan  # no sort: the index gives the order
