"""An issue's timeline and the customers an issue or a post affects page by cursor: no row skipped
or repeated, and a page costs the same number of queries however many rows there are."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from partnerdesk.access.permissions import OrgKind
from partnerdesk.health.models import HealthIssuePost
from partnerdesk.health.testing import post_exchange_incident, subscribe
from partnerdesk.subscriptions.models import Subscription
from partnerdesk.tenancy.models import Organization
from partnerdesk.testing import walk_pages

pytestmark = pytest.mark.django_db


def _posts(issue_id: str, count: int) -> None:
    # Equal times in pairs: the id breaks the tie.
    at = timezone.now() + timedelta(minutes=1)
    HealthIssuePost.objects.bulk_create(
        HealthIssuePost(
            issue_id=issue_id,
            status="service_degradation",
            body=f"Update {i}",
            created_at=at + timedelta(days=i // 2),
        )
        for i in range(count)
    )


def _customers(world, start: int, count: int) -> None:
    offer = Subscription.objects.get(customer=world.customer_a1).offer
    for i in range(start, start + count):
        customer = Organization.objects.create(
            kind=OrgKind.CUSTOMER,
            name=f"Customer {i:03}",
            partner=world.partner_a,
            initial_domain=f"c{i}.partnerdesk.test",
        )
        subscribe(customer, offer)


def test_issue_posts_page_through_every_row_once(api, world, catalog):
    issue_id = post_exchange_incident(api, catalog)["id"]
    _posts(issue_id, 6)
    client = api("a1.global_admin")

    walk = walk_pages(client, f"/health/issues/{issue_id}/posts", limit=3)

    assert walk.pages == 3
    bodies = [p["body"] for p in walk.items]
    assert bodies[0] == "We are investigating."
    assert sorted(bodies[1:]) == [f"Update {i}" for i in range(6)]
    times = [p["created_at"] for p in walk.items]
    assert times == sorted(times)

    _posts(issue_id, 30)
    bigger = walk_pages(client, f"/health/issues/{issue_id}/posts", limit=3)
    assert len({p["id"] for p in bigger.items}) == 37
    assert max(bigger.queries) <= max(walk.queries)


def test_customers_an_issue_affects_page_through_every_row_once(api, world, catalog):
    issue_id = post_exchange_incident(api, catalog)["id"]
    _customers(world, 0, 5)
    client = api("a.admin_agent")

    walk = walk_pages(client, f"/health/issues/{issue_id}/affected-customers", limit=2)

    assert walk.pages == 3
    assert [c["name"] for c in walk.items] == ["Contoso", *(f"Customer {i:03}" for i in range(5))]

    _customers(world, 5, 20)
    bigger = walk_pages(client, f"/health/issues/{issue_id}/affected-customers", limit=2)
    assert len({c["id"] for c in bigger.items}) == 26
    assert max(bigger.queries) <= max(walk.queries)


def test_customers_a_post_reaches_page_through_every_row_once(api, world, catalog):
    body = {
        "title": "Retiring basic authentication",
        "body": "We will retire basic auth.",
        "category": "plan_for_change",
        "services": [str(catalog.exchange.pk)],
        "audience": {"type": "partner_customers", "partner_id": str(world.partner_a.pk)},
        "publish": True,
    }
    post = api("operator.communications_manager").post("/messages", body).json_body
    _customers(world, 0, 4)
    client = api("a.admin_agent")

    walk = walk_pages(client, f"/messages/{post['id']}/affected-customers", limit=2)

    assert walk.pages == 3
    assert [c["name"] for c in walk.items] == ["Contoso", *(f"Customer {i:03}" for i in range(4))]

    _customers(world, 4, 20)
    bigger = walk_pages(client, f"/messages/{post['id']}/affected-customers", limit=2)
    assert len({c["id"] for c in bigger.items}) == 25
    assert max(bigger.queries) <= max(walk.queries)
