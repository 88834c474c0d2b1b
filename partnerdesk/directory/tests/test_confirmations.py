"""Deleting users, groups and domains and ending delegated access ask first, saying what happens;
nothing changes until the confirmation is posted (no JavaScript needed)."""

from __future__ import annotations

from typing import Any

import pytest

from partnerdesk.accounts.models import User
from partnerdesk.directory.models import Domain, Group, GroupMembership
from partnerdesk.tenancy.models import DelegatedRelationship
from partnerdesk.testing import World, database_state

pytestmark = pytest.mark.django_db


def _user(world: World) -> tuple[str, str, Any]:
    person = world.user("a1.user")
    return (
        f"/admin/users/{person.pk}/delete/",
        "can no longer sign in",
        lambda: User.objects.get(pk=person.pk).deleted_at is not None,
    )


def _group(world: World) -> tuple[str, str, Any]:
    group = Group.objects.create(organization=world.customer_a1, name="Sales")
    GroupMembership.objects.create(group=group, user=world.user("a1.user"))
    return (
        f"/admin/groups/{group.pk}/delete/",
        "its 1 membership are deleted",
        lambda: not Group.objects.exists(),
    )


def _domain(world: World) -> tuple[str, str, Any]:
    domain = Domain.objects.create(organization=world.customer_a1, name="contoso.com")
    return (
        f"/admin/domains/{domain.pk}/remove/",
        "verifying it again in DNS",
        lambda: not Domain.objects.filter(pk=domain.pk).exists(),
    )


def _ended(world: World) -> Any:
    assert world.relationship_a1 is not None
    pk = world.relationship_a1.pk
    return lambda: DelegatedRelationship.objects.get(pk=pk).status == DelegatedRelationship.Status.ENDED


def _relationship_by_customer(world: World) -> tuple[str, str, Any]:
    assert world.relationship_a1 is not None
    return (
        f"/admin/relationships/{world.relationship_a1.pk}/end/",
        "Fabrikam loses its delegated access (",
        _ended(world),
    )


def _relationship_by_partner(world: World) -> tuple[str, str, Any]:
    assert world.relationship_a1 is not None
    return (
        f"/partner/relationships/{world.relationship_a1.pk}/end/",
        "Your agents lose their delegated access",
        _ended(world),
    )


@pytest.mark.parametrize(
    ("who", "make"),
    [
        ("a1.global_admin", _user),
        ("a1.global_admin", _group),
        ("a1.global_admin", _domain),
        ("a1.global_admin", _relationship_by_customer),
        ("a.admin_agent", _relationship_by_partner),
    ],
)
def test_destructive_actions_confirm_first(web: Any, world: World, who: str, make: Any) -> None:
    url, consequence, done = make(world)
    client = web(who)
    before = database_state()

    asked = client.post(url, {"note": "kept"})

    page = asked.content.decode()
    assert asked.status_code == 200 and consequence in page
    assert 'name="confirmed" value="1"' in page and 'name="note" value="kept"' in page
    assert database_state() == before and not done()
    assert client.post(url, {"confirmed": "1"}).status_code == 302
    assert done()


def test_the_confirmation_is_refused_to_those_who_may_not_act(web: Any, world: World) -> None:
    url, _consequence, done = _user(world)
    before = database_state()
    assert web("a1.message_center_reader").post(url, {"confirmed": "1"}).status_code == 403
    assert web("a2.global_admin").post(url, {"confirmed": "1"}).status_code == 404
    assert database_state() == before and not done()
