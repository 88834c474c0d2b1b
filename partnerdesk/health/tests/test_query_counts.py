"""Unread counts and lists cost a fixed number of queries, however many tenants, posts and states."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from partnerdesk.access.permissions import OrgKind, Role
from partnerdesk.access.principal import principal_for
from partnerdesk.catalog.models import Feature, Offer
from partnerdesk.health import issues, message_center
from partnerdesk.health.models import MessageViewState
from partnerdesk.health.testing import subscribe
from partnerdesk.tenancy.models import Organization
from partnerdesk.testing import make_user

pytestmark = pytest.mark.django_db

# The exact queries of each API read of a customer admin; each starts with the one query of the token,
# its user, their organization and roles (`access.principal.PrincipalRow`).
# The bounded unread count (a COUNT over a LIMIT-ed subquery); the audience is checked against the
# entitled service ids on the tenant's row.
UNREAD_COUNT_QUERIES = 2
# The counters of the posts and of the reader's marks (the ETag), the page of posts (with the
# caller's view state and their services, one query). The entitled service ids are on the tenant's row.
MESSAGE_LIST_QUERIES = 3
# The page of issues, then their services, prefetched.
ISSUE_LIST_QUERIES = 3
# The entitled services, then their features, prefetched.
SERVICE_LIST_QUERIES = 3


def grow(world, catalog, *, tenants: int, posts: int) -> None:
    """More tenants (entitled, with admins who read things), and more posts of every audience."""
    offer = Offer.objects.get(name="E3 monthly")
    operator = principal_for(world.user("operator.communications_manager"))
    start = Organization.objects.filter(kind=OrgKind.CUSTOMER).count()
    for i in range(start, start + tenants):
        customer = Organization.objects.create(
            kind=OrgKind.CUSTOMER, name=f"Tenant {i}", partner=world.partner_a, initial_domain=f"t{i}.test"
        )
        subscribe(customer, offer)
        make_user(customer, f"admin{i}@t{i}.test", [Role.GLOBAL_ADMIN])
    audiences = [
        message_center.AudienceSpec(type="all"),
        message_center.AudienceSpec(type="services", service_ids=(str(catalog.exchange.pk),)),
        message_center.AudienceSpec(type="partner_customers", partner_id=str(world.partner_a.pk)),
        message_center.AudienceSpec(type="tenants", customer_ids=(str(world.customer_a1.pk),)),
    ]
    for i in range(posts):
        post = message_center.create_message(
            operator,
            title=f"Post {i}",
            body="x",
            category="stay_informed",
            service_ids=[catalog.exchange.pk],
            tags=["new_feature"],
            audience=audiences[i % len(audiences)],
            publish=True,
        )
        message_center.set_view_state(
            principal_for(world.user("a1.message_center_reader")), [post.pk], "mark_read"
        )
        issues.create_issue(
            operator,
            title=f"Issue {i}",
            impact_description="x",
            service_ids=[catalog.exchange.pk],
            first_post="x",
            publish=True,
        )


def count(client, path: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return len(queries)


PAGES = [
    ("a1.global_admin", "/admin/messages/"),
    ("a1.global_admin", "/admin/messages/?unread=1&tag=new_feature&major_change=1&q=Post"),
    ("a1.global_admin", "/admin/health/"),
    ("a1.global_admin", "/admin/"),
    ("a.admin_agent", "/partner/health/"),
    ("operator.communications_manager", "/operator/health/"),
    ("operator.communications_manager", "/operator/messages/"),
]


@pytest.mark.parametrize(("user", "path"), PAGES, ids=[p[1] for p in PAGES])
def test_pages_do_not_grow_with_tenants_or_posts(web, world, catalog, user, path):
    grow(world, catalog, tenants=2, posts=4)
    client = web(user)
    count(client, path)  # warm the session
    small = count(client, path)
    grow(world, catalog, tenants=20, posts=12)
    large = count(client, path)

    assert large == small
    assert small <= BUDGETS.get(path, 16)


# The admin center's home page counts eight things, one bounded query each (portals/views.py).
BUDGETS = {"/admin/": 18}


def test_api_unread_count_and_list_do_not_grow(api, world, catalog):
    client = api("a1.global_admin")
    client.get("/me")
    grow(world, catalog, tenants=2, posts=4)
    paths = ("/messages/unread-count", "/messages", "/health/issues", "/health/services")
    small = {p: _api_count(client, p) for p in paths}
    grow(world, catalog, tenants=30, posts=12)
    large = {p: _api_count(client, p) for p in paths}

    assert large == small
    assert small == {
        "/messages/unread-count": UNREAD_COUNT_QUERIES,
        "/messages": MESSAGE_LIST_QUERIES,
        "/health/issues": ISSUE_LIST_QUERIES,
        "/health/services": SERVICE_LIST_QUERIES,
    }
    assert MessageViewState.objects.count() == 16  # only the one reader's own rows


@pytest.fixture
def busy_api(api, world, catalog):
    """A customer admin's client, with 30 posts (each about a service) and services with features."""
    grow(world, catalog, tenants=3, posts=30)
    for service in (catalog.exchange, catalog.sharepoint, catalog.teams):
        for name in ("Sign-in", "Mail flow", "Search"):
            Feature.objects.create(service=service, group="Core", name=name)
    client = api("a1.global_admin")
    client.get("/me")  # the first use of a token records when it was used
    return client


def test_api_unread_count_queries(busy_api, django_assert_num_queries):
    with django_assert_num_queries(UNREAD_COUNT_QUERIES):
        assert busy_api.get("/messages/unread-count").json_body["unread"] > 0


def test_api_message_list_queries(busy_api, django_assert_num_queries):
    # A process's first call builds the prepared list (on SQLite Django then asks once whether the
    # database has JSON functions): the count is of every call after.
    busy_api.get("/messages?view=all")
    with django_assert_num_queries(MESSAGE_LIST_QUERIES):
        items = busy_api.get("/messages?view=all").json_body["items"]
    assert len(items) == 30 and all(item["services"] for item in items)


def test_api_service_list_queries(busy_api, django_assert_num_queries):
    with django_assert_num_queries(SERVICE_LIST_QUERIES):
        listed = busy_api.get("/health/services").json_body["items"]
    assert len(listed) == 2 and all(len(service["features"]) == 3 for service in listed)


def _api_count(client, path: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return len(queries)


# Publishing a post to every tenant (bench scenario 7): the caller (token, user and roles: one
# query), the MC number (one locking read, its UPDATE), the insert (a new post's links are added, not
# compared), the audit events, the publish UPDATE, the Message center's change counter (its ETags),
# the event (its row: the services' keys are those in hand, ADR 0013) and the response's read - and
# nothing per tenant.
PUBLISH_QUERIES = 14


@pytest.mark.parametrize("tenants", [2, 25])
def test_publishing_to_all_tenants_costs_the_same_whatever_their_number(
    api, world, catalog, tenants, django_assert_num_queries
):
    grow(world, catalog, tenants=tenants, posts=0)
    operator = api("operator.communications_manager")
    body = {"title": "Maintenance", "body": "x", "category": "stay_informed", "audience": {"type": "all"}}
    assert operator.post("/messages", {**body, "publish": True}).status_code == 201  # first number, token

    with django_assert_num_queries(PUBLISH_QUERIES):
        published = operator.post("/messages", {**body, "publish": True})

    assert published.status_code == 201 and published.json_body["status"] == "published"
