"""Each portal's home page with the demo data, in real chromium: what needs attention, and the card
that opens the list of exactly those rows. Signs in as the demo people `seed_demo` prints."""

from __future__ import annotations

from typing import Any

import pyotp
import pytest
from django.core.management import call_command

from partnerdesk.conftest import Browsing
from partnerdesk.mfa.demo import DEMO_TOTP_SECRET
from partnerdesk.portals.management.commands.seed_demo import DEMO_PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture
def demo(browser: Any, live_server: Any, transactional_db: Any) -> Any:
    call_command("seed_demo", verbosity=0)
    session = Browsing(browser, live_server.url, world=None)  # type: ignore[arg-type]
    try:
        yield session
    finally:
        session.close()


def counts(page: Any) -> dict[str, int]:
    cards = page.locator("[data-testid=attention] a.card")
    return {
        str(cards.nth(i).get_attribute("data-testid")): int(cards.nth(i).get_attribute("data-count") or 0)
        for i in range(cards.count())
    }


@pytest.mark.parametrize(
    ("email", "home", "card", "lands_on", "row"),
    [
        (
            "admin@operator.test",
            "/operator/",
            "card-operator-draft-posts",
            "/operator/messages/?status=draft",
            "New retention labels in SharePoint",
        ),
        (
            "admin@fabrikam.test",
            "/partner/",
            "card-partner-near",
            "/partner/support/?sla=near",
            "Calendar sharing with a supplier fails",
        ),
        (
            "admin@fabrikam.test",
            "/partner/",
            "card-partner-relationships-expiring",
            "/partner/relationships/?expires_within=30",
            "Fabrikam mail migration",
        ),
        (
            "admin@contoso.test",
            "/admin/",
            "card-admin-licences",
            "/admin/licenses/?running_out=1",
            "Audio Conferencing",
        ),
    ],
    ids=["operator-drafts", "partner-near-sla", "partner-expiring", "admin-licences"],
)
def test_the_home_page_shows_what_needs_attention_and_opens_it(demo, email, home, card, lands_on, row):
    page = demo.sign_in(email, DEMO_PASSWORD, otp=pyotp.TOTP(DEMO_TOTP_SECRET).now())
    assert page.url.endswith(home)

    shown = counts(page)
    assert shown, "the home page shows cards"
    assert all(count > 0 for count in shown.values()), shown
    assert page.locator(f"[data-testid={card}] .card-number").inner_text() == str(shown[card])

    with page.expect_navigation():
        page.click(f"[data-testid={card}]")

    assert page.url.endswith(lands_on)
    assert page.locator("main").get_by_text(row).count() >= 1
