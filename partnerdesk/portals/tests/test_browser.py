"""The three portals in real chromium: signing in, delegated access, temporary passwords, languages.

Every test signs in through the sign-in form (no `force_login`) and asserts what a person sees.
Set PARTNERDESK_SCREENSHOTS=/some/folder to keep a screenshot of each portal's dashboard.
"""

from __future__ import annotations

import pytest

from partnerdesk.access.permissions import Role
from partnerdesk.accounts.models import User
from partnerdesk.accounts.services import create_user
from partnerdesk.tenancy.models import DelegatedRelationship, Organization
from partnerdesk.testing import PASSWORD, path_of, screenshot

pytestmark = pytest.mark.browser

BANNER = "[data-testid=delegated-banner]"
ORG_NAME = "[data-testid=org-name]"
TEMPORARY_PASSWORD = "[data-testid=temporary-password]"
NEW_PASSWORD = "Tangerine-lighthouse-42"


def switcher_options(page) -> list[str]:
    return [text.strip() for text in page.locator("select#switch-org option").all_inner_texts()]


@pytest.mark.parametrize(
    ("key", "dashboard", "organization", "portal_title"),
    [
        ("operator.operator_admin", "/operator/", "Northwind Cloud", "Operator console"),
        ("a.partner_global_admin", "/partner/", "Fabrikam", "Partner center"),
        ("a1.global_admin", "/admin/", "Contoso", "Admin center"),
    ],
    ids=["operator", "partner", "admin"],
)
def test_each_portal_signs_in_to_its_dashboard(browsing, key, dashboard, organization, portal_title):
    page = browsing.sign_in_as(key)

    assert path_of(page) == dashboard
    assert page.locator(ORG_NAME).inner_text() == organization
    assert page.locator("main h1").inner_text() == organization
    assert portal_title in page.locator(".brand-portal").inner_text()
    assert page.locator(".sidebar a[aria-current=page]").count() == 1
    assert page.locator(".card").count() >= 2
    screenshot(page, f"dashboard-{dashboard.strip('/')}")


def test_an_admin_agent_acts_for_a_customer_until_the_customer_ends_the_relationship(browsing):
    agent = browsing.sign_in_as("a.admin_agent")
    assert path_of(agent) == "/partner/"
    assert "Contoso" in switcher_options(agent)
    assert "Adatum" not in switcher_options(agent)  # Adatum never granted access

    agent.select_option("select#switch-org", label="Contoso")
    with agent.expect_navigation():
        agent.click("form.switcher button[type=submit]")

    assert path_of(agent) == "/admin/"
    banner = agent.locator(BANNER)
    assert "Acting for Contoso" in banner.inner_text()
    assert "Fabrikam" in banner.inner_text()
    assert agent.locator(ORG_NAME).inner_text() == "Contoso"
    assert agent.locator("main h1").inner_text() == "Contoso"
    screenshot(agent, "delegated-admin-center")
    # Delegated access never lets the partner approve, widen or end its own access.
    agent.goto("/admin/relationships/")
    assert agent.locator("tr", has_text="Fabrikam managed services").count() == 1
    assert agent.locator("main button", has_text="End delegated access").count() == 0
    assert agent.locator(BANNER).count() == 1

    # Contoso's global admin ends the relationship in another browser (another cookie jar).
    customer = browsing.sign_in_as("a1.global_admin")
    customer.goto("/admin/relationships/")
    row = customer.locator("tr", has_text="Fabrikam managed services")
    with customer.expect_navigation():
        row.locator("button", has_text="End delegated access").click()
    # The confirmation says what ending does before anything changes.
    consequences = customer.locator("[data-testid=consequences]").inner_text()
    assert "Fabrikam loses its delegated access" in consequences
    relationship = browsing.world.relationship_a1
    assert DelegatedRelationship.objects.get(pk=relationship.pk).status == DelegatedRelationship.Status.ACTIVE
    screenshot(customer, "confirm-end-delegated-access")
    with customer.expect_navigation():
        customer.locator("main form button", has_text="End delegated access").click()
    assert "Fabrikam" in customer.locator(".message-success").inner_text()
    assert DelegatedRelationship.objects.get(pk=relationship.pk).status == DelegatedRelationship.Status.ENDED

    # The agent's next page load is sent back to their own organization.
    response = agent.goto("/admin/")
    assert response is not None and response.ok
    assert path_of(agent) == "/partner/"
    assert agent.locator(BANNER).count() == 0
    assert agent.locator(ORG_NAME).inner_text() == "Fabrikam"
    assert agent.locator(".message-error").count() == 1
    assert agent.locator(".message-error").inner_text().strip()
    assert "Contoso" not in switcher_options(agent)
    screenshot(agent, "delegated-access-ended")


def test_a_sales_agent_cannot_act_for_a_customer(browsing):
    contoso = browsing.world.customer_a1
    sales = browsing.sign_in_as("a.sales_agent")
    assert path_of(sales) == "/partner/"
    assert "Contoso" not in switcher_options(sales)
    assert sales.locator("select#switch-org").count() == 0

    # Forge the switcher's POST from the page itself (same origin, real CSRF token).
    with sales.expect_navigation():
        sales.evaluate(
            """(customerId) => {
                const form = document.createElement("form");
                form.method = "post";
                form.action = "/switch-organization/";
                for (const [name, value] of [
                    ["csrfmiddlewaretoken", document.querySelector("input[name=csrfmiddlewaretoken]").value],
                    ["organization", customerId],
                ]) {
                    const input = document.createElement("input");
                    input.type = "hidden";
                    input.name = name;
                    input.value = value;
                    form.appendChild(input);
                }
                document.body.appendChild(form);
                form.submit();
            }""",
            str(contoso.pk),
        )
    assert path_of(sales) == "/partner/"
    assert sales.locator(".message-error").count() == 1
    assert sales.locator(BANNER).count() == 0

    response = sales.goto("/admin/")
    assert response is not None and response.status == 403
    assert sales.locator(BANNER).count() == 0
    assert sales.locator(ORG_NAME).inner_text() == "Fabrikam"
    assert sales.locator(".error-message").get_attribute("data-code") == "permission_denied"
    assert "Contoso" not in sales.locator("main").inner_text()
    # The refusal is shown in the agent's own portal, without admin-center navigation.
    assert "Partner center" in sales.locator(".brand-portal").inner_text()
    assert sales.locator(".sidebar a[href^='/admin/']").count() == 0
    screenshot(sales, "sales-agent-403")


def test_a_temporary_password_must_be_changed_before_anything_else(browsing):
    new = create_user(
        None,
        organization=browsing.world.customer_a1,
        email="new.person@contoso.test",
        display_name="New Person",
        roles=[Role.GLOBAL_ADMIN],
    )

    page = browsing.sign_in(new.user.email, new.temporary_password)
    assert path_of(page) == "/account/password/"
    assert page.locator(".banner.warning").count() == 1
    assert page.locator(".sidebar").count() == 0  # no links that would only lead back here
    page.goto("/admin/")  # every other page sends the user back
    assert path_of(page) == "/account/password/"
    screenshot(page, "password-change")

    page.fill("input[name=current_password]", new.temporary_password)
    page.fill("input[name=new_password]", NEW_PASSWORD)
    page.fill("input[name=confirm_password]", NEW_PASSWORD)
    with page.expect_navigation():
        page.click("main form button[type=submit]")

    assert path_of(page) == "/admin/"
    assert page.locator(ORG_NAME).inner_text() == "Contoso"
    assert page.locator("main h1").inner_text() == "Contoso"
    assert page.locator(".message-success").count() == 1
    page.goto("/admin/relationships/")  # no longer held on the change page
    assert path_of(page) == "/admin/relationships/"
    user = User.objects.get(pk=new.user.pk)
    assert not user.must_change_password
    assert user.check_password(NEW_PASSWORD)


def test_a_new_customers_temporary_password_is_shown_only_once(browsing):
    page = browsing.sign_in_as("a.partner_global_admin")
    with page.expect_navigation():
        page.click("main a.button[href='/partner/customers/new/']")
    assert path_of(page) == "/partner/customers/new/"

    page.fill("input[name=name]", "Proseware Cafe")
    page.fill("input[name=domain_prefix]", "prosewarecafe")
    page.fill("input[name=admin_name]", "Pat Proseware")
    page.fill("input[name=admin_email]", "pat@prosewarecafe.test")
    with page.expect_navigation():
        page.click("main form button[type=submit]")

    temporary = page.locator(TEMPORARY_PASSWORD).inner_text().strip()
    assert len(temporary) >= 12
    assert page.locator("[data-testid=new-user-email]").inner_text() == "pat@prosewarecafe.test"
    customer = Organization.objects.get(name="Proseware Cafe")
    screenshot(page, "temporary-password")

    # Continue leads on to the new customer's first subscription.
    with page.expect_navigation():
        page.click("main a.button")  # Continue
    assert path_of(page) == f"/partner/customers/{customer.pk}/subscriptions/new/"
    assert page.locator(TEMPORARY_PASSWORD).count() == 0
    page.goto(f"/partner/customers/{customer.pk}/")
    assert page.locator("main h1").inner_text() == "Proseware Cafe"
    assert page.locator(TEMPORARY_PASSWORD).count() == 0
    page.reload()
    assert page.locator(TEMPORARY_PASSWORD).count() == 0
    assert temporary not in page.content()

    # The password shown works, once, and must be replaced at first sign-in.
    admin = browsing.sign_in("pat@prosewarecafe.test", temporary)
    assert path_of(admin) == "/account/password/"


def test_a_wrong_password_re_renders_the_form_with_an_error(browsing, page):
    email = browsing.world.user("a1.global_admin").email
    page.goto("/account/signin/")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", "not-the-password")
    with page.expect_navigation() as navigation:
        page.click("main form button[type=submit]")

    assert navigation.value.status == 400
    assert path_of(page) == "/account/signin/"
    assert page.locator(".form-errors[role=alert]").inner_text().strip()
    assert page.locator("input[name=email]").input_value() == email
    assert page.locator("input[name=password]").input_value() == ""
    assert page.locator(ORG_NAME).count() == 0
    screenshot(page, "signin-error")

    # The form still works after the mistake.
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    assert path_of(page) == "/admin/"


def test_the_language_chooser_switches_the_interface(browsing):
    page = browsing.sign_in_as("a.partner_global_admin")
    assert page.locator("html").get_attribute("lang") == "en"

    page.select_option("#language-select", "es")
    with page.expect_navigation():
        page.click("form.language button[type=submit]")

    assert path_of(page) == "/partner/"  # back where the person was
    assert page.locator("html").get_attribute("lang") == "es"
    assert page.locator("#language-select").input_value() == "es"
    page.goto("/partner/customers/")
    assert page.locator("html").get_attribute("lang") == "es"
    assert User.objects.get(pk=browsing.world.user("a.partner_global_admin").pk).language == "es"
    screenshot(page, "partner-customers-es")
