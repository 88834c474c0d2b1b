"""The admin center's directory in real chromium: the issue's acceptance scenario.

A customer admin creates a user, blocks and unblocks it, adds a domain and verifies it against a
real local DNS server, changes the password policy and sees it enforced at sign-in; a partner admin
agent does one of these on behalf of the customer, and the customer's audit log shows it.
Set PARTNERDESK_SCREENSHOTS=/some/folder to keep screenshots of the main pages.
"""

from __future__ import annotations

import pytest

from partnerdesk.accounts.models import User
from partnerdesk.audit.models import AuditEvent
from partnerdesk.directory.models import Domain, SecuritySettings
from partnerdesk.testing import PASSWORD, path_of, screenshot

pytestmark = pytest.mark.browser

TEMPORARY_PASSWORD = "[data-testid=temporary-password]"


def submit(page, selector: str) -> None:
    with page.expect_navigation():
        page.click(selector)


def test_a_customer_admin_creates_blocks_and_unblocks_a_user(browsing):
    admin = browsing.sign_in_as("a1.global_admin")
    admin.click(".sidebar a:has-text('Users')")
    assert path_of(admin) == "/admin/users/"
    assert admin.locator("[data-testid=user-list] tr", has_text="user@contoso.test").count() == 1
    screenshot(admin, "directory-users")

    admin.click("main a:has-text('Add a user')")
    admin.fill("input[name=username]", "mei")
    admin.fill("input[name=display_name]", "Mei Chen")
    admin.fill("input[name=job_title]", "Buyer")
    admin.check("input[name=admin_roles][value=user_admin]")
    submit(admin, "main form button[type=submit]")
    assert len(admin.locator(TEMPORARY_PASSWORD).inner_text()) == 16
    assert admin.locator("[data-testid=new-user-email]").inner_text() == "mei@contoso.partnerdesk.test"
    submit(admin, "main a:has-text('Continue')")

    assert admin.locator("main h1").inner_text() == "Mei Chen"
    submit(admin, "main button:has-text('Block sign-in')")
    assert "Sign-in blocked for Mei Chen" in admin.locator(".message-success").inner_text()
    assert admin.locator("[data-testid=sign-in-state]").inner_text().startswith("Blocked")
    assert User.objects.get(email="mei@contoso.partnerdesk.test").blocked
    screenshot(admin, "directory-user-detail")
    submit(admin, "main button:has-text('Unblock sign-in')")
    assert admin.locator("[data-testid=sign-in-state]").inner_text().startswith("Allowed")
    assert not User.objects.get(email="mei@contoso.partnerdesk.test").blocked


def test_a_customer_admin_adds_and_verifies_a_domain_against_dns(browsing, dns_server):
    admin = browsing.sign_in_as("a1.global_admin")
    admin.goto("/admin/domains/")
    admin.click("main a:has-text('Add a domain')")
    admin.fill("input[name=name]", "contoso.com")
    submit(admin, "main form button[type=submit]")
    record = admin.locator("[data-testid=txt-record]").inner_text()
    assert record == Domain.objects.get(name="contoso.com").txt_record
    screenshot(admin, "directory-domain-unverified")

    submit(admin, "main button:has-text('Verify')")
    problem = admin.locator("[data-testid=verify-problem]").inner_text()
    assert "does not exist in DNS" in problem and record in problem

    dns_server.publish("contoso.com", "v=spf1 -all", record)
    submit(admin, "main button:has-text('Verify')")
    assert "contoso.com is verified" in admin.locator(".message-success").inner_text()
    assert admin.locator("[data-testid=domain-status]").inner_text() == "Verified"
    admin.goto("/admin/domains/")
    submit(admin, "tr:has-text('contoso.com') button:has-text('Make default')")
    assert Domain.objects.get(name="contoso.com").is_default
    screenshot(admin, "directory-domains")


def test_a_stricter_password_policy_is_enforced_at_sign_in_and_on_change(browsing):
    admin = browsing.sign_in_as("a1.global_admin")
    admin.click(".sidebar a:has-text('Settings')")
    admin.fill("input[name=password_min_length]", "30")
    submit(admin, "[data-testid=security-form] button[type=submit]")
    assert "saved" in admin.locator(".message-success").inner_text()
    assert SecuritySettings.objects.get(organization=browsing.world.customer_a1).password_min_length == 30
    screenshot(admin, "directory-settings")

    person = browsing.sign_in_as("a1.user")  # its 23-character password no longer meets the policy
    assert path_of(person) == "/account/password/"
    person.fill("input[name=current_password]", PASSWORD)
    person.fill("input[name=new_password]", "Still-too-short-pass-1")
    person.fill("input[name=confirm_password]", "Still-too-short-pass-1")
    submit(person, "main form button[type=submit]")
    assert "at least 30 characters" in person.locator("main").inner_text()
    long_password = "A-long-enough-passphrase-for-30"
    person.fill("input[name=current_password]", PASSWORD)
    person.fill("input[name=new_password]", long_password)
    person.fill("input[name=confirm_password]", long_password)
    submit(person, "main form button[type=submit]")
    assert path_of(person) != "/account/password/"
    assert User.objects.get(pk=browsing.world.user("a1.user").pk).check_password(long_password)

    admin.goto("/admin/sign-ins/")
    row = admin.locator("[data-testid=sign-in-log] tr", has_text="user@contoso.test").first
    assert "Password shorter than the policy" in row.inner_text()
    screenshot(admin, "directory-sign-ins")


def test_a_partner_agent_blocks_a_user_on_behalf_and_the_customer_sees_who(browsing):
    agent = browsing.sign_in_as("a.admin_agent")
    agent.select_option("select#switch-org", label="Contoso")
    submit(agent, "form.switcher button[type=submit]")
    assert path_of(agent) == "/admin/"
    agent.click(".sidebar a:has-text('Users')")
    agent.fill("input[name=q]", "Privacy")
    submit(agent, "form.filters button[type=submit]")
    submit(agent, "[data-testid=user-list] a:has-text('Privacy')")
    submit(agent, "main button:has-text('Block sign-in')")
    assert User.objects.get(email="privacy_reader@contoso.test").blocked
    event = AuditEvent.objects.get(action="user.blocked")
    assert (event.actor_email, event.on_behalf_of_id) == (
        "admin_agent@fabrikam.test",
        browsing.world.customer_a1.pk,
    )

    customer = browsing.sign_in_as("a1.global_admin")
    customer.goto("/admin/audit/?action=user.blocked")
    row = customer.locator("[data-testid=audit-event]").first
    assert "(Fabrikam, acting for Contoso) blocked" in row.locator("[data-testid=sentence]").inner_text()
    row.locator("details summary").click()
    assert "admin_agent@fabrikam.test" in row.locator("details").inner_text()
    screenshot(customer, "directory-audit-on-behalf")


def test_a_customer_admin_imports_users_from_csv_twice(browsing, tmp_path):
    csv_file = tmp_path / "users.csv"
    csv_file.write_text(
        "user_principal_name,display_name,job_title,department,usage_location,phone\n"
        "li@contoso.partnerdesk.test,Li Na,Engineer,R&D,CN,\n"
        "wang@elsewhere.test,Wang Wei,,,,\n"
        "zhao@contoso.partnerdesk.test,,,,,\n"
    )
    admin = browsing.sign_in_as("a1.user_admin")
    admin.goto("/admin/users/")
    admin.click("main a:has-text('Import from CSV')")
    admin.set_input_files("input[name=file]", str(csv_file))
    submit(admin, "main form button[type=submit]")
    report = admin.locator("[data-testid=import-report]")
    assert "1 created, 0 already existed, 2 failed." in report.inner_text()
    assert "not a verified domain" in report.locator("tr", has_text="wang@elsewhere.test").inner_text()
    assert "display name is required" in report.locator("tr", has_text="zhao@").inner_text()
    screenshot(admin, "directory-import")

    admin.set_input_files("input[name=file]", str(csv_file))
    submit(admin, "main form button[type=submit]")
    assert (
        "0 created, 1 already existed, 2 failed." in admin.locator("[data-testid=import-report]").inner_text()
    )
    assert User.objects.filter(email="li@contoso.partnerdesk.test").count() == 1
