"""The customer's change requests page: the home page's card opens it on the open ones, exactly
those it counts; `?show=all` shows every request; pages are keyset pages; others see nothing."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from partnerdesk.access.principal import principal_for
from partnerdesk.subscriptions import change_requests
from partnerdesk.subscriptions.models import ChangeRequest, Subscription
from partnerdesk.subscriptions.tests.conftest import Catalog, agent, subscribe
from partnerdesk.testing import World, database_state

pytestmark = pytest.mark.django_db

CARD = re.compile(
    r'<a class="card[^"]*" href="([^"]+)" data-testid="card-admin-change-requests" data-count="(\d+)">'
)
ROW = re.compile(r'<tr data-testid="change-request">.*?<span class="pill">([^<]+)</span>', re.S)


def ask(world: World, subscription: Subscription, note: str) -> ChangeRequest:
    customer = principal_for(world.user("a1.global_admin"))
    return change_requests.request_change(customer, subscription, kind="increase", seats=20, note=note)


@pytest.fixture
def asked(world: World, catalog: Catalog) -> dict[str, ChangeRequest]:
    """Contoso asked four times: one waits, one was asked about, one rejected, one approved."""
    subscription = subscribe(world, catalog.basic_monthly, 10)
    partner = agent(world)
    waiting = ask(world, subscription, "Waiting")
    asked_about = ask(world, subscription, "Asked about")
    change_requests.inquire_change_request(partner, asked_about, question="Which team?")
    rejected = ask(world, subscription, "Rejected")
    change_requests.reject_change_request(partner, rejected, reason="Not now")
    approved = ask(world, subscription, "Approved")
    change_requests.approve_change_request(partner, approved)
    return {"waiting": waiting, "asked_about": asked_about, "rejected": rejected, "approved": approved}


def notes(html: str) -> set[str]:
    return set(re.findall(r'<small class="help">([^<]+)</small>', html))


def test_the_home_cards_link_shows_exactly_the_open_requests(web: Any, asked: dict[str, Any]) -> None:
    client = web("a1.global_admin")
    url, count = CARD.search(client.get("/admin/").content.decode()).groups()  # type: ignore[union-attr]
    url = url.replace("&amp;", "&")

    page = client.get(url)

    assert url == "/admin/change-requests/?show=open"
    assert page.status_code == 200
    html = page.content.decode()
    assert notes(html) == {"Waiting", "Asked about"}
    assert int(count) == len(ROW.findall(html)) == 2
    assert set(ROW.findall(html)) == {"Open", "Information requested"}


def test_show_all_lists_every_request_and_the_subscriptions_page_links_both(
    web: Any, asked: dict[str, Any]
) -> None:
    client = web("a1.global_admin")
    assert notes(client.get("/admin/change-requests/?show=all").content.decode()) == {
        "Waiting",
        "Asked about",
        "Rejected",
        "Approved",
    }
    subscriptions = client.get("/admin/subscriptions/").content.decode()
    assert 'href="/admin/change-requests/?show=open"' in subscriptions
    assert 'href="/admin/change-requests/?show=all"' in subscriptions


def test_the_customer_answers_a_question_from_the_page(web: Any, asked: dict[str, Any]) -> None:
    question = asked["asked_about"]
    client = web("a1.global_admin")
    assert (
        f"/admin/change-requests/{question.pk}/reply/"
        in client.get("/admin/change-requests/").content.decode()
    )

    response = client.post(f"/admin/change-requests/{question.pk}/reply/", {"note": "Sales"})

    assert response.status_code == 302 and response["Location"] == "/admin/change-requests/"
    question.refresh_from_db()
    assert question.status == ChangeRequest.Status.OPEN


def test_an_answer_past_the_api_s_limit_is_refused_saying_why(web: Any, asked: dict[str, Any]) -> None:
    """The page's answer is the API's `ReplyIn`: 4,000 characters at most; an empty one is asked for."""
    question = asked["asked_about"]
    client = web("a1.global_admin")

    too_long = client.post(f"/admin/change-requests/{question.pk}/reply/", {"note": "x" * 4001}, follow=True)
    empty = client.post(f"/admin/change-requests/{question.pk}/reply/", {"note": "  "}, follow=True)

    assert [str(m) for m in too_long.context["messages"]] == [
        "Ensure this value has at most 4000 characters (it has 4001)."
    ]
    assert [str(m) for m in empty.context["messages"]] == ["Write your answer."]
    question.refresh_from_db()
    assert question.status == ChangeRequest.Status.INFORMATION_REQUESTED


def test_open_requests_come_in_keyset_pages_at_the_same_cost(
    web: Any, world: World, catalog: Catalog
) -> None:
    subscription = subscribe(world, catalog.basic_monthly, 10)
    fields = {"subscription": subscription, "customer": world.customer_a1, "partner": world.partner_a}
    ChangeRequest.objects.bulk_create(ChangeRequest(kind="cancel", note=f"n{i}", **fields) for i in range(3))
    client = web("a1.global_admin")
    client.get("/admin/change-requests/")
    with CaptureQueriesContext(connection) as few:
        client.get("/admin/change-requests/")
    ChangeRequest.objects.bulk_create(ChangeRequest(kind="cancel", note=f"m{i}", **fields) for i in range(52))
    ChangeRequest.objects.create(kind="cancel", note="closed", status="rejected", **fields)
    with CaptureQueriesContext(connection) as many:
        first = client.get("/admin/change-requests/?show=open").content.decode()
    assert len(many.captured_queries) == len(few.captured_queries)

    cursor = re.search(r'href="\?show=open&amp;cursor=([^"]+)" rel="next"', first)
    assert cursor is not None
    second = client.get(f"/admin/change-requests/?show=open&cursor={cursor.group(1)}").content.decode()
    shown = notes(first) | notes(second)
    assert len(ROW.findall(first)) == 50 and len(ROW.findall(second)) == 5
    assert len(shown) == 55 and "closed" not in shown


def test_others_see_none_of_them_and_nothing_changes(web: Any, asked: dict[str, Any]) -> None:
    before = database_state()
    other_customer = web("a2.global_admin").get("/admin/change-requests/?show=all")
    assert other_customer.status_code == 200 and notes(other_customer.content.decode()) == set()
    assert web("a1.user").get("/admin/change-requests/").status_code == 403
    assert web("b.admin_agent").get("/admin/change-requests/").status_code in (403, 404)
    assert web(None).get("/admin/change-requests/").status_code == 302
    assert database_state() == before
