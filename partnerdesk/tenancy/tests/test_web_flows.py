"""The portals' forms do what the API does: create, edit, suspend, request and decide, with audit."""

from __future__ import annotations

from partnerdesk.accounts.models import User
from partnerdesk.audit.models import AuditEvent
from partnerdesk.tenancy.models import DelegatedRelationship, Organization
from partnerdesk.testing import database_state


def test_an_operator_admin_creates_a_partner_and_sees_the_temporary_password_once(web, world):
    client = web("operator.operator_admin")

    response = client.post(
        "/operator/partners/new/",
        {"name": "Proseware", "admin_name": "Pat", "admin_email": "pat@proseware.test", "country": "CN"},
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="temporary-password"' in html
    partner = Organization.objects.get(name="Proseware")
    assert partner.kind == "partner"
    assert User.objects.get(email="pat@proseware.test").must_change_password
    detail = client.get(f"/operator/partners/{partner.pk}/").content.decode()
    assert 'data-testid="temporary-password"' not in detail


def test_a_form_with_bad_input_is_re_rendered_with_the_message(web, world):
    before = database_state()

    response = web("operator.operator_admin").post(
        "/operator/partners/new/", {"name": "", "admin_name": "Pat", "admin_email": "not-an-email"}
    )

    assert response.status_code == 400
    assert b"Enter a valid email address." in response.content
    assert database_state() == before


def test_a_duplicate_admin_email_is_explained_on_the_form(web, world):
    before = database_state()

    response = web("operator.operator_admin").post(
        "/operator/partners/new/",
        {"name": "Proseware", "admin_name": "Pat", "admin_email": "admin@litware.test"},
    )

    assert response.status_code == 400
    assert b"A user with this e-mail already exists." in response.content
    assert database_state() == before


def test_an_operator_suspends_and_reactivates_a_partner(web, world):
    client = web("operator.operator_admin")
    path = f"/operator/partners/{world.partner_b.pk}/status/"

    client.post(path, {"suspended": "1", "reason": "Unpaid"})
    assert Organization.objects.get(pk=world.partner_b.pk).is_suspended
    client.post(path, {"suspended": "0"})

    assert not Organization.objects.get(pk=world.partner_b.pk).is_suspended
    assert [e.action for e in AuditEvent.objects.filter(organization=world.partner_b).order_by("id")] == [
        "partner.suspended",
        "partner.reactivated",
    ]


def test_a_suspended_partner_sees_the_banner_and_no_add_customer_button(web, world):
    Organization.objects.filter(pk=world.partner_a.pk).update(
        status="suspended", suspension_reason="Fraud review"
    )

    dashboard = web("a.admin_agent").get("/partner/").content.decode()
    customers = web("a.admin_agent").get("/partner/customers/")

    assert "Fraud review" in dashboard
    assert "/partner/customers/new/" not in dashboard
    assert customers.status_code == 200
    assert web("a.admin_agent").get("/partner/customers/new/").status_code == 403


def test_a_partner_agent_creates_a_customer_through_the_form(web, world):
    response = web("a.sales_agent").post(
        "/partner/customers/new/",
        {
            "name": "Fourth Coffee",
            "domain_prefix": "fourthcoffee",
            "admin_name": "Fei",
            "admin_email": "fei@fourthcoffee.test",
            "language": "zh-hans",
            "time_zone": "Asia/Shanghai",
            "billing_email": "ap@fourthcoffee.test",
        },
    )

    assert response.status_code == 200
    assert 'data-testid="temporary-password"' in response.content.decode()
    customer = Organization.objects.get(initial_domain="fourthcoffee.partnerdesk.test")
    assert customer.partner_id == world.partner_a.pk
    assert customer.billing_email == "ap@fourthcoffee.test"


def test_customers_are_searched_by_name_or_domain(web, world):
    client = web("a.helpdesk_agent")

    by_name = client.get("/partner/customers/?q=ada").content.decode()
    by_domain = client.get("/partner/customers/?q=contoso.partnerdesk").content.decode()

    assert ">Adatum</a>" in by_name and ">Contoso</a>" not in by_name
    assert ">Contoso</a>" in by_domain and ">Adatum</a>" not in by_domain


def test_the_relationship_request_and_acceptance_happen_in_the_portals(web, world):
    web("a.admin_agent").post(
        f"/partner/customers/{world.customer_a2.pk}/relationships/new/",
        {"name": "Support", "roles": ["service_support_admin"], "duration_days": "60"},
    )
    relationship = DelegatedRelationship.objects.get(customer=world.customer_a2)
    page = web("a2.global_admin").get("/admin/relationships/").content.decode()
    assert "Fabrikam" in page and "Accept" in page

    web("a2.global_admin").post(f"/admin/relationships/{relationship.pk}/accept/")

    relationship.refresh_from_db()
    assert relationship.status == "active"
    agent = web("a.helpdesk_agent")
    agent.post("/switch-organization/", {"organization": str(world.customer_a2.pk)})
    assert "Acting for Adatum" in agent.get("/admin/").content.decode()


def test_the_audit_page_filters_and_exports(web, world, api):
    api("operator.operator_admin").patch(f"/partners/{world.partner_a.pk}", {"phone": "42"})
    client = web("a.partner_global_admin")

    page = client.get("/partner/audit/?action=partner.updated").content.decode()
    export = client.get("/partner/audit/?action=partner.updated&format=csv")
    body = b"".join(export.streaming_content).decode()

    assert "partner.updated" in page
    assert export["Content-Type"].startswith("text/csv")
    assert body.splitlines()[0].startswith("id,at,actor")
    assert "partner.updated" in body and "operator_admin@operator.test" in body


def test_a_partner_global_admin_adds_a_team_member_and_blocks_them(web, world):
    client = web("a.partner_global_admin")

    created = client.post(
        "/partner/team/new/",
        {"email": "new@fabrikam.test", "display_name": "Nia", "roles": ["helpdesk_agent"]},
    )
    person = User.objects.get(email="new@fabrikam.test")
    client.post(f"/partner/team/{person.pk}/block/", {"blocked": "1"})

    assert 'data-testid="temporary-password"' in created.content.decode()
    assert person.organization_id == world.partner_a.pk
    assert User.objects.get(pk=person.pk).blocked


def test_a_role_from_another_kind_of_organization_is_refused(web, world):
    before = database_state()

    response = web("a.partner_global_admin").post(
        "/partner/team/new/",
        {"email": "new@fabrikam.test", "display_name": "Nia", "roles": ["operator_admin"]},
    )

    assert response.status_code == 400
    assert database_state() == before


def test_the_profile_creates_a_token_shown_once(web, world):
    client = web("a1.global_admin")

    client.post("/account/tokens/", {"name": "nightly export"})
    first = client.get("/account/profile/").content.decode()
    second = client.get("/account/profile/").content.decode()

    assert 'data-testid="new-token"' in first
    assert 'data-testid="new-token"' not in second
    assert "nightly export" in second


def test_the_profile_saves_language_and_time_zone(web, world):
    client = web("a1.global_admin")

    client.post("/account/profile/", {"display_name": "Chen", "language": "es", "time_zone": "Asia/Shanghai"})

    user = User.objects.get(email="global_admin@contoso.test")
    assert (user.display_name, user.language, user.time_zone) == ("Chen", "es", "Asia/Shanghai")
    assert client.get("/admin/").content.decode().startswith("<!doctype html>")


def test_times_are_shown_in_the_viewers_time_zone(web, world):
    from datetime import UTC, datetime

    AuditEvent.objects.create(
        at=datetime(2026, 1, 1, 0, 30, tzinfo=UTC),
        actor_email="x@x.test",
        channel="web",
        organization=world.customer_a1,
        partner=world.partner_a,
        object_type="tenancy.organization",
        object_id=str(world.customer_a1.pk),
        action="customer.updated",
    )
    User.objects.filter(email="global_admin@contoso.test").update(time_zone="Asia/Shanghai")
    User.objects.filter(email="partner_global_admin@fabrikam.test").update(time_zone="Europe/Madrid")

    shanghai = web("a1.global_admin").get("/admin/audit/").content.decode()
    madrid = web("a.partner_global_admin").get("/partner/audit/").content.decode()

    assert "Jan. 1, 2026, 8:30 a.m." in shanghai
    assert "Jan. 1, 2026, 1:30 a.m." in madrid


def test_the_customer_page_leads_to_its_subscriptions_and_requests(web, world):
    page = web("a.admin_agent").get(f"/partner/customers/{world.customer_a1.pk}/").content.decode()

    assert f"/partner/customers/{world.customer_a1.pk}/subscriptions/" in page
    assert f"/partner/support/?customer={world.customer_a1.pk}" in page


def test_adding_a_customer_continues_to_its_first_subscription(web, world):
    response = web("a.sales_agent").post(
        "/partner/customers/new/",
        {
            "name": "Fourth Coffee",
            "domain_prefix": "fourthcoffee",
            "admin_name": "Fei",
            "admin_email": "fei@fourthcoffee.test",
            "language": "en",
            "time_zone": "UTC",
        },
    )

    customer = Organization.objects.get(initial_domain="fourthcoffee.partnerdesk.test")
    assert f"/partner/customers/{customer.pk}/subscriptions/new/" in response.content.decode()


def test_the_form_says_why_a_prefix_is_refused_next_to_it(web, world):
    before = database_state()
    response = web("a.sales_agent").post(
        "/partner/customers/new/",
        {
            "name": "Northwind",
            "domain_prefix": "north wind!",
            "admin_name": "Nora",
            "admin_email": "nora@northwind.test",
            "language": "en",
            "time_zone": "UTC",
        },
    )

    assert response.status_code == 400
    assert "for example northwind" in response.content.decode()
    assert response.context["form"].errors["domain_prefix"]
    assert database_state() == before
