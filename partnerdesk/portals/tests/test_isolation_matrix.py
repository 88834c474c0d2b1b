"""For every page and form: outsiders and wrong roles are refused, and nothing changes."""

from __future__ import annotations

import pytest

from partnerdesk.testing import assert_page_admits, database_state

# (page, who may see it, a wrong-role user, an outsider or None)
PAGES = [
    ("/operator/", "operator.communications_manager", "a.partner_global_admin", "a1.global_admin"),
    ("/operator/partners/", "operator.auditor", "operator.communications_manager", "a.partner_global_admin"),
    ("/operator/partners/new/", "operator.operator_admin", "operator.auditor", "a.partner_global_admin"),
    (
        "/operator/partners/{partner_a}/",
        "operator.support_engineer",
        "operator.communications_manager",
        "a.admin_agent",
    ),
    (
        "/operator/partners/{partner_a}/edit/",
        "operator.operator_admin",
        "operator.auditor",
        "a.partner_global_admin",
    ),
    ("/operator/team/", "operator.auditor", "operator.support_engineer", "a.partner_global_admin"),
    ("/operator/team/new/", "operator.operator_admin", "operator.auditor", "a.partner_global_admin"),
    ("/operator/audit/", "operator.auditor", "operator.support_engineer", "a.partner_global_admin"),
    ("/partner/", "a.billing_admin", "operator.operator_admin", "a1.global_admin"),
    ("/partner/customers/", "a.sales_agent", "a1.global_admin", "operator.communications_manager"),
    ("/partner/customers/new/", "a.sales_agent", "a.helpdesk_agent", "a1.global_admin"),
    ("/partner/customers/{customer_a1}/", "a.helpdesk_agent", "a1.global_admin", "b.admin_agent"),
    ("/partner/customers/{customer_a1}/edit/", "a.helpdesk_agent", "a1.global_admin", "b.admin_agent"),
    (
        "/partner/customers/{customer_a1}/relationships/new/",
        "a.admin_agent",
        "a.sales_agent",
        "b.admin_agent",
    ),
    ("/partner/relationships/", "a.helpdesk_agent", "a1.global_admin", "operator.communications_manager"),
    ("/partner/team/", "a.sales_agent", "a1.global_admin", "operator.operator_admin"),
    ("/partner/team/new/", "a.partner_global_admin", "a.admin_agent", "b.admin_agent"),
    ("/partner/audit/", "a.partner_global_admin", "a.sales_agent", "a1.global_admin"),
    ("/admin/", "a1.message_center_reader", "a1.user", "a.sales_agent"),
    ("/admin/relationships/", "a1.user_admin", "a1.service_support_admin", "a.partner_global_admin"),
    ("/admin/audit/", "a1.global_admin", "a1.user_admin", "a.partner_global_admin"),
    ("/account/profile/", "a1.user", None, None),
]


def _path(template: str, world) -> str:
    return template.format(
        partner_a=world.partner_a.pk, customer_a1=world.customer_a1.pk, relationship=world.relationship_a1.pk
    )


@pytest.mark.parametrize(("page", "allowed", "wrong_role", "outsider"), PAGES, ids=[p[0] for p in PAGES])
def test_each_page_admits_its_role_and_refuses_others(web, world, page, allowed, wrong_role, outsider):
    assert_page_admits(web, _path(page, world), allowed, wrong_role, outsider)


def test_another_partners_customer_page_is_404_not_403(web, world):
    assert web("b.admin_agent").get(f"/partner/customers/{world.customer_a1.pk}/").status_code == 404


# (form post, data, refused user, expected status)
POSTS = [
    (
        "/operator/partners/new/",
        {"name": "X", "admin_name": "X", "admin_email": "x@x.test"},
        "operator.auditor",
        403,
    ),
    (
        "/operator/partners/new/",
        {"name": "X", "admin_name": "X", "admin_email": "x@x.test"},
        "a.partner_global_admin",
        403,
    ),
    ("/operator/partners/{partner_a}/edit/", {"name": "Hijacked"}, "operator.auditor", 403),
    (
        "/operator/partners/{partner_a}/status/",
        {"suspended": "1", "reason": "x"},
        "operator.support_engineer",
        403,
    ),
    (
        "/operator/team/new/",
        {"email": "x@x.test", "display_name": "X", "roles": ["auditor"]},
        "operator.auditor",
        403,
    ),
    (
        "/partner/customers/new/",
        {
            "name": "X",
            "domain_prefix": "xx",
            "admin_name": "X",
            "admin_email": "x@x.test",
            "language": "en",
            "time_zone": "UTC",
        },
        "a.helpdesk_agent",
        403,
    ),
    (
        "/partner/customers/{customer_a1}/edit/",
        {"name": "Hijacked", "language": "en", "time_zone": "UTC"},
        "b.admin_agent",
        404,
    ),
    (
        "/partner/customers/{customer_a1}/relationships/new/",
        {"name": "X", "roles": ["global_admin"], "duration_days": 5},
        "a.sales_agent",
        403,
    ),
    (
        "/partner/customers/{customer_a1}/relationships/new/",
        {"name": "X", "roles": ["global_admin"], "duration_days": 5},
        "b.admin_agent",
        404,
    ),
    ("/partner/relationships/{relationship}/end/", {}, "b.admin_agent", 404),
    ("/partner/relationships/{relationship}/end/", {}, "a.helpdesk_agent", 403),
    (
        "/partner/team/new/",
        {"email": "x@x.test", "display_name": "X", "roles": ["admin_agent"]},
        "a.admin_agent",
        403,
    ),
    ("/admin/relationships/{relationship}/end/", {}, "a1.user_admin", 403),
    ("/admin/relationships/{relationship}/end/", {}, "b1.global_admin", 404),
    ("/admin/relationships/{relationship}/end/", {}, "a.admin_agent", 403),
]


@pytest.mark.parametrize(("page", "data", "refused", "status"), POSTS, ids=[f"{p[0]}-{p[2]}" for p in POSTS])
def test_each_form_refuses_and_changes_nothing(web, world, page, data, refused, status):
    before = database_state()

    response = web(refused).post(_path(page, world), data)

    assert response.status_code == status
    assert database_state() == before


def test_blocking_someone_in_another_organization_is_404(web, world):
    before = database_state()
    target = world.user("a.sales_agent")

    response = web("b.partner_global_admin").post(f"/partner/team/{target.pk}/block/", {"blocked": "1"})

    assert response.status_code == 404
    assert database_state() == before


def test_a_sales_agent_cannot_switch_into_a_customer(web, world):
    client = web("a.sales_agent")

    response = client.post("/switch-organization/", {"organization": str(world.customer_a1.pk)})

    assert response.url == "/"
    assert "acting_for" not in client.session
    assert client.get("/admin/").status_code == 403


def test_partner_agent_with_access_enters_the_admin_center_and_sees_the_banner(web, world):
    client = web("a.admin_agent")

    client.post("/switch-organization/", {"organization": str(world.customer_a1.pk)})
    page = client.get("/admin/")

    assert page.status_code == 200
    assert "Acting for Contoso as admin agent of Fabrikam" in page.content.decode()


def test_ending_the_relationship_sends_the_agent_back_on_the_next_request(web, world):
    agent = web("a.admin_agent")
    agent.post("/switch-organization/", {"organization": str(world.customer_a1.pk)})
    assert agent.get("/admin/").status_code == 200

    web("a1.global_admin").post(f"/admin/relationships/{world.relationship_a1.pk}/end/", {"confirmed": "1"})
    response = agent.get("/admin/")

    assert response.status_code == 302
    assert "acting_for" not in agent.session


def test_a_delegated_agent_cannot_accept_relationships_for_the_customer(web, world, api):
    pending = (
        api("a.admin_agent")
        .post(
            f"/customers/{world.customer_a1.pk}/relationship-requests",
            {"roles": ["privacy_reader"], "duration_days": 10},
        )
        .json_body["id"]
    )
    agent = web("a.admin_agent")
    agent.post("/switch-organization/", {"organization": str(world.customer_a1.pk)})
    before = database_state()

    response = agent.post(f"/admin/relationships/{pending}/accept/")

    assert response.status_code == 403
    assert database_state() == before


def test_a_billing_admins_edit_form_changes_billing_only(web, world):
    from partnerdesk.tenancy.models import Organization

    response = web("a.billing_admin").post(
        f"/partner/customers/{world.customer_a1.pk}/edit/",
        {"name": "Hijacked", "billing_contact": "Accounts payable", "billing_email": "ap@contoso.test"},
    )

    customer = Organization.objects.get(pk=world.customer_a1.pk)
    assert response.status_code == 302
    assert customer.name == "Contoso"
    assert customer.billing_email == "ap@contoso.test"


def test_a_helpdesk_agent_never_sees_the_billing_profile(web, world):
    page = web("a.helpdesk_agent").get(f"/partner/customers/{world.customer_a1.pk}/")
    form = web("a.helpdesk_agent").get(f"/partner/customers/{world.customer_a1.pk}/edit/")

    assert b"billing@contoso.test" not in page.content
    assert b"billing_email" not in form.content
