"""Unread counts and lists cost a fixed number of queries, however many tenants, posts and states."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from partnerdesk.access.permissions import OrgKind, Role
from partnerdesk.access.principal import principal_for
from partnerdesk.catalog.models import Offer
from partnerdesk.health import services
from partnerdesk.health.models import MessageViewState
from partnerdesk.health.testing import subscribe
from partnerdesk.tenancy.models import Organization
from partnerdesk.testing import make_user

pytestmark = pytest.mark.django_db


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
        services.AudienceSpec(type="all"),
        services.AudienceSpec(type="services", service_ids=(str(catalog.exchange.pk),)),
        services.AudienceSpec(type="partner_customers", partner_id=str(world.partner_a.pk)),
        services.AudienceSpec(type="tenants", customer_ids=(str(world.customer_a1.pk),)),
    ]
    for i in range(posts):
        post = services.create_message(
            operator,
            title=f"Post {i}",
            body="x",
            category="stay_informed",
            service_ids=[catalog.exchange.pk],
            tags=["new_feature"],
            audience=audiences[i % len(audiences)],
            publish=True,
        )
        services.set_view_state(principal_for(world.user("a1.message_center_reader")), [post.pk], "mark_read")
        services.create_issue(
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
    assert small <= 16


def test_api_unread_count_and_list_do_not_grow(api, world, catalog):
    client = api("a1.global_admin")
    client.get("/me")
    grow(world, catalog, tenants=2, posts=4)
    paths = ("/messages/unread-count", "/messages", "/health/issues", "/health/services")
    small = {p: _api_count(client, p) for p in paths}
    grow(world, catalog, tenants=30, posts=12)
    large = {p: _api_count(client, p) for p in paths}

    assert large == small
    # token, roles, then: the count; the page + services prefetch; the page + services; services + features
    assert small == {"/messages/unread-count": 3, "/messages": 4, "/health/issues": 4, "/health/services": 4}
    assert MessageViewState.objects.count() == 16  # only the one reader's own rows


def _api_count(client, path: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return len(queries)
