"""The unread badge counts at most 100 posts: it shows 99+ beyond 99, whatever the number of posts."""

from __future__ import annotations

import pytest

from partnerdesk.access.principal import principal_for
from partnerdesk.health import message_center, queries
from partnerdesk.health.testing import published_posts

pytestmark = pytest.mark.django_db

READER = "a1.global_admin"


@pytest.mark.parametrize(
    ("posts", "unread", "more"),
    [(0, 0, False), (5, 5, False), (99, 99, False), (100, 99, True), (150, 99, True)],
)
def test_unread_count_shows_at_most_99_and_says_when_there_are_more(api, world, posts, unread, more):
    published_posts(posts)

    assert api(READER).get("/messages/unread-count").json_body == {"unread": unread, "more": more}
    assert queries.unread_count(principal_for(world.user(READER))) == (unread, more)


def test_read_and_archived_posts_do_not_count(api, world):
    posts = published_posts(150)
    reader = principal_for(world.user(READER))
    message_center.set_view_state(reader, [p.pk for p in posts[:55]], "mark_read")
    message_center.set_view_state(reader, [p.pk for p in posts[55:60]], "archive")

    assert queries.unread_count(reader) == (90, False)
    # Only the caller's own state counts.
    other = api("a1.message_center_reader").get("/messages/unread-count").json_body
    assert other == {"unread": 99, "more": True}


def test_unread_count_is_one_query_whatever_the_number_of_posts(world, django_assert_num_queries):
    # One bounded COUNT: the tenant's entitled service ids are on its row.
    published_posts(150)
    reader = principal_for(world.user(READER))
    with django_assert_num_queries(1):
        queries.unread_count(reader)


def test_the_badge_shows_99_plus_beyond_99(web, world):
    admin = web(READER)
    published_posts(5)
    assert '<span class="badge" data-testid="unread-badge" aria-label="5 unread">5</span>' in (
        admin.get("/admin/").content.decode()
    )

    published_posts(145)

    home = admin.get("/admin/").content.decode()
    assert '<span class="badge" data-testid="unread-badge" aria-label="99+ unread">99+</span>' in home
    page = admin.get("/admin/messages/").content.decode()
    assert 'data-testid="unread-count">99+ unread</span>' in page
    assert ">99+</span>" in page  # the navigation badge on the page itself


def test_the_page_shows_the_exact_count_up_to_99(web, world):
    published_posts(99)

    page = web(READER).get("/admin/messages/").content.decode()

    assert 'data-testid="unread-count">99 unread</span>' in page
    assert ">99</span>" in page and "99+" not in page
