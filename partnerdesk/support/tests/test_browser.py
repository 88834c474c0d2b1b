"""The whole support path in real chromium: the customer opens a request after self-help, the
partner replies and escalates, the operator asks for information, the partner answers, the
operator closes, the partner resolves; each side sees only its part; the e-mails arrive over SMTP.

Set PARTNERDESK_SCREENSHOTS=/some/folder to keep screenshots of the main pages.
"""

from __future__ import annotations

import pytest

from partnerdesk.access.principal import principal_for
from partnerdesk.audit.models import AuditEvent
from partnerdesk.catalog.models import Service
from partnerdesk.notifications.services import deliver_due
from partnerdesk.portals.tests.test_browser import path_of, screenshot
from partnerdesk.support import knowledge
from partnerdesk.support.models import ServiceRequest, SupportRequest, SupportTopic

pytestmark = pytest.mark.browser


def test_customer_partner_operator_and_back(browsing, smtp_server, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    world = browsing.world
    service = Service.objects.create(key="mail", name="Mail")
    topic = SupportTopic.objects.create(name="Mail flow")
    knowledge.save_article(
        principal_for(world.user("operator.support_engineer")),
        title="Mail does not arrive: check the inbound connector",
        body="Re-enable the inbound connector in the admin center.",
        language="en",
        services=[service],
    )

    # The customer: self-help first, then submits.
    customer = browsing.sign_in_as("a1.global_admin")
    customer.goto(f"/admin/support/new/?service={service.pk}")
    customer.fill("#id_title", "Mail does not arrive")
    customer.fill("#id_description", "No external mail since 8:00.")
    customer.click("button:has-text('Continue')")
    assert "check the inbound connector" in customer.locator("[data-testid=self-help]").inner_text()
    screenshot(customer, "support-admin-self-help")
    customer.click("button:has-text('Submit the request')")
    request = SupportRequest.objects.get()
    assert path_of(customer) == f"/admin/support/{request.pk}/"
    assert request.number in customer.locator("main h1").inner_text()

    # The partner agent replies, adds an internal note, and escalates sharing the reply.
    agent = browsing.sign_in_as("a.admin_agent")
    agent.goto("/partner/support/")
    screenshot(agent, "support-partner-queue")
    agent.click(f"text={request.title}")
    agent.fill("#id_body", "We are looking into it.")
    agent.click("button:has-text('Send')")
    agent.fill("#id_body", "Probably the operator's relay.")
    agent.select_option("#id_visibility", "internal")
    agent.click("button:has-text('Send')")
    screenshot(agent, "support-partner-request")
    agent.click("text=Escalate to the operator")
    agent.select_option("#id_topic", str(topic.pk))
    agent.select_option("#id_severity", "critical")
    agent.click("main button:has-text('Escalate')")
    service_request = ServiceRequest.objects.get()
    assert path_of(agent) == f"/partner/service-requests/{service_request.pk}/"

    # The operator engineer asks for information: attention needed.
    engineer = browsing.sign_in_as("operator.support_engineer")
    engineer.goto("/operator/service-requests/")
    screenshot(engineer, "support-operator-queue")
    engineer.click(f"text={service_request.title}")
    timeline = engineer.locator("[data-testid=timeline]").inner_text()
    assert "We are looking into it." in timeline
    assert "Probably the operator's relay." not in timeline
    engineer.fill("#id_body", "Please send a message trace.")
    engineer.click("button:has-text('Send')")
    engineer.fill("#id_body", "Relay team is checking.")
    engineer.select_option("#id_kind", "operator_internal")
    engineer.click("button:has-text('Send')")
    engineer.select_option("#id_status", "attention_needed")
    engineer.click("button:has-text('Change status')")
    assert engineer.locator("[data-testid=status]").inner_text() == "Attention needed"
    screenshot(engineer, "support-operator-request")

    # The partner answers; the operator closes with a resolution.
    agent.reload()
    partner_timeline = agent.locator("[data-testid=timeline]").inner_text()
    assert "Please send a message trace." in partner_timeline
    assert "Relay team is checking." not in partner_timeline
    agent.fill("#id_body", "Trace: ceo@contoso.test, 08:12.")
    agent.click("button:has-text('Send')")
    assert agent.locator("[data-testid=status]").inner_text() == "Open"
    engineer.reload()
    engineer.select_option("#id_status", "closed")
    engineer.fill("#id_resolution", "Relay restarted.")
    engineer.click("button:has-text('Change status')")
    assert engineer.locator("[data-testid=status]").inner_text() == "Closed"

    # The partner resolves the customer's request.
    agent.goto(f"/partner/support/{request.pk}/")
    agent.fill("#id_body", "The operator restarted the relay; mail flows again.")
    agent.click("button:has-text('Send')")
    agent.select_option("#u-status", "resolved")
    agent.click("button:has-text('Update')")
    assert agent.locator("[data-testid=status]").inner_text() == "Resolved"

    # The customer sees the partner's answers and the escalation, never the operator's notes.
    customer.reload()
    screenshot(customer, "support-admin-request")
    assert customer.locator("[data-testid=status]").inner_text() == "Resolved"
    assert customer.locator("[data-testid=escalated]").is_visible()
    seen = customer.locator("main").inner_text()
    assert "mail flows again" in seen
    assert "Probably the operator's relay." not in seen
    assert "Please send a message trace." not in seen
    assert "Relay team is checking." not in seen
    assert "Relay restarted." not in seen

    customer.goto("/admin/support/")
    assert request.number in customer.locator("[data-testid=requests]").inner_text()
    screenshot(customer, "support-admin-support")
    agent.goto("/partner/support-reports/")
    assert agent.locator("[data-testid=chart] rect.bar").count() == 12
    screenshot(agent, "support-partner-reports")

    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {
        "support_request.created",
        "support_request.replied",
        "support_request.note_added",
        "support_request.escalated",
        "service_request.to_partner",
        "service_request.operator_internal",
        "service_request.attention_needed",
        "service_request.from_partner",
        "service_request.closed",
        "support_request.resolved",
    } <= actions

    while deliver_due("browser-test"):
        pass
    received = [(m["To"], m["Subject"]) for m in smtp_server.messages]
    to_customer = [s for to, s in received if to == "global_admin@contoso.test"]
    assert any("New reply" in s for s in to_customer)
    assert any("Escalated to the operator" in s for s in to_customer)
    assert any("Resolved" in s for s in to_customer)
    assert any(to == "support_engineer@operator.test" and service_request.number in s for to, s in received)
    assert any(to == "admin_agent@fabrikam.test" and "New note" in s for to, s in received)
    assert any(to == "help@fabrikam.test" and "New support request" in s for to, s in received)
    assert not any(to.endswith("@contoso.test") and service_request.number in s for to, s in received)
