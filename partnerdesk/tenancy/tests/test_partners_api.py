"""Operator admins create, list, edit, suspend and reactivate partners through the API."""

from __future__ import annotations

from partnerdesk.audit.models import AuditEvent
from partnerdesk.tenancy.models import Organization
from partnerdesk.testing import database_state

NEW_PARTNER = {
    "name": "Proseware",
    "contact_email": "help@proseware.test",
    "country": "CN",
    "admin": {"email": "admin@proseware.test", "display_name": "Pat Proseware"},
}


def test_it_creates_a_partner_with_its_first_admin(api, world):
    response = api("operator.operator_admin").post("/partners", NEW_PARTNER)

    assert response.status_code == 201
    body = response.json_body
    assert body["name"] == "Proseware"
    assert body["status"] == "active"
    assert body["admin"]["email"] == "admin@proseware.test"
    assert len(body["admin"]["temporary_password"]) == 16
    partner = Organization.objects.get(pk=body["id"])
    admin = partner.users.get()
    assert admin.must_change_password is True
    assert admin.check_password(body["admin"]["temporary_password"])
    assert list(admin.role_assignments.values_list("role", flat=True)) == ["partner_global_admin"]
    actions = set(AuditEvent.objects.filter(organization=partner).values_list("action", flat=True))
    assert actions == {"partner.created", "user.created"}


def test_it_refuses_a_duplicate_admin_email_and_creates_nothing(api, world):
    before = database_state()
    body = {**NEW_PARTNER, "admin": {"email": "admin@litware.test", "display_name": "X"}}

    response = api("operator.operator_admin").post("/partners", body)

    assert response.status_code == 409
    assert response.json_body["error"]["code"] == "email_taken"
    assert database_state() == before


def test_it_rejects_bad_input_with_a_stable_code(api, world):
    before = database_state()
    response = api("operator.operator_admin").post("/partners", {"name": "", "admin": {"email": "nope"}})

    assert response.status_code == 422
    assert response.json_body["error"]["code"] == "validation_error"
    assert response.json_body["error"]["message"]
    assert database_state() == before


def test_it_lists_partners_with_keyset_pagination(api, world):
    client = api("operator.auditor")
    first = client.get("/partners?limit=1")
    second = client.get(f"/partners?limit=1&cursor={first.json_body['next_cursor']}")

    assert first.status_code == 200
    assert [p["name"] for p in first.json_body["items"]] == ["Fabrikam"]
    assert [p["name"] for p in second.json_body["items"]] == ["Litware"]
    assert second.json_body["next_cursor"] is None


def test_it_rejects_a_garbled_cursor(api, world):
    response = api("operator.operator_admin").get("/partners?cursor=not-a-cursor")

    assert response.status_code == 400
    assert response.json_body["error"]["code"] == "invalid_cursor"


def test_it_searches_partners_by_name(api, world):
    response = api("operator.operator_admin").get("/partners?q=lit")

    assert [p["name"] for p in response.json_body["items"]] == ["Litware"]


def test_it_edits_a_partner_and_audits_before_and_after(api, world):
    response = api("operator.operator_admin").patch(
        f"/partners/{world.partner_b.pk}", {"phone": "+86 21 1234", "name": "Litware Ltd"}
    )

    assert response.status_code == 200
    assert response.json_body["name"] == "Litware Ltd"
    event = AuditEvent.objects.get(action="partner.updated")
    assert event.before == {"name": "Litware", "phone": ""}
    assert event.after == {"name": "Litware Ltd", "phone": "+86 21 1234"}
    assert event.actor_email == "operator_admin@operator.test"
    assert event.channel == "api"


def test_it_suspends_a_partner_with_a_reason(api, world):
    response = api("operator.operator_admin").patch(
        f"/partners/{world.partner_a.pk}", {"status": "suspended", "suspension_reason": "Unpaid invoices"}
    )

    assert response.status_code == 200
    assert response.json_body["status"] == "suspended"
    event = AuditEvent.objects.get(action="partner.suspended")
    assert event.reason == "Unpaid invoices"
    assert event.organization_id == world.partner_a.pk


def test_it_requires_a_reason_to_suspend(api, world):
    before = database_state()
    response = api("operator.operator_admin").patch(
        f"/partners/{world.partner_a.pk}", {"status": "suspended"}
    )

    assert response.status_code == 400
    assert response.json_body["error"]["code"] == "reason_required"
    assert database_state() == before


def test_a_suspended_partner_sees_customers_but_cannot_create_them(api, world):
    api("operator.operator_admin").patch(
        f"/partners/{world.partner_a.pk}", {"status": "suspended", "suspension_reason": "Fraud review"}
    )
    agent = api("a.admin_agent")
    before = database_state()

    listed = agent.get("/customers")
    created = agent.post(
        "/customers", {"name": "Blocked Co", "domain_prefix": "blocked", "admin": {"email": "a@blocked.test"}}
    )

    assert listed.status_code == 200
    assert {c["name"] for c in listed.json_body["items"]} == {"Contoso", "Adatum"}
    assert created.status_code == 403
    assert created.json_body["error"]["code"] == "partner_suspended"
    assert "Fabrikam" in created.json_body["error"]["message"]
    assert database_state() == before


def test_it_reactivates_a_partner(api, world):
    client = api("operator.operator_admin")
    client.patch(f"/partners/{world.partner_a.pk}", {"status": "suspended", "suspension_reason": "Review"})

    response = client.patch(f"/partners/{world.partner_a.pk}", {"status": "active"})

    assert response.json_body["status"] == "active"
    assert response.json_body["suspension_reason"] == ""
    assert AuditEvent.objects.filter(action="partner.reactivated").count() == 1


def test_partners_and_customers_cannot_manage_partners(api, world):
    before = database_state()
    for key in ("a.partner_global_admin", "a1.global_admin", "operator.support_engineer", "operator.auditor"):
        client = api(key)
        assert client.post("/partners", NEW_PARTNER).status_code == 403, key
        assert client.patch(f"/partners/{world.partner_b.pk}", {"name": "Hijacked"}).status_code == 403, key
    assert database_state() == before


def test_partner_users_cannot_list_partners(api, world):
    assert api("a.partner_global_admin").get("/partners").status_code == 403
    assert api("a1.global_admin").get(f"/partners/{world.partner_a.pk}").status_code == 403


def test_an_anonymous_caller_gets_401(api, world):
    response = api(None).get("/partners")

    assert response.status_code == 401
    assert response.json_body["error"]["code"] == "not_authenticated"


def test_an_unknown_partner_is_404(api, world):
    assert api("operator.operator_admin").get("/partners/not-a-uuid").status_code == 404
    assert api("operator.operator_admin").get(f"/partners/{world.customer_a1.pk}").status_code == 404
