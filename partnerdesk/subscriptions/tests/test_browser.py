"""The issue's acceptance scenario in real chromium.

A partner agent adds a subscription for Contoso and increases its seats; Contoso's global admin
assigns licences, asks the partner for more seats; the partner approves; the customer sees the new
quantity. Set PARTNERDESK_SCREENSHOTS=/some/folder to keep screenshots of the main pages.
"""

from __future__ import annotations

from typing import Any

import pytest

from partnerdesk.access.permissions import Role
from partnerdesk.subscriptions.models import ChangeRequest, LicenseAssignment, Subscription
from partnerdesk.subscriptions.tests.conftest import build_catalog
from partnerdesk.testing import make_user, screenshot

pytestmark = pytest.mark.browser


def submit(page: Any, selector: str) -> None:
    with page.expect_navigation():
        page.click(selector)


def test_partner_sells_customer_assigns_asks_partner_approves(browsing: Any) -> None:
    world = browsing.world
    catalog = build_catalog()
    people = [
        make_user(world.customer_a1, f"staff{i}@contoso.test", [Role.USER], name=f"Staff {i}")
        for i in range(2)
    ]

    # The partner's admin agent buys 5 seats for Contoso, then goes to 8.
    partner = browsing.sign_in_as("a.admin_agent")
    partner.goto(f"/partner/customers/{world.customer_a1.pk}/subscriptions/")
    submit(partner, "text=Add a subscription")
    partner.select_option("select[name=offer]", str(catalog.basic_monthly.pk))
    partner.fill("input[name=quantity]", "5")
    partner.fill("input[name=friendly_name]", "Head office")
    submit(partner, "main form button[type=submit]")
    assert partner.text_content("dd[data-testid=quantity]") == "5"
    partner.fill("[data-testid=seats] input[name=quantity]", "8")
    submit(partner, "text=Change seats")
    assert partner.text_content("dd[data-testid=quantity]") == "8"
    assert "8 seats can be removed now for a refund" in partner.text_content("[data-testid=removable]")
    screenshot(partner, "partner-subscription")

    # Contoso's global admin assigns two licences, then asks Fabrikam for 4 more seats.
    customer = browsing.sign_in_as("a1.global_admin")
    customer.goto("/admin/licenses/")
    submit(customer, "text=Office 365 E1")
    for person in people:
        customer.check(f"#assign-{person.pk}")
    submit(customer, "text=Assign licences")
    assert customer.text_content("[data-testid=assigned]") == "2"
    assert customer.text_content("[data-testid=available]") == "6"
    screenshot(customer, "admin-licence-pool")
    customer.goto("/admin/subscriptions/")
    submit(customer, "text=Request a change from Fabrikam")
    customer.select_option("select[name=kind]", "increase")
    customer.fill("input[name=seats]", "12")
    customer.fill("textarea[name=note]", "Four new hires on Monday")
    submit(customer, "text=Review the change")
    # The number is the new total: the review says so before anything is sent.
    assert customer.text_content("[data-testid=preview-seats]") == "8 → 12"
    assert "4 seats are added now" in customer.text_content("[data-testid=preview-consequence]")
    assert not ChangeRequest.objects.exists()
    submit(customer, "text=Send request")
    assert "Your request was sent to Fabrikam" in customer.content()
    assert customer.text_content("[data-testid=change-request] .pill") == "Open"

    # The partner approves; the seats change at once.
    partner.goto("/partner/change-requests/")
    assert "Four new hires on Monday" in partner.content()
    screenshot(partner, "partner-change-requests")
    assert partner.text_content("[data-testid=seats-now]") == "8 seats now → 12"
    submit(partner, "[data-testid=change-request] button[value=approve]")
    # Approval asks for confirmation, with the result and its price.
    assert partner.text_content("[data-testid=preview-seats]") == "8 → 12"
    assert "per period" in partner.text_content("[data-testid=preview-price]")
    assert Subscription.objects.get().quantity == 8
    screenshot(partner, "partner-change-request-approve")
    submit(partner, "text=Approve and apply")
    assert "Approved and applied" in partner.content()

    customer.reload()
    assert customer.text_content("td[data-testid=quantity]") == "12"
    assert customer.text_content("[data-testid=change-request] .pill") == "Approved"
    screenshot(customer, "admin-subscriptions")

    assert Subscription.objects.get().quantity == 12
    assert ChangeRequest.objects.get().status == ChangeRequest.Status.APPROVED
    assert LicenseAssignment.objects.count() == 2

    operator = browsing.sign_in_as("operator.catalog_manager")
    operator.goto("/operator/catalog/")
    submit(operator, "text=Office 365")
    screenshot(operator, "operator-catalog-product")
    operator.goto(f"/operator/catalog/offers/{catalog.basic_monthly.pk}/")
    screenshot(operator, "operator-offer")


def test_suspending_asks_first_and_says_who_loses_what(browsing: Any) -> None:
    world = browsing.world
    catalog = build_catalog()
    from partnerdesk.subscriptions.tests.conftest import subscribe

    subscription = subscribe(world, catalog.basic_monthly, 10)
    partner = browsing.sign_in_as("a.admin_agent")
    partner.goto(f"/partner/subscriptions/{subscription.pk}/")
    partner.select_option("select[name=reason]", "non_payment")
    submit(partner, "button:has-text('Suspend')")

    consequences = partner.text_content("[data-testid=consequences]") or ""
    assert "10 users of Contoso" not in consequences  # nobody holds a licence yet
    assert "0 users of Contoso lose Office 365 E1 until the subscription is reactivated" in consequences
    assert Subscription.objects.get(pk=subscription.pk).status == Subscription.Status.ACTIVE
    screenshot(partner, "confirm-suspend")
    submit(partner, "main form button:has-text('Suspend')")

    assert Subscription.objects.get(pk=subscription.pk).status == Subscription.Status.SUSPENDED
    assert "cannot change until it is reactivated" in (partner.text_content("[data-testid=removable]") or "")


def test_acting_for_a_customer_the_agent_is_sent_to_the_partner_center(browsing: Any) -> None:
    world = browsing.world
    catalog = build_catalog()
    from partnerdesk.subscriptions.tests.conftest import subscribe

    subscription = subscribe(world, catalog.basic_monthly, 10)
    agent = browsing.sign_in_as("a.admin_agent")
    agent.select_option("select#switch-org", label="Contoso")
    submit(agent, "form.switcher button[type=submit]")
    agent.goto("/admin/subscriptions/")

    page = agent.content()
    assert "Request a change from" not in page
    assert "change these subscriptions in the partner center" in agent.text_content(
        "[data-testid=on-behalf-lead]"
    )
    submit(agent, "[data-testid=partner-center-link]")
    assert agent.url.endswith(f"/partner/subscriptions/{subscription.pk}/")
    assert agent.text_content("dd[data-testid=quantity]") == "10"


def test_25_seats_asked_for_30_end_with_30(browsing: Any) -> None:
    """The issue's case: "More seats: 30" on 25 seats means a total of 30, shown before and after."""
    from partnerdesk.subscriptions.tests.conftest import subscribe

    subscription = subscribe(browsing.world, build_catalog().basic_monthly, 25)
    customer = browsing.sign_in_as("a1.global_admin")
    customer.goto(f"/admin/subscriptions/{subscription.pk}/request-change/")
    customer.select_option("select[name=kind]", "increase")
    customer.fill("input[name=seats]", "30")
    submit(customer, "text=Review the change")
    assert customer.text_content("[data-testid=preview-seats]") == "25 → 30"
    submit(customer, "text=Send request")

    partner = browsing.sign_in_as("a.admin_agent")
    partner.goto("/partner/change-requests/?show=open")
    assert partner.text_content("[data-testid=seats-now]") == "25 seats now → 30"
    submit(partner, "[data-testid=change-request] button[value=approve]")
    assert partner.text_content("[data-testid=preview-seats]") == "25 → 30"
    assert Subscription.objects.get(pk=subscription.pk).quantity == 25  # nothing until confirmed
    submit(partner, "text=Approve and apply")

    assert Subscription.objects.get(pk=subscription.pk).quantity == 30
    customer.goto("/admin/change-requests/?show=all")
    assert customer.text_content("[data-testid=change-request] .pill") == "Approved"
