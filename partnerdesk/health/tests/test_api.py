"""The native API: the operator publishes, audiences decide who reads, each admin keeps own state."""

from __future__ import annotations

import pytest

from partnerdesk.catalog.models import Service
from partnerdesk.health.models import HealthIssue, MessagePost, MessageViewState
from partnerdesk.health.testing import post_exchange_incident
from partnerdesk.testing import database_state

pytestmark = pytest.mark.django_db


def _message(api, catalog, world, **extra):
    body = {
        "title": "Retiring basic authentication",
        "body": "We will **retire** basic auth. <script>alert(1)</script>",
        "category": "plan_for_change",
        "severity": "high",
        "is_major_change": True,
        "services": [str(catalog.exchange.pk)],
        "tags": ["retirement", "admin_impact"],
        "audience": {"type": "partner_customers", "partner_id": str(world.partner_a.pk)},
        "publish": True,
        **extra,
    }
    response = api("operator.communications_manager").post("/messages", body)
    assert response.status_code == 201, response.json_body
    return response.json_body


def test_publishing_an_issue_degrades_the_service_and_records_history(api, world, catalog):
    issue = post_exchange_incident(api, catalog)

    assert issue["display_id"].startswith("HI")
    exchange = Service.objects.get(pk=catalog.exchange.pk)
    assert exchange.status == "service_degradation"
    assert list(exchange.status_changes.values_list("status", flat=True)) == ["service_degradation"]

    operator = api("operator.communications_manager")
    response = operator.post(
        f"/health/issues/{issue['id']}/posts", {"body": "Fixed.", "status": "service_restored"}
    )
    assert response.status_code == 201
    exchange.refresh_from_db()
    assert exchange.status == "service_operational"
    assert list(exchange.status_changes.order_by("at").values_list("status", flat=True)) == [
        "service_degradation",
        "service_operational",
    ]
    detail = operator.get(f"/health/issues/{issue['id']}").json_body
    assert [p["status"] for p in detail["posts"]] == ["service_degradation", "service_restored"]
    assert detail["end_at"] is not None


def test_worst_open_issue_wins(api, world, catalog):
    post_exchange_incident(api, catalog, status="investigating")
    post_exchange_incident(api, catalog, status="service_interruption")
    assert Service.objects.get(pk=catalog.exchange.pk).status == "service_interruption"


def test_a_draft_issue_is_invisible_and_does_not_change_status(api, world, catalog):
    issue = post_exchange_incident(api, catalog, publish=False)
    assert Service.objects.get(pk=catalog.exchange.pk).status == "service_operational"
    assert api("a1.global_admin").get(f"/health/issues/{issue['id']}").status_code == 404
    assert api("a.admin_agent").get(f"/health/issues/{issue['id']}").status_code == 404
    assert api("operator.auditor").get(f"/health/issues/{issue['id']}").status_code == 200


def test_revising_a_published_issue_is_visible(api, world, catalog):
    issue = post_exchange_incident(api, catalog)
    response = api("operator.communications_manager").patch(
        f"/health/issues/{issue['id']}", {"title": "Mail delivery delays in China North", "note": "Narrowed"}
    )
    assert response.status_code == 200
    assert response.json_body["revisions"][0]["before"] == {"title": "Mail delivery delays"}
    assert response.json_body["revisions"][0]["note"] == "Narrowed"


def test_issue_visibility_follows_entitlement(api, world, catalog):
    issue = post_exchange_incident(api, catalog)
    path = f"/health/issues/{issue['id']}"

    assert api("a1.global_admin").get(path).status_code == 200
    assert api("b1.global_admin").get(path).status_code == 200  # also has Exchange
    assert api("a2.global_admin").get(path).status_code == 404  # Teams only
    assert [i["id"] for i in api("a2.global_admin").get("/health/issues").json_body["items"]] == []
    assert api("a1.message_center_reader").get(path).status_code == 403
    assert api("a.sales_agent").get(path).status_code == 403
    assert api(None).get(path).status_code == 401


def test_customer_sees_only_its_entitled_services(api, world, catalog):
    names = [s["name"] for s in api("a2.global_admin").get("/health/services").json_body["items"]]
    assert names == ["Microsoft Teams"]


def test_partner_sees_which_of_its_customers_an_issue_affects(api, world, catalog):
    issue = post_exchange_incident(api, catalog)
    response = api("a.admin_agent").get(f"/health/issues/{issue['id']}/affected-customers")
    assert [c["name"] for c in response.json_body["items"]] == ["Contoso"]
    response = api("b.admin_agent").get(f"/health/issues/{issue['id']}/affected-customers")
    assert [c["name"] for c in response.json_body["items"]] == ["Tailspin"]


def test_create_message_with_an_audience_writes_no_row_per_tenant(api, world, catalog):
    before = {k: len(v) for k, v in database_state().items()}
    post = _message(api, catalog, world)
    after = {k: len(v) for k, v in database_state().items()}

    grown = {k for k in after if after[k] != before.get(k, 0)}
    assert grown <= {
        "health.messagepost",
        "health.messagepost.services",
        "health.displaynumber",
        "health.changecount",  # the Message center's one change counter (ETags), not one per tenant
        "audit.auditevent",
        "events.event",  # one event (message.published), whatever the audience (ADR 0013)
    }
    assert post["display_id"].startswith("MC")
    assert post["audience"] == {
        "type": "partner_customers",
        "services": [],
        "partner_id": str(world.partner_a.pk),
        "customer_ids": [],
    }
    assert "<script>" not in post["body_html"]
    assert "<strong>retire</strong>" in post["body_html"]


def test_message_audience_is_evaluated_when_reading(api, world, catalog):
    post = _message(api, catalog, world)
    path = f"/messages/{post['id']}"

    assert api("a1.message_center_reader").get(path).status_code == 200
    assert api("a1.global_admin").get(path).status_code == 200
    assert api("a2.global_admin").get(path).status_code == 404  # partner A, but no Exchange
    assert api("b1.global_admin").get(path).status_code == 404  # Exchange, but partner B
    assert api("a1.user_admin").get(path).status_code == 403
    assert api("a.admin_agent").get(path).status_code == 200
    assert api("b.admin_agent").get(path).status_code == 404
    affected = api("a.admin_agent").get(f"{path}/affected-customers").json_body["items"]
    assert [c["name"] for c in affected] == ["Contoso"]


@pytest.mark.parametrize(
    ("audience", "reached"),
    [
        ({"type": "all"}, {"Contoso", "Tailspin"}),
        ({"type": "services", "services": ["teams"]}, {"Adatum"}),
        ({"type": "tenants", "customer_ids": ["b2"]}, set()),
    ],
)
def test_each_audience_type(api, world, catalog, audience, reached):
    ids = {"teams": str(catalog.teams.pk)}
    customers = {"b2": str(world.customer_b2.pk)}
    audience = {
        **audience,
        "services": [ids[s] for s in audience.get("services", [])],
        "customer_ids": [customers[c] for c in audience.get("customer_ids", [])],
    }
    services = [] if audience["type"] != "all" else [str(catalog.exchange.pk)]
    post = _message(api, catalog, world, audience=audience, services=services)
    seen = {
        name
        for key, name in [
            ("a1.global_admin", "Contoso"),
            ("a2.global_admin", "Adatum"),
            ("b1.global_admin", "Tailspin"),
        ]
        if api(key).get(f"/messages/{post['id']}").status_code == 200
    }
    assert seen == reached
    reach = api("operator.communications_manager").post(
        "/messages/reach", {"audience": audience, "services": services}
    )
    assert reach.json_body["tenants"] == len(reached) + (1 if audience["type"] == "tenants" else 0)


def test_data_privacy_posts_only_for_global_admins_and_privacy_readers(api, world, catalog):
    post = _message(api, catalog, world, tags=["data_privacy"])
    path = f"/messages/{post['id']}"
    assert api("a1.global_admin").get(path).status_code == 200
    assert api("a1.privacy_reader").get(path).status_code == 200
    assert api("a1.message_center_reader").get(path).status_code == 404
    assert api("a1.service_support_admin").get(path).status_code == 404


def test_view_state_is_per_user(api, world, catalog):
    post = _message(api, catalog, world)
    reader = api("a1.global_admin")
    other = api("a1.message_center_reader")
    assert reader.get("/messages/unread-count").json_body == {"unread": 1, "more": False}

    assert (
        reader.post("/messages/state", {"message_ids": [post["id"]], "action": "mark_read"}).status_code
        == 200
    )
    assert (
        reader.post("/messages/state", {"message_ids": [post["display_id"]], "action": "archive"}).status_code
        == 200
    )

    assert reader.get("/messages/unread-count").json_body == {"unread": 0, "more": False}
    assert reader.get("/messages").json_body["items"] == []
    archived = reader.get("/messages?view=archived").json_body["items"]
    assert archived[0]["view_state"] == {"is_read": True, "is_archived": True, "is_favorited": False}
    assert other.get("/messages/unread-count").json_body == {"unread": 1, "more": False}
    assert other.get("/messages").json_body["items"][0]["view_state"]["is_read"] is False


def test_state_change_on_a_post_outside_the_audience_is_404_and_changes_nothing(api, world, catalog):
    post = _message(api, catalog, world)
    before = database_state()
    response = api("b1.global_admin").post(
        "/messages/state", {"message_ids": [post["id"]], "action": "mark_read"}
    )
    assert response.status_code == 404
    assert database_state() == before
    assert not MessageViewState.objects.exists()


def test_message_filters(api, world, catalog):
    _message(api, catalog, world, title="Alpha", is_major_change=False, category="stay_informed", tags=[])
    _message(api, catalog, world, title="Beta")
    client = api("a1.global_admin")
    assert [m["title"] for m in client.get("/messages?major_change=true").json_body["items"]] == ["Beta"]
    assert [m["title"] for m in client.get("/messages?category=stay_informed").json_body["items"]] == [
        "Alpha"
    ]
    assert [m["title"] for m in client.get("/messages?tag=retirement").json_body["items"]] == ["Beta"]
    assert [m["title"] for m in client.get("/messages?search=alp").json_body["items"]] == ["Alpha"]
    assert client.get(f"/messages?service={catalog.teams.pk}").json_body["items"] == []


def test_notifying_revision_marks_unread_again_and_keeps_the_old_text(api, world, catalog):
    post = _message(api, catalog, world)
    reader = api("a1.global_admin")
    reader.post("/messages/state", {"message_ids": [post["id"]], "action": "mark_read"})
    operator = api("operator.communications_manager")
    response = operator.patch(
        f"/messages/{post['id']}", {"body": "New date.", "notifies": True, "note": "Date moved"}
    )
    assert response.status_code == 200
    assert response.json_body["revision"] == 1
    assert MessagePost.objects.get(pk=post["id"]).revisions.get().body.startswith("We will")
    assert reader.get("/messages/unread-count").json_body == {"unread": 1, "more": False}


def test_draft_and_scheduled_messages_are_invisible(api, world, catalog):
    draft = _message(api, catalog, world, publish=False)
    assert draft["status"] == "draft"
    assert api("a1.global_admin").get(f"/messages/{draft['id']}").status_code == 404
    response = api("operator.communications_manager").post(f"/messages/{draft['id']}/publish")
    assert response.status_code == 200
    assert api("a1.global_admin").get(f"/messages/{draft['id']}").status_code == 200


@pytest.mark.parametrize(
    ("user", "status"),
    [("a1.global_admin", 403), ("a.partner_global_admin", 403), ("operator.auditor", 403), (None, 401)],
)
def test_only_communications_can_publish(api, world, catalog, user, status):
    before = database_state()
    body = {
        "title": "x",
        "body": "x",
        "category": "stay_informed",
        "audience": {"type": "all"},
        "publish": True,
    }
    assert api(user).post("/messages", body).status_code == status
    issue = {"title": "x", "impact_description": "x", "services": [str(catalog.exchange.pk)]}
    assert api(user).post("/health/issues", issue).status_code == status
    assert database_state() == before


def test_validation_errors(api, world, catalog):
    operator = api("operator.communications_manager")
    before = database_state()
    response = operator.post(
        "/messages", {"title": "x", "body": "x", "category": "planForChange", "audience": {"type": "all"}}
    )
    assert response.status_code == 422
    assert response.json_body["error"]["code"] == "validation_error"
    response = operator.post(
        "/messages",
        {"title": "x", "body": "x", "category": "stay_informed", "audience": {"type": "partner_customers"}},
    )
    assert response.status_code == 400
    assert response.json_body["error"]["code"] == "unknown_partner"
    assert database_state() == before


def test_preferences_round_trip(api, world, catalog):
    client = api("a1.global_admin")
    assert client.get("/messages/preferences").json_body["weekly_digest"] is True
    body = {
        "weekly_digest": False,
        "email_major_changes": True,
        "extra_emails": ["ops@contoso.test", "cio@contoso.test"],
        "health_services": [str(catalog.exchange.pk)],
    }
    response = client._call("put", "/messages/preferences", body)
    assert response.status_code == 200
    assert response.json_body["extra_emails"] == ["ops@contoso.test", "cio@contoso.test"]
    body["extra_emails"].append("third@contoso.test")
    assert client._call("put", "/messages/preferences", body).status_code == 422


def test_maintenance_lifecycle(api, world, catalog):
    operator = api("operator.communications_manager")
    body = {
        "title": "Database upgrade",
        "services": [str(catalog.exchange.pk)],
        "starts_at": "2030-01-01T01:00:00Z",
        "ends_at": "2030-01-01T03:00:00Z",
    }
    created = operator.post("/maintenance", body)
    assert created.status_code == 201
    assert created.json_body["display_id"].startswith("MA")
    path = f"/maintenance/{created.json_body['id']}"
    moved = operator.post(
        f"{path}/reschedule", {"starts_at": "2030-01-02T01:00:00Z", "ends_at": "2030-01-02T02:00:00Z"}
    )
    assert moved.status_code == 200
    assert [m["title"] for m in api("a1.global_admin").get("/maintenance").json_body["items"]] == [
        "Database upgrade"
    ]
    assert api("a2.global_admin").get("/maintenance").json_body["items"] == []
    assert operator.post(f"{path}/cancel").json_body["status"] == "cancelled"
    assert operator.post(f"{path}/cancel").status_code == 409


def test_incident_report(api, world, catalog):
    issue = post_exchange_incident(api, catalog)
    response = api("operator.communications_manager").post(
        f"/health/issues/{issue['id']}/incident-report", {"report": "Root cause: a bad certificate."}
    )
    assert response.status_code == 200
    assert response.json_body["status"] == "post_incident_review_published"
    assert HealthIssue.objects.get(pk=issue["id"]).is_resolved


def test_attachments_are_added_by_the_operator_only(api, world, catalog):
    from partnerdesk.health.tests.test_attachments import upload

    post = _message(api, catalog, world)
    path = f"/messages/{post['id']}/attachments"
    before = database_state()
    assert upload(api("a1.global_admin"), path, "plan.txt", b"step 1").status_code == 403
    refused = upload(api("operator.communications_manager"), path, "plan.exe", b"MZ")
    assert refused.status_code == 415
    assert database_state() == before
    response = upload(api("operator.communications_manager"), path, "plan.txt", b"step 1")
    assert response.status_code == 201
    assert response.json()["size"] == 6
