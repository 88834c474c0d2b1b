"""A group's members and a tenant's domains page by cursor: no row skipped or repeated, and a page
costs the same number of queries however many rows there are."""

from __future__ import annotations

import pytest

from partnerdesk.access.permissions import Role
from partnerdesk.directory.models import Domain, Group, GroupMembership
from partnerdesk.testing import make_user, walk_pages

pytestmark = pytest.mark.django_db


def _members(world, group: Group, start: int, count: int) -> None:
    for i in range(start, start + count):
        user = make_user(world.customer_a1, f"m{i}@contoso.partnerdesk.test", [Role.USER])
        GroupMembership.objects.create(group=group, user=user, role="owner" if i % 3 == 0 else "member")


def test_members_page_through_every_row_once(api, world):
    group = Group.objects.create(organization=world.customer_a1, name="All")
    _members(world, group, 0, 7)
    client = api("a1.global_admin")

    walk = walk_pages(client, f"/groups/{group.pk}/members", limit=3)

    assert walk.pages == 3
    names = [(m["role"], m["user_principal_name"]) for m in walk.items]
    assert len(names) == len(set(names)) == 7
    assert [role for role, _name in names] == ["member"] * 4 + ["owner"] * 3

    _members(world, group, 100, 20)
    bigger = walk_pages(client, f"/groups/{group.pk}/members", limit=3)
    assert len({m["user_principal_name"] for m in bigger.items}) == 27
    assert max(bigger.queries) <= max(walk.queries)


def test_domains_page_through_every_row_once_after_the_initial_domain(api, world):
    for i in range(5):
        Domain.objects.create(organization=world.customer_a1, name=f"d{i}.test")
    Domain.objects.create(organization=world.customer_a2, name="other.test")
    client = api("a1.global_admin")

    walk = walk_pages(client, "/domains", limit=2)

    assert walk.pages == 3
    assert [d["name"] for d in walk.items] == [
        "contoso.partnerdesk.test",
        "d0.test",
        "d1.test",
        "d2.test",
        "d3.test",
        "d4.test",
    ]
    assert [d["is_initial"] for d in walk.items].count(True) == 1

    for i in range(5, 30):
        Domain.objects.create(organization=world.customer_a1, name=f"d{i}.test")
    bigger = walk_pages(client, "/domains", limit=2)
    assert len({d["name"] for d in bigger.items}) == 31
    assert max(bigger.queries) <= max(walk.queries)
