"""Delegated administration: request, accept, decline, end; acting on behalf, and losing it at once."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from partnerdesk.audit.models import AuditEvent
from partnerdesk.tenancy.models import DelegatedRelationship
from partnerdesk.testing import database_state

REQUEST = {"name": "Helpdesk access", "roles": ["service_support_admin", "user_admin"], "duration_days": 30}


def test_a_partner_requests_and_the_customer_accepts(api, world):
    requested = api("a.admin_agent").post(f"/customers/{world.customer_a2.pk}/relationship-requests", REQUEST)

    assert requested.status_code == 201
    assert requested.json_body["status"] == "pending"
    assert requested.json_body["expires_at"] is None
    relationship_id = requested.json_body["id"]

    seen = api("a2.global_admin").get("/relationships").json_body["items"]
    assert [r["id"] for r in seen] == [relationship_id]

    accepted = api("a2.global_admin").post(f"/relationships/{relationship_id}/accept")
    assert accepted.status_code == 200
    assert accepted.json_body["status"] == "active"
    relationship = DelegatedRelationship.objects.get(pk=relationship_id)
    assert relationship.expires_at is not None
    assert abs((relationship.expires_at - timezone.now()) - timedelta(days=30)) < timedelta(minutes=1)
    actions = list(
        AuditEvent.objects.filter(object_id=relationship_id).order_by("id").values_list("action", flat=True)
    )
    assert actions == ["relationship.requested", "relationship.accepted"]


def test_accepting_twice_applies_once(api, world):
    relationship_id = (
        api("a.admin_agent")
        .post(f"/customers/{world.customer_a2.pk}/relationship-requests", REQUEST)
        .json_body["id"]
    )
    client = api("a2.global_admin")
    client.post(f"/relationships/{relationship_id}/accept")
    before = database_state()

    again = client.post(f"/relationships/{relationship_id}/accept")

    assert again.status_code == 409
    assert again.json_body["error"]["code"] == "invalid_transition"
    assert database_state() == before


def test_a_customer_declines(api, world):
    relationship_id = (
        api("a.admin_agent")
        .post(f"/customers/{world.customer_a2.pk}/relationship-requests", REQUEST)
        .json_body["id"]
    )

    declined = api("a2.global_admin").post(f"/relationships/{relationship_id}/decline")

    assert declined.json_body["status"] == "declined"
    assert api("a.admin_agent", on_behalf_of=world.customer_a2.pk).get("/me").status_code == 403


def test_only_a_customer_global_admin_decides(api, world):
    relationship_id = (
        api("a.admin_agent")
        .post(f"/customers/{world.customer_a1.pk}/relationship-requests", REQUEST)
        .json_body["id"]
    )
    before = database_state()

    for key in ("a1.user_admin", "a1.service_support_admin", "a.partner_global_admin", "a2.global_admin"):
        response = api(key).post(f"/relationships/{relationship_id}/accept")
        assert response.status_code in (403, 404), key
    # A partner agent acting as the customer's global admin cannot approve its own access.
    acting = api("a.admin_agent", on_behalf_of=world.customer_a1.pk)
    assert acting.post(f"/relationships/{relationship_id}/accept").status_code == 403
    assert database_state() == before


def test_roles_outside_the_delegable_set_are_refused(api, world):
    before = database_state()
    for roles in (["user"], ["admin_agent"], [], ["nonsense"]):
        response = api("a.admin_agent").post(
            f"/customers/{world.customer_a2.pk}/relationship-requests", {**REQUEST, "roles": roles}
        )
        assert response.status_code in (400, 422), roles
    assert database_state() == before


def test_a_duration_beyond_two_years_is_refused(api, world):
    response = api("a.admin_agent").post(
        f"/customers/{world.customer_a2.pk}/relationship-requests", {**REQUEST, "duration_days": 731}
    )

    assert response.status_code == 400
    assert response.json_body["error"]["code"] == "invalid_duration"


def test_a_partner_cannot_request_access_to_another_partners_customer(api, world):
    before = database_state()
    response = api("b.admin_agent").post(f"/customers/{world.customer_a1.pk}/relationship-requests", REQUEST)

    assert response.status_code == 404
    assert database_state() == before


def test_sales_and_helpdesk_agents_cannot_request_relationships(api, world):
    before = database_state()
    for key in ("a.sales_agent", "a.helpdesk_agent", "a.billing_admin"):
        response = api(key).post(f"/customers/{world.customer_a2.pk}/relationship-requests", REQUEST)
        assert response.status_code == 403, key
    assert database_state() == before


def test_an_agent_acts_on_behalf_with_the_delegated_roles(api, world):
    me = api("a.admin_agent", on_behalf_of=world.customer_a1.pk).get("/me")

    assert me.status_code == 200
    assert me.json_body["organization"]["name"] == "Contoso"
    assert me.json_body["home_organization"]["name"] == "Fabrikam"
    assert me.json_body["roles"] == ["global_admin", "user_admin"]
    assert me.json_body["acting_on_behalf"] is True
    assert "relationships.manage" not in me.json_body["permissions"]
    assert "audit.view" in me.json_body["permissions"]


def test_a_sales_agent_cannot_administer_on_behalf(api, world):
    response = api("a.sales_agent", on_behalf_of=world.customer_a1.pk).get("/me")

    assert response.status_code == 403
    assert response.json_body["error"]["code"] == "no_delegated_access"


def test_no_relationship_means_no_access(api, world):
    response = api("a.admin_agent", on_behalf_of=world.customer_a2.pk).get("/me")

    assert response.status_code == 403
    assert response.json_body["error"]["code"] == "no_delegated_access"


def test_another_partner_cannot_act_for_my_customer(api, world):
    response = api("b.admin_agent", on_behalf_of=world.customer_a1.pk).get("/me")

    assert response.status_code == 403


def test_ending_the_relationship_cuts_access_on_the_next_request(api, world):
    acting = api("a.admin_agent", on_behalf_of=world.customer_a1.pk)
    assert acting.get("/me").status_code == 200

    ended = api("a1.global_admin").post(f"/relationships/{world.relationship_a1.pk}/end")

    assert ended.status_code == 200
    assert ended.json_body["status"] == "ended"
    assert acting.get("/me").status_code == 403
    event = AuditEvent.objects.get(action="relationship.ended")
    assert event.actor_email == "global_admin@contoso.test"


def test_an_expired_relationship_gives_no_access(api, world):
    DelegatedRelationship.objects.filter(pk=world.relationship_a1.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )

    assert api("a.admin_agent", on_behalf_of=world.customer_a1.pk).get("/me").status_code == 403
    listed = api("a1.global_admin").get("/relationships").json_body["items"]
    assert listed[0]["status"] == "expired"


def test_the_partner_can_end_its_own_access(api, world):
    response = api("a.admin_agent").post(f"/relationships/{world.relationship_a1.pk}/end")

    assert response.status_code == 200
    assert response.json_body["status"] == "ended"


def test_relationships_are_scoped(api, world):
    assert api("b.admin_agent").get("/relationships").json_body["items"] == []
    assert api("a2.global_admin").get("/relationships").json_body["items"] == []
    assert api("b.admin_agent").get(f"/relationships/{world.relationship_a1.pk}").status_code == 404
    assert api("b1.global_admin").post(f"/relationships/{world.relationship_a1.pk}/end").status_code == 404
