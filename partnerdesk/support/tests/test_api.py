"""The support API: customer → partner → operator and back, each side seeing only what it may."""

from __future__ import annotations

from partnerdesk.audit.models import AuditEvent
from partnerdesk.support.models import Message, ServiceRequest, SupportRequest
from partnerdesk.support.tests.conftest import open_request
from partnerdesk.testing import database_state, received


def test_the_whole_path_in_the_api(api, world, topic, service, smtp_server):
    customer = api("a1.global_admin")
    agent = api("a.admin_agent")
    engineer = api("operator.support_engineer")

    created = open_request(customer, service_id=str(service.pk))
    assert created.status_code == 201, created.json_body
    request_id = created.json_body["id"]
    assert created.json_body["status"] == "open"
    assert created.json_body["number"].startswith("SUP")
    assert created.json_body["first_response_due_at"] is not None

    reply = agent.post(f"/support-requests/{request_id}/messages", {"body": "Looking into it now."})
    assert reply.status_code == 201
    internal = agent.post(
        f"/support-requests/{request_id}/messages",
        {"body": "Looks like an operator-side outage.", "visibility": "internal"},
    )
    assert internal.status_code == 201
    seen_by_customer = [
        m["body"] for m in customer.get(f"/support-requests/{request_id}/messages").json_body["items"]
    ]
    assert "Looking into it now." in seen_by_customer
    assert "Looks like an operator-side outage." not in seen_by_customer

    escalated = agent.post(
        f"/support-requests/{request_id}/escalate",
        {"topic_id": str(topic.pk), "severity": "critical", "shared_message_ids": [reply.json_body["id"]]},
    )
    assert escalated.status_code == 201, escalated.json_body
    service_request_id = escalated.json_body["id"]
    assert escalated.json_body["customer"]["name"] == "Contoso"
    assert escalated.json_body["support_request_id"] == request_id
    assert customer.get(f"/support-requests/{request_id}").json_body["escalated"] is True
    assert customer.get(f"/service-requests/{service_request_id}").status_code == 403

    seen = engineer.get(f"/service-requests/{service_request_id}")
    assert seen.status_code == 200
    assert seen.json_body["support_request_id"] is None
    shared = [
        n["body"] for n in engineer.get(f"/service-requests/{service_request_id}/notes").json_body["items"]
    ]
    assert shared == ["Looking into it now."]  # the internal note was not shared

    engineer.post(
        f"/service-requests/{service_request_id}/notes",
        {"body": "Engineering thinks it is the relay.", "kind": "operator_internal"},
    )
    asked = engineer.post(
        f"/service-requests/{service_request_id}/notes", {"body": "Which mailbox? Send a message trace."}
    )
    assert asked.status_code == 201
    waiting = engineer.patch(f"/service-requests/{service_request_id}", {"status": "attention_needed"})
    assert waiting.json_body["status"] == "attention_needed"
    assert waiting.json_body["sla_state"] == "paused"

    partner_notes = [
        n["body"] for n in agent.get(f"/service-requests/{service_request_id}/notes").json_body["items"]
    ]
    assert "Which mailbox? Send a message trace." in partner_notes
    assert "Engineering thinks it is the relay." not in partner_notes
    answered = agent.post(f"/service-requests/{service_request_id}/notes", {"body": "ceo@contoso.test"})
    assert answered.status_code == 201
    assert agent.get(f"/service-requests/{service_request_id}").json_body["status"] == "open"

    closed = engineer.patch(
        f"/service-requests/{service_request_id}", {"status": "closed", "resolution": "Relay fixed."}
    )
    assert closed.json_body["status"] == "closed"

    agent.post(f"/support-requests/{request_id}/messages", {"body": "The operator fixed the relay."})
    resolved = agent.patch(f"/support-requests/{request_id}", {"status": "resolved"})
    assert resolved.json_body["status"] == "resolved"
    final = [m["body"] for m in customer.get(f"/support-requests/{request_id}/messages").json_body["items"]]
    assert "The operator fixed the relay." in final
    assert not any("relay" in body.lower() and "engineering" in body.lower() for body in final)
    assert "Which mailbox? Send a message trace." not in final

    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {
        "support_request.created",
        "support_request.replied",
        "support_request.note_added",
        "support_request.escalated",
        "service_request.created",
        "service_request.operator_internal",
        "service_request.to_partner",
        "service_request.attention_needed",
        "service_request.from_partner",
        "service_request.closed",
        "support_request.resolved",
    } <= actions

    sent = [(m["To"], m["Subject"]) for m in received(smtp_server)]
    customer_mail = [s for to, s in sent if to in ("global_admin@contoso.test", "chen@contoso.test")]
    assert any("New reply" in s for s in customer_mail)
    assert any("Escalated to the operator" in s for s in customer_mail)
    assert not any("service request" in s.lower() for s in customer_mail)
    assert any(to == "support_engineer@operator.test" and "New service request" in s for to, s in sent)
    assert any(to == "admin_agent@fabrikam.test" and "New note" in s for to, s in sent)
    # The customer never hears of the operator's notes; the operator never gets the customer's mail.
    assert not any(to.endswith("@operator.test") and "SUP" in s for to, s in sent)


def test_a_customer_cannot_file_with_the_operator_and_is_told_to_contact_its_partner(api, world, topic):
    before = database_state()

    response = api("a1.global_admin").post(
        "/service-requests",
        {"title": "Help", "description": "Please", "severity": "minimal", "topic_id": str(topic.pk)},
    )

    assert response.status_code == 403
    assert response.json_body["error"]["code"] == "customer_cannot_contact_operator"
    assert "Fabrikam" in response.json_body["error"]["message"]
    assert database_state() == before


def test_a_partner_files_its_own_service_request(api, world, topic):
    response = api("a.helpdesk_agent").post(
        "/service-requests",
        {
            "title": "Invoice wrong",
            "description": "October",
            "severity": "minimal",
            "topic_id": str(topic.pk),
        },
    )

    assert response.status_code == 201
    assert response.json_body["customer"] is None
    assert response.json_body["contact"]["email"] == "helpdesk_agent@fabrikam.test"
    listed = api("operator.support_engineer").get("/service-requests?customer=none").json_body["items"]
    assert [r["title"] for r in listed] == ["Invoice wrong"]
    assert api("b.admin_agent").get(f"/service-requests/{response.json_body['id']}").status_code == 404


def test_a_retried_create_with_the_same_idempotency_key_returns_the_first_result(api, world):
    client = api("a1.service_support_admin")
    headers = {"Idempotency-Key": "retry-1"}

    first = open_request(client, headers=headers)
    second = open_request(client, headers=headers)
    other = open_request(client, headers={"Idempotency-Key": "retry-2"})

    assert first.status_code == second.status_code == 201
    assert first.json_body["id"] == second.json_body["id"]
    assert other.json_body["id"] != first.json_body["id"]
    assert SupportRequest.objects.count() == 2


def test_outsiders_get_404_and_change_nothing(api, world):
    request_id = open_request(api("a1.global_admin")).json_body["id"]
    before = database_state()

    outsider = api("b.admin_agent")
    assert outsider.get(f"/support-requests/{request_id}").status_code == 404
    assert outsider.patch(f"/support-requests/{request_id}", {"status": "closed"}).status_code == 404
    assert outsider.post(f"/support-requests/{request_id}/messages", {"body": "hi"}).status_code == 404
    assert api("a2.global_admin").get(f"/support-requests/{request_id}").status_code == 404
    assert api("b.admin_agent").get("/support-requests").json_body["items"] == []
    assert database_state() == before


def test_wrong_roles_are_refused_and_change_nothing(api, world, topic):
    request_id = open_request(api("a1.global_admin")).json_body["id"]
    before = database_state()

    assert api("a.sales_agent").get("/support-requests").status_code == 403
    assert (
        api("a.billing_admin").post(f"/support-requests/{request_id}/messages", {"body": "x"}).status_code
        == 403
    )
    assert api("a1.user_admin").get("/support-requests").status_code == 403
    assert open_request(api("a1.user_admin")).status_code == 403
    assert api("operator.support_engineer").get(f"/support-requests/{request_id}").status_code == 403
    escalate = api("a.sales_agent").post(
        f"/support-requests/{request_id}/escalate", {"topic_id": str(topic.pk), "severity": "minimal"}
    )
    assert escalate.status_code == 403
    internal = api("a1.global_admin").post(
        f"/support-requests/{request_id}/messages", {"body": "x", "visibility": "internal"}
    )
    assert internal.json_body["error"]["code"] == "internal_notes_partner_only"
    assert (
        api("a1.global_admin").patch(f"/support-requests/{request_id}", {"status": "resolved"}).status_code
        == 403
    )
    assert api("operator.communications_manager").get("/service-requests").status_code == 403
    assert database_state() == before


def test_anonymous_callers_get_401(api, world):
    assert api(None).get("/support-requests").status_code == 401
    assert api(None).post("/service-requests", {}).status_code == 401


def test_invalid_input_is_422(api, world):
    before = database_state()

    response = api("a1.global_admin").post("/support-requests", {"title": "", "severity": "urgent"})

    assert response.status_code == 422
    assert response.json_body["error"]["code"] == "validation_error"
    assert database_state() == before


def test_a_delegated_partner_agent_opens_a_request_for_the_customer(api, world):
    client = api("a.admin_agent", on_behalf_of=world.customer_a1.pk)

    response = open_request(client)

    assert response.status_code == 201
    event = AuditEvent.objects.get(action="support_request.created")
    assert event.on_behalf_of_id == world.customer_a1.pk
    assert event.actor_email == "admin_agent@fabrikam.test"


def test_the_customer_closes_and_reopens_within_the_period_only(api, world, settings):
    customer = api("a1.global_admin")
    request_id = open_request(customer).json_body["id"]

    assert (
        customer.patch(f"/support-requests/{request_id}", {"status": "closed"}).json_body["status"]
        == "closed"
    )
    assert customer.patch(f"/support-requests/{request_id}", {"status": "open"}).json_body["status"] == "open"

    customer.patch(f"/support-requests/{request_id}", {"status": "closed"})
    settings.SUPPORT_REOPEN_DAYS = 0
    SupportRequest.objects.filter(pk=request_id).update(
        closed_at=SupportRequest.objects.get(pk=request_id).closed_at.replace(year=2020)
    )
    refused = customer.patch(f"/support-requests/{request_id}", {"status": "open"})
    assert refused.status_code == 409
    assert refused.json_body["error"]["code"] == "reopen_period_over"


def test_the_partner_assigns_an_agent_and_filters_its_queue(api, world):
    customer = api("a1.global_admin")
    first = open_request(customer, severity="critical").json_body["id"]
    open_request(customer, severity="minimal")
    agent = api("a.admin_agent")
    helpdesk = world.user("a.helpdesk_agent")

    assigned = agent.patch(f"/support-requests/{first}", {"assignee_id": str(helpdesk.pk)})
    assert assigned.json_body["assignee"]["email"] == helpdesk.email
    assert [
        r["id"] for r in agent.get(f"/support-requests?assignee_id={helpdesk.pk}").json_body["items"]
    ] == [first]
    assert len(agent.get("/support-requests?severity=minimal").json_body["items"]) == 1
    sales = world.user("a.sales_agent")
    refused = agent.patch(f"/support-requests/{first}", {"assignee_id": str(sales.pk)})
    assert refused.json_body["error"]["code"] == "invalid_assignee"


def test_waiting_on_the_customer_pauses_the_clock_until_the_customer_replies(api, world):
    customer = api("a1.global_admin")
    agent = api("a.admin_agent")
    request_id = open_request(customer).json_body["id"]

    paused = agent.patch(f"/support-requests/{request_id}", {"status": "waiting_on_customer"}).json_body
    assert paused["sla_state"] == "paused"
    assert paused["resolution_due_at"] is None
    customer.post(f"/support-requests/{request_id}/messages", {"body": "Here is the trace."})
    resumed = customer.get(f"/support-requests/{request_id}").json_body
    assert resumed["status"] == "open"
    assert resumed["resolution_due_at"] is not None


def test_support_topics_are_for_partners_and_the_operator(api, world, topic):
    assert [t["name"] for t in api("a.admin_agent").get("/support-topics").json_body["items"]] == [topic.name]
    assert api("a1.global_admin").get("/support-topics").status_code == 403


def test_escalating_twice_is_a_conflict(api, world, topic):
    request_id = open_request(api("a1.global_admin")).json_body["id"]
    agent = api("a.admin_agent")
    body = {"topic_id": str(topic.pk), "severity": "moderate"}

    assert agent.post(f"/support-requests/{request_id}/escalate", body).status_code == 201
    again = agent.post(f"/support-requests/{request_id}/escalate", body)

    assert again.status_code == 409
    assert ServiceRequest.objects.count() == 1
    assert Message.objects.filter(source="system").count() == 1


def test_the_support_profile_deflections_merging_topics_and_flags(api, world, topic):
    partner = api("a.partner_global_admin")
    customer = api("a1.global_admin")

    patched = partner.patch("/support-profile", {"email": "desk@fabrikam.test", "hours": "24x7"})
    assert patched.json_body["email"] == "desk@fabrikam.test"
    assert customer.get("/support-profile").json_body["hours"] == "24x7"
    assert api("a.admin_agent").patch("/support-profile", {"hours": "x"}).status_code == 403

    assert customer.post("/deflections", {"query": "password"}).status_code == 201
    assert api("a.admin_agent").post("/deflections", {}).status_code == 403

    first = open_request(customer).json_body["id"]
    second = open_request(customer).json_body["id"]
    merged = api("a.helpdesk_agent").post(f"/support-requests/{second}/merge", {"into_id": first})
    assert merged.json_body["status"] == "closed"
    assert merged.json_body["merged_into"].startswith("SUP")

    assert api("operator.support_engineer").post("/support-topics", {"name": "Billing"}).status_code == 201
    assert api("a.admin_agent").post("/support-topics", {"name": "Mine"}).status_code == 403

    flagged = api("operator.support_engineer").post(
        f"/partners/{world.partner_a.pk}/flags",
        {"reason": "Password reset escalated", "remediation": "Training"},
    )
    assert flagged.status_code == 201
    assert [f["reason"] for f in api("a.admin_agent").get("/partner-flags").json_body["items"]] == [
        "Password reset escalated"
    ]
    assert api("b.admin_agent").get("/partner-flags").json_body["items"] == []
    before = database_state()
    assert (
        api("a.admin_agent")
        .post(f"/partners/{world.partner_a.pk}/flags", {"reason": "x", "remediation": "y"})
        .status_code
        == 403
    )
    assert (
        api("operator.support_engineer")
        .post(f"/partners/{world.customer_a1.pk}/flags", {"reason": "x", "remediation": "y"})
        .status_code
        == 404
    )
    assert database_state() == before


def test_self_help_search_in_the_api(api, world, service):
    from partnerdesk.access.principal import principal_for
    from partnerdesk.support import knowledge

    knowledge.save_article(
        principal_for(world.user("operator.support_engineer")),
        title="Mailbox full",
        body="Archive old items to free mailbox space.",
        language="en",
        services=[service],
    )

    found = api("a1.global_admin").get("/help-articles?q=mailbox+space")

    assert [a["title"] for a in found.json_body["items"]] == ["Mailbox full"]
    assert found.json_body["next_cursor"] is None
    assert api("a1.global_admin").get("/help-articles?q=").status_code == 400


def test_self_help_search_refuses_a_malformed_service_id(api, world) -> None:
    for key in ("a1.global_admin", "a.admin_agent"):
        response = api(key).get("/help-articles?q=mail&service_id=not-a-uuid")

        assert response.status_code == 400
        assert response.json_body["error"]["code"] == "invalid_service"


def test_two_requests_cannot_be_merged_into_each_other(api, world) -> None:
    customer = api("a1.global_admin")
    agent = api("a.admin_agent")
    first = open_request(customer).json_body["id"]
    second = open_request(customer).json_body["id"]
    assert agent.post(f"/support-requests/{second}/merge", {"into_id": first}).status_code == 200
    before = database_state()

    back = agent.post(f"/support-requests/{first}/merge", {"into_id": second})

    assert back.status_code == 409
    assert back.json_body["error"]["code"] == "request_merged"
    assert database_state() == before
    assert SupportRequest.objects.get(pk=first).merged_into_id is None


def test_audit_logs_keep_each_sides_internals(api, world, topic) -> None:
    """The customer's audit log shows nothing of the service request nor of partner-internal notes;
    the partner's shows nothing of the operator's internal notes."""
    customer, agent, engineer = api("a1.global_admin"), api("a.admin_agent"), api("operator.support_engineer")
    request_id = open_request(customer).json_body["id"]
    agent.post(f"/support-requests/{request_id}/messages", {"body": "x", "visibility": "internal"})
    escalated = agent.post(
        f"/support-requests/{request_id}/escalate", {"topic_id": str(topic.pk), "severity": "minimal"}
    )
    service_id = escalated.json_body["id"]
    engineer.post(f"/service-requests/{service_id}/notes", {"body": "y", "kind": "operator_internal"})
    engineer.post(f"/service-requests/{service_id}/notes", {"body": "z", "kind": "to_partner"})
    closed = engineer.patch(
        f"/service-requests/{service_id}", {"status": "closed", "resolution": "Operator-side resolution"}
    )
    assert closed.status_code == 200

    seen_by_customer = customer.get("/audit-events?limit=100").json_body["items"]
    seen_by_partner = api("a.partner_global_admin").get("/audit-events?limit=100").json_body["items"]

    customer_actions = {e["action"] for e in seen_by_customer}
    assert "support_request.escalated" in customer_actions
    assert not {a for a in customer_actions if a.startswith("service_request.")}
    assert "support_request.note_added" not in customer_actions
    assert "Operator-side resolution" not in str(seen_by_customer)
    partner_actions = {e["action"] for e in seen_by_partner}
    assert {"service_request.created", "service_request.to_partner", "support_request.note_added"} <= (
        partner_actions
    )
    assert "service_request.operator_internal" not in partner_actions


def test_a_flag_s_text_of_spaces_is_still_the_service_s_refusal(api, world):
    """`FlagIn` keeps its texts as sent: one of spaces is the 400 `field_required` it always was."""
    flagged = api("operator.support_engineer").post(
        f"/partners/{world.partner_a.pk}/flags", {"reason": "   ", "remediation": "Training"}
    )

    assert flagged.status_code == 400 and flagged.json_body["error"]["code"] == "field_required"
