"""The directory's other list pages cost a fixed number of queries, however many rows they show."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from partnerdesk.access.permissions import Role
from partnerdesk.accounts.models import User
from partnerdesk.directory.models import Domain, Group, GroupMembership, SignInEvent
from partnerdesk.testing import make_user

pytestmark = pytest.mark.django_db


def grow(world, start: int) -> Group:
    tenant = world.customer_a1
    group, _created = Group.objects.get_or_create(organization=tenant, name="All")
    for i in range(start, start + 8):
        user = make_user(tenant, f"p{i}@contoso.partnerdesk.test", [Role.USER])
        if i % 2:
            User.objects.filter(pk=user.pk).update(deleted_at=timezone.now() - timedelta(days=1))
        Group.objects.create(organization=tenant, name=f"Group {i}")
        GroupMembership.objects.create(group=group, user=user, role="owner" if i % 3 else "member")
        Domain.objects.create(
            organization=tenant, name=f"d{i}.test", status="verified" if i % 2 else "unverified"
        )
        SignInEvent.objects.create(
            organization=tenant, user=user, email=user.email, result="failure", reason="x"
        )
    return group


def _count(client, path: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return len(queries)


def test_directory_pages_do_not_grow_with_rows(web, world):
    client = web("a1.global_admin")
    group = grow(world, 0)
    user = world.user("a1.user")
    GroupMembership.objects.create(group=group, user=user)
    pages = [
        "/admin/groups/",
        f"/admin/groups/{group.pk}/",
        "/admin/domains/",
        "/admin/sign-ins/",
        "/admin/users/deleted/",
        f"/admin/users/{user.pk}/",
    ]
    client.get(pages[0])
    small = {p: _count(client, p) for p in pages}
    grow(world, 100)
    Group.objects.bulk_create([Group(organization=world.customer_a1, name=f"Extra {i}") for i in range(5)])
    large = {p: _count(client, p) for p in pages}

    assert large == small
    assert max(small.values()) <= 12
