"""In real chromium: a partner admin registers an endpoint from the navigation, copies its secret,
sends a test ping and sees it in the delivery log, without JavaScript being needed."""

from __future__ import annotations

from typing import Any

import pytest
from standardwebhooks.webhooks import Webhook

from partnerdesk.webhooks.tests.conftest import worker_cycle

pytestmark = pytest.mark.browser


def submit(page: Any, selector: str) -> None:
    with page.expect_navigation():
        page.click(selector)


def test_a_partner_admin_registers_an_endpoint_and_pings_it(browsing: Any, receivers: Any) -> None:
    receiver = receivers()
    page = browsing.sign_in_as("a.partner_global_admin")
    with page.expect_navigation():
        page.get_by_role("link", name="Webhooks").click()
    page.fill("[data-testid=webhook-create] input[name=url]", receiver.url)
    page.fill("[data-testid=webhook-create] textarea[name=events]", "subscription.*")
    submit(page, "[data-testid=webhook-create] button[type=submit]")

    secret = page.locator("[data-testid=webhook-secret] code").inner_text()
    assert secret.startswith("whsec_")
    submit(page, "text=Send a test ping")
    worker_cycle()
    [received] = receiver.requests
    assert Webhook(secret).verify(received.body, received.headers)["type"] == "webhook.test"
    page.reload()
    assert "webhook.test" in page.locator("[data-testid=webhook-log]").inner_text()
    assert page.locator("[data-testid=webhook-secret]").count() == 0  # shown once
