"""The pages added for quarantined mail, the organization's API tokens and a service's status history,
driven in chromium as the people who use them."""

from __future__ import annotations

from typing import Any

import pytest

from partnerdesk.access.principal import principal_for
from partnerdesk.accounts import services as accounts
from partnerdesk.accounts.models import ApiToken
from partnerdesk.catalog.models import Service
from partnerdesk.support.models import InboundMail
from partnerdesk.support.tests.test_quarantine import mail

pytestmark = pytest.mark.browser


def submit(page: Any, selector: str) -> None:
    with page.expect_navigation():
        page.click(selector)


def test_a_partner_discards_a_quarantined_mail_after_confirming(
    browsing: Any, settings: Any, tmp_path: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path
    kept = mail(sender="message_center_reader@contoso.test", subject="Printer broken", message_id="<b1@x>")
    agent = browsing.sign_in_as("a.admin_agent")
    agent.goto("/partner/support-quarantine/")
    submit(agent, "main a:has-text('Printer broken')")
    submit(agent, "main button:has-text('Discard')")
    assert "no request gets it" in (agent.text_content("[data-testid=consequences]") or "")
    assert InboundMail.objects.get(pk=kept.pk).status == InboundMail.Status.QUARANTINED
    submit(agent, "main form button:has-text('Discard')")
    assert InboundMail.objects.get(pk=kept.pk).status == InboundMail.Status.DISCARDED


def test_an_admin_revokes_a_colleagues_token(browsing: Any) -> None:
    owner = browsing.world.user("a1.user_admin")
    created = accounts.create_token(principal_for(owner), name="Nightly export")
    admin = browsing.sign_in_as("a1.global_admin")
    admin.goto("/admin/users/tokens/")
    assert "Nightly export" in admin.content()
    submit(admin, "main button:has-text('Revoke')")
    assert ApiToken.objects.get(pk=created.token.pk).revoked_at is not None


def test_an_admin_reads_a_services_status_history(browsing: Any) -> None:
    from partnerdesk.subscriptions.tests.conftest import build_catalog, subscribe

    catalog = build_catalog()
    subscribe(browsing.world, catalog.basic_monthly, 5)
    service = Service.objects.filter(skus=catalog.basic).first() or Service.objects.first()
    assert service is not None
    admin = browsing.sign_in_as("a1.global_admin")
    admin.goto(f"/admin/health/services/{service.pk}/")
    assert service.name in (admin.text_content("main h1") or "")
    assert "No status changes in the last 30 days." in admin.content()
