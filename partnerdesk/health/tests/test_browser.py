"""The acceptance scenario in real chromium: the operator publishes an incident and a Message center
post for one partner's customers; who sees what, and read/archive state per admin.
"""

from __future__ import annotations

import re

import pytest

from partnerdesk.access.permissions import Role
from partnerdesk.health.models import HealthIssue, MessagePost
from partnerdesk.health.testing import build_catalog
from partnerdesk.testing import make_user, screenshot

pytestmark = pytest.mark.browser

BADGE = "[data-testid=unread-badge]"


def test_publish_an_incident_and_a_post_then_each_admin_sees_their_own(browsing):
    world = browsing.world
    build_catalog(world)
    make_user(world.customer_b2, "admin@wingtip.test", [Role.GLOBAL_ADMIN])

    # The operator opens an incident on Exchange Online and publishes it with a first post.
    operator = browsing.sign_in_as("operator.communications_manager")
    operator.goto("/operator/health/issues/new/")
    operator.select_option("select[name=classification]", "incident")
    operator.fill("input[name=title]", "Mail delivery delays")
    operator.fill("textarea[name=impact_description]", "Users may see delays sending mail.")
    operator.select_option("select[name=status]", "service_degradation")
    operator.get_by_label("Exchange Online").check()
    operator.fill("textarea[name=first_post]", "We are investigating reports of delays.")
    operator.get_by_label("Publish now (otherwise a draft)").check()
    with operator.expect_navigation():
        operator.click("main form button[type=submit]")
    # ... and a second post.
    operator.select_option("select[name=status]", "restoring_service")
    operator.fill("textarea[name=body]", "A fix is rolling out.")
    with operator.expect_navigation():
        operator.get_by_role("button", name="Post update").click()
    assert operator.locator("[data-testid=timeline] li").count() == 2
    screenshot(operator, "health-operator-issue")

    # A Message center post for Fabrikam's customers, about Exchange Online; the reach is previewed.
    operator.goto("/operator/messages/new/")
    operator.fill("input[name=title]", "Retiring basic authentication")
    operator.fill("textarea[name=body]", "Move your apps to **modern authentication**.")
    operator.select_option("select[name=category]", "plan_for_change")
    operator.select_option("select[name=severity]", "high")
    operator.get_by_label("Major change").check()
    operator.locator("fieldset", has_text="Services this post is about").get_by_label(
        "Exchange Online"
    ).check()
    operator.get_by_label("One partner's customers").check()
    operator.select_option("select[name=audience_partner]", label="Fabrikam")
    with operator.expect_navigation():
        operator.get_by_role("button", name="Preview audience").click()
    assert "reaches 1 tenant and 4 admins" in operator.locator("[data-testid=reach]").inner_text()
    with operator.expect_navigation():
        operator.get_by_role("button", name="Publish now").click()
    screenshot(operator, "health-operator-message")
    assert MessagePost.objects.get().status == "published"
    assert HealthIssue.objects.get().posts.count() == 2

    # Contoso (Fabrikam, has Exchange) sees both; marks the post read and archives it.
    admin = browsing.sign_in_as("a1.global_admin")
    admin.goto("/admin/health/")
    assert "Mail delivery delays" in admin.locator("[data-testid=active-issues]").inner_text()
    screenshot(admin, "health-admin-health")
    admin.get_by_role("link", name="Mail delivery delays").click()
    assert admin.locator("[data-testid=timeline] li").count() == 2
    assert admin.locator(BADGE).inner_text() == "1"
    admin.goto("/admin/messages/")
    screenshot(admin, "health-admin-messages")
    admin.get_by_role("link", name="Retiring basic authentication").click()
    assert "modern authentication" in admin.locator(".message-body strong").inner_text()
    with admin.expect_navigation():
        admin.get_by_role("button", name="Mark as read").click()
    assert admin.locator("[data-testid=read-state]").inner_text() == "Read"
    with admin.expect_navigation():
        admin.get_by_role("button", name="Archive").click()
    screenshot(admin, "health-admin-message")
    assert admin.locator(BADGE).count() == 0
    admin.goto("/admin/messages/")
    assert "Retiring basic authentication" not in admin.locator("[data-testid=messages]").inner_text()
    admin.get_by_role("link", name="Archive").click()
    assert "Retiring basic authentication" in admin.locator("[data-testid=messages]").inner_text()

    # Another admin of Contoso still sees it, unread.
    reader = browsing.sign_in_as("a1.message_center_reader")
    reader.goto("/admin/messages/")
    row = reader.locator("tr", has_text="Retiring basic authentication")
    assert "Unread" in row.inner_text()
    assert reader.locator(BADGE).inner_text() == "1"

    # Adatum (Fabrikam, no Exchange) and Wingtip (Litware) see neither.
    for email in ("admin@adatum.test", "admin@wingtip.test"):
        other = browsing.sign_in(email)
        other.goto("/admin/health/")
        assert "Mail delivery delays" not in other.content()
        other.goto("/admin/messages/")
        assert "Retiring basic authentication" not in other.content()
        assert other.locator(BADGE).count() == 0
    # Tailspin (Litware, has Exchange) sees the incident on its service, but not Fabrikam's post.
    tailspin = browsing.sign_in("admin@tailspin.test")
    tailspin.goto("/admin/messages/")
    assert "Retiring basic authentication" not in tailspin.content()
    assert re.search("Mail delivery delays", tailspin.goto("/admin/health/").text())

    # Fabrikam's agent sees which of its customers the incident and the post reach.
    agent = browsing.sign_in_as("a.admin_agent")
    agent.goto("/partner/health/")
    agent.get_by_role("link", name="Mail delivery delays").click()
    assert agent.locator("[data-testid=affected]").inner_text().split() == ["Contoso"]
    screenshot(agent, "health-partner-issue")
    agent.goto("/partner/health/")
    agent.get_by_role("link", name="Retiring basic authentication").click()
    assert agent.locator("[data-testid=affected]").inner_text().split() == ["Contoso"]
