"""The admin's "Services shown" preference holds on the admin center's home page: a post or an issue
about a service the admin hid is not counted by its card, nor listed where the card leads, nor in
the unread badge; the counts stay one bounded query each."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from partnerdesk.access.principal import principal_for
from partnerdesk.health import preferences
from partnerdesk.health.testing import Catalog, published_posts
from partnerdesk.health.tests.test_list_filters import issue
from partnerdesk.testing import World

pytestmark = pytest.mark.django_db

ADMIN = "a1.global_admin"
CARD = re.compile(r'<a class="card[^"]*" href="([^"]+)" data-testid="card-([a-z-]+)" data-count="(\d+)">')
BADGE = re.compile(r'data-testid="unread-badge" aria-label="[^"]*">(\d+)</span>')


def cards(client: Any) -> dict[str, tuple[int, str]]:
    html = client.get("/admin/").content.decode()
    return {key: (int(count), url.replace("&amp;", "&")) for url, key, count in CARD.findall(html)}


def major_changes(catalog: Catalog, *, extra: int = 0) -> list[Any]:
    """Unread major changes: about Exchange, about SharePoint, about no service (and `extra` more about
    SharePoint)."""
    posts = published_posts(3 + extra, is_major_change=True)
    for post, title in zip(posts, ["About Exchange", "About SharePoint", "About everything"], strict=False):
        post.title = title
        post.save(update_fields=["title"])
    posts[0].services.set([catalog.exchange])
    for post in [posts[1], *posts[3:]]:
        post.services.set([catalog.sharepoint])
    return posts


def show_only(world: World, *shown: Any) -> None:
    preferences.update_preferences(principal_for(world.user(ADMIN)), service_ids=[s.pk for s in shown])


def test_a_post_about_a_hidden_service_is_not_counted(web: Any, world: World, catalog: Catalog) -> None:
    major_changes(catalog)
    client = web(ADMIN)
    assert cards(client)["admin-major-changes"][0] == 3

    show_only(world, catalog.exchange)  # SharePoint hidden
    count, url = cards(client)["admin-major-changes"]
    listed = client.get(url).content.decode()

    assert count == 2
    assert "About Exchange" in listed and "About everything" in listed
    assert "About SharePoint" not in listed
    assert BADGE.search(client.get("/admin/").content.decode()).group(1) == "2"  # type: ignore[union-attr]


def test_an_issue_of_a_hidden_service_is_not_counted(web: Any, world: World, catalog: Catalog) -> None:
    issue(world, catalog, "Mail is slow", publish=True, service=catalog.exchange)
    issue(world, catalog, "Sites are down", publish=True, service=catalog.sharepoint)
    client = web(ADMIN)
    assert cards(client)["admin-incidents"][0] == 2

    show_only(world, catalog.sharepoint)  # Exchange hidden
    count, url = cards(client)["admin-incidents"]
    health = client.get(url).content.decode()

    assert count == 1
    assert "Sites are down" in health and "Mail is slow" not in health


def test_choosing_no_service_shows_all_again(web: Any, world: World, catalog: Catalog) -> None:
    major_changes(catalog)
    show_only(world, catalog.exchange)
    show_only(world)
    assert cards(web(ADMIN))["admin-major-changes"][0] == 3


def test_the_preference_costs_no_query_and_counts_stay_bounded(
    web: Any, world: World, catalog: Catalog
) -> None:
    client = web(ADMIN)
    major_changes(catalog)
    issue(world, catalog, "Mail is slow", publish=True, service=catalog.exchange)
    cards(client)  # warm the session
    with CaptureQueriesContext(connection) as without_preference:
        cards(client)
    show_only(world, catalog.exchange)
    with CaptureQueriesContext(connection) as few:
        shown = cards(client)
    major_changes(catalog, extra=27)
    with CaptureQueriesContext(connection) as many:
        more = cards(client)

    assert len(few.captured_queries) == len(without_preference.captured_queries)
    assert len(many.captured_queries) == len(few.captured_queries)
    assert shown["admin-major-changes"][0] == 2
    assert more["admin-major-changes"][0] == 4  # two more about Exchange and about nothing; none of the 27
