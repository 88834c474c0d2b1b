"""Live pages in real chromium (issue 13's acceptance): two agents of one partner have the same
queue open; a customer's reply appears on both without a reload; on the request's page one sees the
other replying; the second agent's stale reply is refused with the first one's shown, its draft kept.

Streams here last three seconds, so the browsers also reconnect (with `Last-Event-ID`) on the way.
"""

from __future__ import annotations

import pytest

from partnerdesk.access.principal import principal_for
from partnerdesk.portals.tests.test_browser import screenshot
from partnerdesk.support import support_requests
from partnerdesk.support.inputs import SupportRequestIn
from partnerdesk.support.models import Message

pytestmark = pytest.mark.browser


def live(page):
    """Wait until the page's stream is connected (the script marks it)."""
    page.wait_for_selector("[data-live-stream][data-live-state=open]", state="attached")
    return page


def test_two_agents_follow_a_customer_reply_and_the_stale_reply_is_refused(browsing, settings):
    from playwright.sync_api import expect

    settings.LIVE_STREAM_SECONDS = 3
    world = browsing.world
    first_agent, second_agent = world.user("a.admin_agent"), world.user("a.helpdesk_agent")
    request = support_requests.create_support_request(
        principal_for(world.user("a1.global_admin")),
        SupportRequestIn(
            title="Mail does not arrive",
            description="No external mail since 8:00.",
            severity="moderate",
            contact_name="Chen",
            contact_email="chen@contoso.test",
        ),
    )
    support_requests.update_support_request(principal_for(first_agent), request, status="waiting_on_customer")

    # Both agents have the desk's queue open: the request waits on the customer.
    first = browsing.sign_in_as("a.admin_agent")
    first.goto("/partner/support/?status=")
    second = browsing.sign_in_as("a.helpdesk_agent")
    second.goto("/partner/support/?status=")
    for agent in (first, second):
        live(agent)
        expect(agent.locator(f"[data-testid=queue] tr:has-text('{request.title}')")).to_contain_text(
            "Waiting on customer"
        )

    # The customer replies in its admin center: both queues show the request open again, no reload.
    customer = browsing.sign_in_as("a1.global_admin")
    customer.goto(f"/admin/support/{request.pk}/")
    customer.fill("#id_body", "It started again at noon.")
    customer.click("button:has-text('Send')")
    for agent in (first, second):
        row = agent.locator(f"[data-testid=queue] tr:has-text('{request.title}')")
        expect(row).to_contain_text("Open")
        expect(row).not_to_contain_text("Waiting on customer")
    screenshot(first, "live-queue")

    # Both open the request; the customer writes once more and both timelines show it.
    for agent in (first, second):
        agent.click(f"text={request.title}")
        live(agent)
    customer.fill("#id_body", "And the relay log shows 451 errors.")
    customer.click("button:has-text('Send')")
    for agent in (first, second):
        expect(agent.locator("[data-testid=timeline]")).to_contain_text("relay log shows 451 errors")

    # The first agent types: the second sees it; the second starts a draft too.
    first.fill("#id_body", "We restarted the relay")
    expect(second.locator("[data-testid=presence]")).to_have_text(f"{first_agent.display_name} is replying…")
    expect(first.locator("[data-testid=presence]")).to_have_count(0)  # nobody sees their own typing
    second.fill("#id_body", "Could you send a message trace?")
    expect(first.locator("[data-testid=presence]")).to_have_text(f"{second_agent.display_name} is replying…")

    # The first sends: the second's timeline shows it at once, and the presence line goes away.
    first.fill("#id_body", "We restarted the relay; mail flows again.")
    first.click("button:has-text('Send')")
    expect(first.locator("[data-testid=timeline]")).to_contain_text("mail flows again")
    expect(second.locator("[data-testid=timeline]")).to_contain_text("mail flows again")
    expect(second.locator("[data-testid=presence]")).to_have_count(0)

    # The second sends its draft, written before that reply: refused, the reply shown, the draft kept.
    second.click("button:has-text('Send')")
    expect(second.locator(".form-errors")).to_contain_text("Someone else changed this")
    expect(second.locator("[data-testid=timeline]")).to_contain_text("mail flows again")
    expect(second.locator("#id_body")).to_have_value("Could you send a message trace?")
    screenshot(second, "live-stale-reply")
    assert not Message.objects.filter(body__contains="message trace").exists()

    # Having seen it, the second agent sends the draft as it is: now it goes.
    second.click("button:has-text('Send')")
    expect(second.locator("[data-testid=timeline]")).to_contain_text("Could you send a message trace?")
    expect(first.locator("[data-testid=timeline]")).to_contain_text("Could you send a message trace?")
