"""The Message center list reads rows (`.values()`), not model instances: the same answer as the ORM's."""

from __future__ import annotations

import pytest

from partnerdesk.access.principal import principal_for
from partnerdesk.health import api, message_center
from partnerdesk.health.models import MessagePost
from partnerdesk.health.tests.test_revalidation import post
from partnerdesk.pagination import paginate

pytestmark = pytest.mark.django_db


def test_rows_answer_what_the_model_instances_answer(world, catalog):
    for i in range(4):
        post(world, catalog, f"Post {i}", tags=["new_feature", "user_impact"] if i % 2 else [])
    reader = principal_for(world.user("a1.global_admin"))
    first = MessagePost.objects.order_by("number").first()
    message_center.set_view_state(reader, [first.pk], "mark_read")
    message_center.set_view_state(reader, [first.pk], "favorite")
    ordering = ["-last_modified_at", "id"]
    listed = api._messages(reader, prefetch=False)

    instances = paginate(listed, ordering=ordering, cursor=None, limit=3)
    rows = paginate(listed.values(*api.MESSAGE_ROW), ordering=ordering, cursor=None, limit=3)
    refs = api._service_refs_of_posts([m.pk for m in instances.items])

    assert [api._message_row_out(r, refs[r["id"]]) for r in rows.items] == [
        api._message_out(m, reader, refs[m.pk]) for m in instances.items
    ]
    assert rows.next_cursor == instances.next_cursor and rows.next_cursor is not None
    assert any(r["state_read"] for r in rows.items) or first.pk not in [r["id"] for r in rows.items]


def test_the_unread_badge_counts_the_posts_the_orm_finds(world, catalog):
    """The badge's prepared query (built once per shape, ids and the time bound) finds the posts the
    plain queryset finds, for every reader of the tiny world, its own state and "Services shown"."""
    from datetime import timedelta

    from django.utils import timezone

    from partnerdesk.access.permissions import Permission
    from partnerdesk.health import queries

    posts = [post(world, catalog, f"Post {i}") for i in range(3)]
    post(world, catalog, "Privacy", tags=["data_privacy"])
    expired = post(world, catalog, "Expired")
    MessagePost.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    readers = [
        principal_for(user)
        for user in world.users.values()
        if principal_for(user).has(Permission.MESSAGES_VIEW)
    ]
    message_center.set_view_state(principal_for(world.user("a1.global_admin")), [posts[0].pk], "mark_read")
    message_center.set_view_state(principal_for(world.user("a1.global_admin")), [posts[1].pk], "archive")
    assert len(readers) > 3
    for reader in readers:
        for shown_only in (False, True):
            prepared = [row["pk"] for row in queries.UNREAD.rows(reader, shown_only)]
            plain = [row["pk"] for row in queries._unread_posts(reader, shown_only)]
            assert sorted(prepared) == sorted(plain), reader.user.email
            assert expired.pk not in prepared or reader.kind == "operator"  # the operator sees all
    counted = queries.unread_count(principal_for(world.user("a1.global_admin")))
    assert counted == (
        len(list(queries._unread_posts(principal_for(world.user("a1.global_admin")), False))),
        False,
    )


def _columns(row: dict) -> dict:
    return {name: value for name, value in row.items() if name != "service_refs"}


def test_the_prepared_page_is_the_querysets_page_for_every_reader_and_filter(world, catalog):
    """`queries.message_page` (compiled once per shape, its values bound) answers the rows and the
    cursor the plain queryset answers, for each tenant reader and each kind of filter."""
    from datetime import timedelta

    from django.utils import timezone

    from partnerdesk.access import rules
    from partnerdesk.access.permissions import Permission
    from partnerdesk.health import queries

    posts = [
        post(world, catalog, f"Post {i}", tags=["new_feature"] if i % 2 else ["user_impact"])
        for i in range(5)
    ]
    MessagePost.objects.filter(pk=posts[1].pk).update(
        act_by=timezone.localdate() + timedelta(days=3), is_major_change=True
    )
    several = posts[4]
    several.services.set([catalog.teams, catalog.exchange, catalog.sharepoint])  # listed by name
    reader = principal_for(world.user("a1.global_admin"))
    message_center.set_view_state(reader, [posts[0].pk], "mark_read")
    message_center.set_view_state(reader, [posts[2].pk], "archive")
    message_center.set_view_state(reader, [posts[3].pk], "favorite")
    defaults = dict(
        service="", category="", tag="", unread=False, act_by_soon=False, major_change=False,
        view="inbox", search="",
    )  # fmt: skip
    variants = [
        {},
        {"unread": True},
        {"view": "archived"},
        {"view": "favorites"},
        {"view": "all"},
        {"view": "nonsense"},
        {"tag": "new_feature"},
        {"tag": "unknown"},
        {"category": posts[0].category},
        {"act_by_soon": True},
        {"major_change": True},
        {"search": "post"},
        {"search": f" MC{posts[4].number} "},
        {"search": str(posts[4].number)},
        {"search": "9" * 30},
        {"search": "100%_"},
        {"service": "not-a-uuid"},
        {"service": str(catalog.exchange.pk)},
        {"service": str(catalog.teams.pk)},
    ]
    readers = [
        principal_for(user)
        for user in world.users.values()
        if principal_for(user).has(Permission.MESSAGES_VIEW)
        and not rules.on_operator_side(principal_for(user))
    ]
    assert len(readers) > 3
    compared = 0
    for each in readers:
        for variant in variants:
            filters = {**defaults, **variant}
            plain = queries.filter_messages(api._messages(each, prefetch=False), **filters)
            for limit in (2, 50):
                expected = paginate(
                    plain.values(*queries.MESSAGE_ROW),
                    ordering=queries.MESSAGE_ORDERING,
                    cursor=None,
                    limit=limit,
                )
                page = queries.message_page(each, filters, cursor=None, limit=limit)
                refs = api._service_refs_of_posts([row["id"] for row in expected.items])
                assert [queries.service_refs(row) for row in page.items] == [
                    refs[row["id"]] for row in expected.items
                ]
                assert [_columns(row) for row in page.items] == expected.items, (each.user.email, variant)
                assert page.next_cursor == expected.next_cursor
                if page.next_cursor:
                    following = queries.message_page(each, filters, cursor=page.next_cursor, limit=limit)
                    after = paginate(
                        plain.values(*queries.MESSAGE_ROW),
                        ordering=queries.MESSAGE_ORDERING,
                        cursor=page.next_cursor,
                        limit=limit,
                    )
                    assert [_columns(row) for row in following.items] == after.items
                compared += len(page.items)
    assert compared > 0


def test_the_prepared_page_applies_services_shown_as_the_queryset_does(world, catalog):
    """The admin center's page leaves out posts about services the admin chose not to see."""
    from partnerdesk.health import preferences, queries

    for i in range(3):
        post(world, catalog, f"Post {i}")
    other = post(world, catalog, "About Teams")
    other.services.set([catalog.teams])
    user = world.user("a1.global_admin")
    reader = principal_for(user)
    defaults = dict(
        service="", category="", tag="", unread=False, act_by_soon=False, major_change=False,
        view="inbox", search="",
    )  # fmt: skip
    for chosen in ([], [catalog.exchange], [catalog.teams]):
        preferences.update_preferences(reader, service_ids=[service.pk for service in chosen])
        plain = queries.shown_messages(
            queries.filter_messages(api._messages(reader, prefetch=False), **defaults), user.pk
        )
        expected = paginate(
            plain.values(*queries.MESSAGE_ROW), ordering=queries.MESSAGE_ORDERING, cursor=None, limit=50
        )
        page = queries.message_page(reader, defaults, cursor=None, limit=50, shown_only=True)
        assert [_columns(row) for row in page.items] == expected.items, chosen
