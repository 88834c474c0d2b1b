"""Partner users create, list, search, view and edit their own customers, and only theirs."""

from __future__ import annotations

import pytest

from partnerdesk.accounts.models import User
from partnerdesk.audit.models import AuditEvent
from partnerdesk.tenancy.models import Organization
from partnerdesk.testing import database_state

NEW_CUSTOMER = {
    "name": "Fourth Coffee",
    "domain_prefix": "fourthcoffee",
    "country": "CN",
    "language": "zh-hans",
    "time_zone": "Asia/Shanghai",
    "admin": {"email": "admin@fourthcoffee.test", "display_name": "Fei Fourth"},
}


def test_it_creates_a_customer_with_its_first_global_admin(api, world):
    response = api("a.admin_agent").post("/customers", NEW_CUSTOMER)

    assert response.status_code == 201
    body = response.json_body
    assert body["initial_domain"] == "fourthcoffee.partnerdesk.test"
    assert body["partner"] == {"id": str(world.partner_a.pk), "name": "Fabrikam"}
    customer = Organization.objects.get(pk=body["id"])
    assert customer.partner_id == world.partner_a.pk
    admin = User.objects.get(email="admin@fourthcoffee.test")
    assert admin.organization_id == customer.pk
    assert admin.must_change_password
    assert admin.check_password(body["admin"]["temporary_password"])
    assert list(admin.role_assignments.values_list("role", flat=True)) == ["global_admin"]
    event = AuditEvent.objects.get(action="customer.created")
    assert event.actor_organization_id == world.partner_a.pk
    assert event.partner_id == world.partner_a.pk


def test_it_refuses_a_taken_domain_prefix_and_creates_nothing(api, world):
    before = database_state()
    response = api("a.admin_agent").post("/customers", {**NEW_CUSTOMER, "domain_prefix": "contoso"})

    assert response.status_code == 409
    assert response.json_body["error"]["code"] == "domain_taken"
    assert database_state() == before


def test_it_refuses_an_unusable_domain_prefix(api, world):
    before = database_state()
    response = api("a.admin_agent").post("/customers", {**NEW_CUSTOMER, "domain_prefix": "---"})

    assert response.status_code == 400
    assert response.json_body["error"]["code"] == "invalid_domain_prefix"
    assert database_state() == before


def test_a_failed_admin_creation_leaves_no_half_created_customer(api, world):
    before = database_state()
    body = {**NEW_CUSTOMER, "admin": {"email": "admin@contoso.test".replace("admin", "global_admin")}}

    response = api("a.admin_agent").post("/customers", body)

    assert response.status_code == 409
    assert response.json_body["error"]["code"] == "email_taken"
    assert database_state() == before


def test_helpdesk_and_billing_admins_cannot_create_customers(api, world):
    before = database_state()
    for key in ("a.helpdesk_agent", "a.billing_admin", "a1.global_admin", "operator.operator_admin"):
        response = api(key).post("/customers", NEW_CUSTOMER)
        assert response.status_code == 403, key
    assert database_state() == before


def test_a_sales_agent_can_create_customers(api, world):
    assert api("a.sales_agent").post("/customers", NEW_CUSTOMER).status_code == 201


def test_it_lists_only_the_partners_own_customers(api, world):
    mine = api("a.helpdesk_agent").get("/customers")
    theirs = api("b.admin_agent").get("/customers")

    assert [c["name"] for c in mine.json_body["items"]] == ["Adatum", "Contoso"]
    assert [c["name"] for c in theirs.json_body["items"]] == ["Tailspin", "Wingtip"]


def test_it_searches_by_company_name_or_domain(api, world):
    client = api("a.admin_agent")

    assert [c["name"] for c in client.get("/customers?q=cont").json_body["items"]] == ["Contoso"]
    assert [c["name"] for c in client.get("/customers?q=adatum.partnerdesk").json_body["items"]] == ["Adatum"]


def test_it_pages_through_customers(api, world):
    client = api("a.admin_agent")
    first = client.get("/customers?limit=1").json_body
    second = client.get(f"/customers?limit=1&cursor={first['next_cursor']}").json_body

    assert [c["name"] for c in first["items"]] == ["Adatum"]
    assert [c["name"] for c in second["items"]] == ["Contoso"]
    assert second["next_cursor"] is None


@pytest.mark.parametrize("limit", [0, 201, -1])
def test_it_refuses_a_limit_out_of_range(api, world, limit):
    response = api("a.admin_agent").get(f"/customers?limit={limit}")

    assert response.status_code == 400
    assert response.json_body["error"]["code"] == "invalid_limit"


def test_another_partners_customer_is_404(api, world):
    response = api("b.admin_agent").get(f"/customers/{world.customer_a1.pk}")

    assert response.status_code == 404
    assert response.json_body["error"]["code"] == "not_found"


def test_the_billing_profile_is_shown_only_to_roles_allowed(api, world):
    path = f"/customers/{world.customer_a1.pk}"

    assert api("a.admin_agent").get(path).json_body["billing"]["billing_email"] == "billing@contoso.test"
    assert api("a.billing_admin").get(path).json_body["billing"]["billing_email"] == "billing@contoso.test"
    assert api("a.helpdesk_agent").get(path).json_body["billing"] is None


def test_a_helpdesk_agent_edits_the_profile_but_not_billing(api, world):
    path = f"/customers/{world.customer_a1.pk}"
    client = api("a.helpdesk_agent")

    edited = client.patch(path, {"phone": "+86 10 1111"})
    before = database_state()
    refused = client.patch(path, {"billing_email": "evil@example.test"})

    assert edited.status_code == 200
    assert edited.json_body["phone"] == "+86 10 1111"
    assert refused.status_code == 403
    assert database_state() == before


def test_a_billing_admin_edits_billing_but_not_the_profile(api, world):
    path = f"/customers/{world.customer_a1.pk}"
    client = api("a.billing_admin")

    edited = client.patch(path, {"billing_email": "ap@contoso.test"})
    before = database_state()
    refused = client.patch(path, {"name": "Renamed"})

    assert edited.status_code == 200
    assert edited.json_body["billing"]["billing_email"] == "ap@contoso.test"
    assert refused.status_code == 403
    assert database_state() == before
    event = AuditEvent.objects.get(action="customer.updated")
    assert event.before == {"billing_email": "billing@contoso.test"}
    assert event.after == {"billing_email": "ap@contoso.test"}


def test_another_partner_cannot_edit_my_customer(api, world):
    before = database_state()
    response = api("b.partner_global_admin").patch(f"/customers/{world.customer_a1.pk}", {"name": "Mine now"})

    assert response.status_code == 404
    assert database_state() == before


def test_a_customer_sees_only_itself(api, world):
    response = api("a1.global_admin").get("/customers")

    assert response.status_code == 403  # customers hold no customers.view: the partner center is not theirs
    assert api("a1.global_admin").get(f"/customers/{world.customer_a2.pk}").status_code == 403


def test_an_invalid_time_zone_is_refused(api, world):
    before = database_state()
    response = api("a.admin_agent").patch(f"/customers/{world.customer_a1.pk}", {"time_zone": "Mars/Olympus"})

    assert response.status_code == 400
    assert database_state() == before


@pytest.mark.parametrize("prefix", ["north wind!", "north-wind", "nörthwind", "north_wind"])
def test_a_typed_prefix_is_never_silently_changed(api, world, prefix):
    before = database_state()
    response = api("a.admin_agent").post("/customers", {**NEW_CUSTOMER, "domain_prefix": prefix})

    assert response.status_code == 400
    error = response.json_body["error"]
    assert error["code"] == "invalid_domain_prefix"
    assert "for example north" in error["message"]
    assert database_state() == before


def test_capitals_in_a_prefix_are_only_lower_cased(api, world):
    response = api("a.admin_agent").post("/customers", {**NEW_CUSTOMER, "domain_prefix": "FourthCoffee"})
    assert response.json_body["initial_domain"] == "fourthcoffee.partnerdesk.test"


def test_without_a_prefix_the_domain_comes_from_the_name(api, world):
    response = api("a.admin_agent").post("/customers", {**NEW_CUSTOMER, "domain_prefix": ""})
    assert response.json_body["initial_domain"] == "fourthcoffee.partnerdesk.test"
