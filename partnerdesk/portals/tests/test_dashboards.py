"""The three home pages: cards that say what needs attention, count it boundedly, and open the list."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from partnerdesk.access.permissions import Permission
from partnerdesk.access.principal import principal_for
from partnerdesk.accounts.models import User
from partnerdesk.sql import bounded_count
from partnerdesk.support.models import SupportRequest
from partnerdesk.support.testing import open_support_request
from partnerdesk.tenancy.models import DelegatedRelationship

CARD = re.compile(r'<a class="card[^"]*" href="([^"]+)" data-testid="card-([a-z-]+)" data-count="(\d+)">')

OPERATOR_CARDS = {
    "operator-breached",
    "operator-unassigned",
    "operator-flagged",
    "operator-incidents",
    "operator-maintenance",
    "operator-draft-issues",
    "operator-draft-posts",
}
PARTNER_CARDS = {
    "partner-breached",
    "partner-near",
    "partner-waiting",
    "partner-escalations",
    "partner-change-requests",
    "partner-ending",
    "partner-affected",
    "partner-relationships-expiring",
    "partner-relationships-pending",
}
ADMIN_CARDS = {
    "admin-incidents",
    "admin-major-changes",
    "admin-act-by",
    "admin-licences",
    "admin-change-requests",
    "admin-relationships",
    "admin-support-open",
    "admin-support-waiting",
}


def cards(client: Client, path: str) -> dict[str, tuple[int, str]]:
    """The page's cards: key → (count, link)."""
    html = client.get(path).content.decode()
    return {key: (int(count), url.replace("&amp;", "&")) for url, key, count in CARD.findall(html)}


def signed_in(email: str) -> Client:
    client = Client()
    client.force_login(User.objects.get(email=email), backend="partnerdesk.accounts.backends.EmailBackend")
    return client


@pytest.mark.parametrize(
    ("email", "path", "expected"),
    [
        ("admin@operator.test", "/operator/", OPERATOR_CARDS),
        ("admin@fabrikam.test", "/partner/", PARTNER_CARDS),
        ("admin@contoso.test", "/admin/", ADMIN_CARDS),
    ],
    ids=["operator", "partner", "admin"],
)
def test_with_the_demo_data_every_card_has_something_and_its_list_opens(db, email, path, expected):
    call_command("seed_demo", verbosity=0)
    client = signed_in(email)

    shown = cards(client, path)

    assert set(shown) == expected
    assert {key for key, (count, _) in shown.items() if count == 0} == set()
    for _key, (_count, url) in shown.items():
        assert client.get(url).status_code == 200


def test_a_card_with_nothing_reads_calmly(web, world):
    html = web("a1.global_admin").get("/admin/").content.decode()

    assert "Nothing waits on you" in html
    assert 'data-testid="card-admin-support-waiting" data-count="0"' in html
    assert "card-calm" in html


def test_a_count_beyond_99_shows_as_99_plus(world):
    for i in range(101):
        DelegatedRelationship.objects.create(
            partner=world.partner_a, customer=world.customer_a1, name=f"r{i}", roles=[], duration_days=5
        )

    counted = bounded_count(DelegatedRelationship.objects.filter(status="pending"))

    assert (counted.number, counted.more, str(counted)) == (99, True, "99+")


def breaching_requests(world, n: int) -> None:
    """`n` requests of Contoso past their first-response target, and `n` relationship requests."""
    past = timezone.now() - timedelta(hours=1)
    for i in range(n):
        request = open_support_request(world, title=f"Late {i}", contact_email="global_admin@contoso.test")
        SupportRequest.objects.filter(pk=request.pk).update(first_response_due_at=past)
    DelegatedRelationship.objects.bulk_create(
        DelegatedRelationship(
            partner=world.partner_a, customer=world.customer_a1, name=f"Ask {i}", roles=[], duration_days=5
        )
        for i in range(n)
    )


def queries_and_cards(client: Client, path: str) -> tuple[int, dict[str, tuple[int, str]]]:
    with CaptureQueriesContext(connection) as queries:
        shown = cards(client, path)
    return len(queries), shown


@pytest.mark.parametrize(
    ("user", "path", "card"),
    [
        ("operator.operator_admin", "/operator/", "operator-incidents"),
        ("a.partner_global_admin", "/partner/", "partner-breached"),
        ("a1.global_admin", "/admin/", "admin-relationships"),
    ],
    ids=["operator", "partner", "admin"],
)
def test_a_home_page_costs_the_same_queries_with_3_or_30_rows(web, world, user, path, card):
    client = web(user)
    queries_and_cards(client, path)  # warm the session
    breaching_requests(world, 3)
    small, _ = queries_and_cards(client, path)
    breaching_requests(world, 27)
    large, shown = queries_and_cards(client, path)

    assert large == small
    if card != "operator-incidents":
        assert shown[card][0] == 30


def test_another_partner_and_another_customer_see_only_their_own(web, world):
    breaching_requests(world, 3)

    assert cards(web("a.partner_global_admin"), "/partner/")["partner-breached"][0] == 3
    assert cards(web("b.partner_global_admin"), "/partner/")["partner-breached"][0] == 0
    assert cards(web("a1.global_admin"), "/admin/")["admin-relationships"][0] == 3
    assert cards(web("a2.global_admin"), "/admin/")["admin-relationships"][0] == 0


def test_a_card_is_shown_only_to_whom_its_list_is_open(web, world):
    sales = principal_for(world.user("a.sales_agent"))
    assert not sales.has(Permission.SUPPORT_DESK) and not sales.has(Permission.HEALTH_VIEW)

    partner = cards(web("a.sales_agent"), "/partner/")
    reader = cards(web("a1.message_center_reader"), "/admin/")
    communications = cards(web("operator.communications_manager"), "/operator/")

    assert not {"partner-breached", "partner-near", "partner-waiting", "partner-escalations"} & set(partner)
    assert "partner-affected" not in partner
    assert {"partner-change-requests", "partner-ending"} <= set(partner)
    assert set(reader) == {"admin-major-changes", "admin-act-by"}
    assert not {"operator-breached", "operator-unassigned", "operator-flagged"} & set(communications)
    assert "operator-draft-posts" in communications
