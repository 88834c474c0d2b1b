"""Support pages in the three portals: each admits its roles, refuses the others, changes nothing
when refused, and does through forms what the API does.
"""

from __future__ import annotations

import pytest

from partnerdesk.access.principal import principal_for
from partnerdesk.audit.models import AuditEvent
from partnerdesk.support import flags, knowledge, service_requests, support_requests, timeline
from partnerdesk.support.inputs import SupportRequestIn
from partnerdesk.support.models import (
    CannedReply,
    Deflection,
    HelpArticle,
    Message,
    Note,
    PartnerFlag,
    SavedView,
    ServiceRequest,
    SupportProfile,
    SupportRequest,
    SupportTopic,
)
from partnerdesk.testing import assert_page_admits, database_state


def open_support_request(world, **overrides) -> SupportRequest:
    principal = principal_for(world.user("a1.global_admin"))
    data = {
        "title": "Mail stopped arriving",
        "description": "No external mail since this morning.",
        "severity": "moderate",
        "contact_name": "Chen",
        "contact_email": "chen@contoso.test",
        **overrides,
    }
    return support_requests.create_support_request(principal, SupportRequestIn(**data))


def escalate(world, support_request, topic) -> ServiceRequest:
    principal = principal_for(world.user("a.admin_agent"))
    return service_requests.escalate(
        principal,
        support_request,
        service_requests.NewServiceRequest(
            title="Mail relay", description="Relay down", severity="critical", topic=topic
        ),
    )


@pytest.fixture
def items(world, topic):
    support_request = open_support_request(world)
    service_request = escalate(world, support_request, topic)
    return {"request": support_request.pk, "service_request": service_request.pk}


# (page, who may see it, a wrong-role user, an outsider)
PAGES = [
    ("/admin/support/", "a1.service_support_admin", "a1.user_admin", "a.sales_agent"),
    ("/admin/support/new/", "a1.global_admin", "a1.message_center_reader", "operator.support_engineer"),
    ("/admin/support/{request}/", "a1.global_admin", "a1.licence_admin", "a2.global_admin"),
    ("/partner/support/", "a.helpdesk_agent", "a.sales_agent", "a1.global_admin"),
    ("/partner/support/{request}/", "a.admin_agent", "a.billing_admin", "b.admin_agent"),
    ("/partner/support/{request}/escalate/", "a.helpdesk_agent", "a.sales_agent", "b.admin_agent"),
    ("/partner/service-requests/", "a.admin_agent", "a.sales_agent", "a1.global_admin"),
    ("/partner/service-requests/new/", "a.admin_agent", "a.sales_agent", "a1.global_admin"),
    ("/partner/service-requests/{service_request}/", "a.admin_agent", "a.sales_agent", "b.admin_agent"),
    ("/partner/support-profile/", "a.partner_global_admin", "a.admin_agent", "a1.global_admin"),
    ("/partner/canned-replies/", "a.helpdesk_agent", "a.sales_agent", "a1.global_admin"),
    ("/partner/help-articles/", "a.helpdesk_agent", "a.sales_agent", "a1.global_admin"),
    ("/partner/support-reports/", "a.admin_agent", "a.helpdesk_agent", "a1.global_admin"),
    ("/operator/service-requests/", "operator.support_engineer", "operator.catalog_manager", "a.admin_agent"),
    (
        "/operator/service-requests/{service_request}/",
        "operator.support_engineer",
        "operator.auditor",
        "a.admin_agent",
    ),
    ("/operator/support-topics/", "operator.support_engineer", "operator.auditor", "a.admin_agent"),
    ("/operator/help-articles/", "operator.operator_admin", "operator.auditor", "a.admin_agent"),
    ("/operator/support/reports/", "operator.auditor", "operator.catalog_manager", "a.partner_global_admin"),
    ("/partner/support-sla/", "a.partner_global_admin", "a.admin_agent", "a1.global_admin"),
    (
        "/operator/support/sla/",
        "operator.operator_admin",
        "operator.support_engineer",
        "a.partner_global_admin",
    ),
]


@pytest.mark.parametrize(("page", "allowed", "wrong_role", "outsider"), PAGES, ids=[p[0] for p in PAGES])
def test_each_page_admits_its_role_and_refuses_others(web, world, items, page, allowed, wrong_role, outsider):
    assert_page_admits(web, page.format(**items), allowed, wrong_role, outsider)


def test_another_partners_request_is_404(web, world, items):
    assert web("b.partner_global_admin").get(f"/partner/support/{items['request']}/").status_code == 404
    assert (
        web("b.partner_global_admin")
        .get(f"/partner/service-requests/{items['service_request']}/")
        .status_code
        == 404
    )


def test_the_customer_sees_self_help_then_submits(web, world, service):
    article = knowledge.save_article(
        principal_for(world.user("operator.support_engineer")),
        title="Mail is not arriving: check the connector",
        body="Open the connector settings and re-enable inbound mail.",
        language="en",
        services=[service],
    )
    client = web("a1.global_admin")
    data = {
        "service": str(service.pk),
        "title": "Mail not arriving",
        "description": "External mail does not arrive.",
        "severity": "moderate",
        "contact_name": "Chen",
        "contact_email": "chen@contoso.test",
        "contact_method": "email",
    }

    checked = client.post("/admin/support/new/", {**data, "action": "check"})
    assert checked.status_code == 200
    assert 'data-testid="self-help"' in checked.content.decode()
    assert article.title in checked.content.decode()
    assert SupportRequest.objects.count() == 0

    submitted = client.post("/admin/support/new/", {**data, "action": "submit"})
    assert submitted.status_code == 302
    created = SupportRequest.objects.get()
    assert created.service == service
    assert created.customer == world.customer_a1


def test_this_solved_it_records_a_deflection(web, world, service):
    article = knowledge.save_article(
        principal_for(world.user("a.admin_agent")),
        title="Reset a password",
        body="Use the admin center.",
        language="en",
        services=[],
    )

    response = web("a1.global_admin").post(
        "/admin/support/solved/", {"article": str(article.pk), "query": "reset"}
    )

    assert response.status_code == 302
    deflection = Deflection.objects.get()
    assert deflection.article == article
    assert deflection.partner == world.partner_a
    assert SupportRequest.objects.count() == 0


def test_a_partner_article_is_not_shown_to_another_partners_customers(world):
    knowledge.save_article(
        principal_for(world.user("a.admin_agent")),
        title="Fabrikam tips",
        body="Mail tips",
        language="en",
        services=[],
    )
    from partnerdesk.support import queries

    assert [
        a.title for a in queries.self_help_articles(principal_for(world.user("a1.global_admin")), "mail")
    ] == ["Fabrikam tips"]
    assert queries.self_help_articles(principal_for(world.user("b1.global_admin")), "mail") == []


def test_the_preselected_service_shows_its_health_issues(web, world, service):
    response = web("a1.global_admin").get(f"/admin/support/new/?service={service.pk}")

    assert response.status_code == 200
    assert f'value="{service.pk}" selected' in response.content.decode()


def test_the_support_page_shows_the_partners_profile(web, world):
    SupportProfile.objects.create(partner=world.partner_a, email="desk@fabrikam.test", hours="Mon-Fri 9-18")

    html = web("a1.service_support_admin").get("/admin/support/").content.decode()

    assert "desk@fabrikam.test" in html
    assert "Mon-Fri 9-18" in html


def test_a_partner_edits_its_profile(web, world):
    response = web("a.partner_global_admin").post(
        "/partner/support-profile/", {"email": "desk@fabrikam.test", "phone": "+86 1", "hours": "24x7"}
    )

    assert response.status_code == 302
    assert SupportProfile.objects.get(partner=world.partner_a).email == "desk@fabrikam.test"
    assert AuditEvent.objects.filter(action="support_profile.updated").exists()


def test_the_partner_replies_adds_a_note_assigns_and_resolves_on_the_page(web, world, items):
    client = web("a.helpdesk_agent")
    path = f"/partner/support/{items['request']}/"

    client.post(path, {"action": "reply", "body": "We are on it.", "visibility": "public"})
    client.post(path, {"action": "reply", "body": "Customer is VIP.", "visibility": "internal"})
    helpdesk = world.user("a.helpdesk_agent")
    client.post(
        path, {"action": "update", "status": "resolved", "assignee": str(helpdesk.pk), "severity": "moderate"}
    )

    request = SupportRequest.objects.get(pk=items["request"])
    assert request.status == "resolved"
    assert request.assignee == helpdesk
    customer_html = web("a1.global_admin").get(f"/admin/support/{items['request']}/").content.decode()
    assert "We are on it." in customer_html
    assert "Customer is VIP." not in customer_html
    assert "Relay down" not in customer_html  # the service request's text stays on the partner side
    assert 'data-testid="escalated"' in customer_html


def test_the_customer_replies_and_closes_on_the_page(web, world, items):
    client = web("a1.global_admin")
    path = f"/admin/support/{items['request']}/"

    assert client.post(path, {"action": "reply", "body": "Still broken."}).status_code == 302
    assert client.post(path, {"action": "close"}).status_code == 302

    assert SupportRequest.objects.get(pk=items["request"]).status == "closed"
    assert Message.objects.filter(body="Still broken.", visibility="public").exists()


def test_the_operator_asks_for_information_and_closes_on_the_page(web, world, items):
    client = web("operator.support_engineer")
    path = f"/operator/service-requests/{items['service_request']}/"

    client.post(path, {"action": "note", "body": "Send a trace.", "kind": "to_partner"})
    client.post(path, {"action": "note", "body": "Probably the relay.", "kind": "operator_internal"})
    client.post(path, {"action": "status", "status": "attention_needed"})
    assert ServiceRequest.objects.get(pk=items["service_request"]).status == "attention_needed"

    partner_html = (
        web("a.admin_agent").get(f"/partner/service-requests/{items['service_request']}/").content.decode()
    )
    assert "Send a trace." in partner_html
    assert "Probably the relay." not in partner_html
    web("a.admin_agent").post(
        f"/partner/service-requests/{items['service_request']}/",
        {"action": "note", "body": "Trace attached."},
    )
    assert ServiceRequest.objects.get(pk=items["service_request"]).status == "open"

    refused = client.post(path, {"action": "status", "status": "closed", "resolution": ""})
    assert refused.status_code == 400
    client.post(path, {"action": "status", "status": "closed", "resolution": "Relay restarted."})
    assert ServiceRequest.objects.get(pk=items["service_request"]).status == "closed"


def test_the_operator_flags_the_partner_and_the_partner_sees_it(web, world, items):
    web("operator.support_engineer").post(
        f"/operator/service-requests/{items['service_request']}/",
        {"action": "flag", "reason": "A password reset.", "remediation": "Train the helpdesk."},
    )

    assert PartnerFlag.objects.get().partner == world.partner_a
    html = web("a.admin_agent").get("/partner/service-requests/").content.decode()
    assert "Train the helpdesk." in html
    assert (
        "Train the helpdesk." not in web("b.admin_agent").get("/partner/service-requests/").content.decode()
    )


def test_a_wrong_role_post_changes_nothing(web, world, items):
    before = database_state()

    assert (
        web("a.sales_agent")
        .post(f"/partner/support/{items['request']}/", {"action": "reply", "body": "x"})
        .status_code
        == 403
    )
    assert (
        web("operator.auditor")
        .post(f"/operator/service-requests/{items['service_request']}/", {"action": "note", "body": "x"})
        .status_code
        == 403
    )
    assert (
        web("b.admin_agent")
        .post(f"/partner/support/{items['request']}/escalate/", {"title": "x"})
        .status_code
        == 404
    )
    assert web("a1.user_admin").post("/admin/support/new/", {"action": "submit"}).status_code == 403
    assert web("a.admin_agent").post("/operator/support-topics/", {"name": "x"}).status_code == 403
    assert database_state() == before


def test_escalating_from_the_page_shares_only_the_chosen_messages(web, world, topic):
    request = open_support_request(world)
    agent = principal_for(world.user("a.admin_agent"))
    shared = timeline.add_message(agent, request, body="Asked the customer for a trace.")
    timeline.add_message(agent, request, body="Internal: VIP customer", visibility="internal")

    response = web("a.admin_agent").post(
        f"/partner/support/{request.pk}/escalate/",
        {
            "topic": str(topic.pk),
            "severity": "critical",
            "contact": str(world.user("a.admin_agent").pk),
            "title": request.title,
            "description": request.description,
            "shared": [str(shared.pk)],
        },
    )

    assert response.status_code == 302
    service_request = ServiceRequest.objects.get()
    assert list(Note.objects.filter(service_request=service_request).values_list("body", flat=True)) == [
        "Asked the customer for a trace."
    ]


def test_saved_views_canned_replies_topics_and_merge(web, world, items):
    partner = web("a.admin_agent")
    partner.post(
        "/partner/saved-views/",
        {"name": "Critical", "query": "severity=critical", "queue": "partner_support"},
    )
    assert SavedView.objects.get().user == world.user("a.admin_agent")
    assert 'href="?severity=critical">Critical</a>' in partner.get("/partner/support/").content.decode()
    assert ">Critical</a>" not in web("a.helpdesk_agent").get("/partner/support/").content.decode()

    partner.post("/partner/canned-replies/", {"title": "Thanks", "body": "Thanks for waiting."})
    reply = CannedReply.objects.get()
    html = partner.get(f"/partner/support/{items['request']}/?canned={reply.pk}").content.decode()
    assert "Thanks for waiting." in html

    web("operator.support_engineer").post("/operator/support-topics/", {"name": "Billing", "description": ""})
    assert SupportTopic.objects.filter(name="Billing", active=True).exists()

    duplicate = open_support_request(world, title="Mail again")
    partner.post(
        f"/partner/support/{duplicate.pk}/",
        {"action": "merge", "into": SupportRequest.objects.get(pk=items["request"]).number},
    )
    duplicate.refresh_from_db()
    assert duplicate.merged_into_id == items["request"]
    assert duplicate.status == "closed"


def test_the_help_articles_page_searches(web, world):
    client = web("operator.support_engineer")
    client.post(
        "/operator/help-articles/",
        {
            "title": "Connector setup",
            "body": "How to set up an inbound connector.",
            "language": "en",
            "published": "on",
        },
    )
    client.post(
        "/operator/help-articles/",
        {"title": "Licences", "body": "How to assign licences.", "language": "en", "published": "on"},
    )

    html = client.get("/operator/help-articles/?q=connector").content.decode()

    assert HelpArticle.objects.count() == 2
    assert "Connector setup" in html
    assert "How to assign licences." not in html


def test_reports_render_a_chart_and_export_csv(web, world, items):
    html = web("a.admin_agent").get("/partner/support-reports/").content.decode()
    assert 'data-testid="chart"' in html
    csv_response = web("operator.operator_admin").get("/operator/support/reports/?format=csv")
    assert csv_response["Content-Type"].startswith("text/csv")
    body = csv_response.content.decode()
    assert "escalation rate %" in body
    assert "Fabrikam,1,1,100" in body


def test_a_partner_sets_its_sla_policy_with_business_hours(web, world):
    response = web("a.partner_global_admin").post(
        "/partner/support-sla/",
        {
            "severity": "critical",
            "first_response_minutes": "60",
            "resolution_minutes": "480",
            "time_zone": "Asia/Shanghai",
            "workday_start": "08:00",
            "workday_end": "20:00",
            "holidays": "2026-10-01\n2026-10-02",
        },
    )

    assert response.status_code == 302
    from partnerdesk.support.models import SlaPolicy

    policy = SlaPolicy.objects.get(organization=world.partner_a, severity="critical")
    assert (policy.first_response_minutes, policy.around_the_clock, policy.holidays) == (
        60,
        False,
        ["2026-10-01", "2026-10-02"],
    )
    html = web("a.partner_global_admin").get("/partner/support-sla/").content.decode()
    assert "08:00" in html


def test_a_bad_time_zone_is_explained_and_changes_nothing(web, world):
    before = database_state()

    response = web("a.partner_global_admin").post(
        "/partner/support-sla/",
        {
            "severity": "critical",
            "first_response_minutes": "60",
            "resolution_minutes": "480",
            "time_zone": "Mars/Olympus",
            "workday_start": "08:00",
            "workday_end": "20:00",
        },
    )

    assert response.status_code == 400
    assert "Mars/Olympus is not a known time zone." in response.content.decode()
    assert database_state() == before


def test_a_designated_support_contact_per_subscription_shows_in_the_admin_center(web, world):
    from partnerdesk.subscriptions.tests.conftest import build_catalog, subscribe

    subscription = subscribe(world, build_catalog().basic_monthly)
    partner = web("a.partner_global_admin")

    saved = partner.post(
        "/partner/support-profile/",
        {
            "action": "contact",
            "subscription": str(subscription.pk),
            "name": "Mei Li",
            "email": "mei@fabrikam.test",
        },
    )

    assert saved.status_code == 302
    html = web("a1.global_admin").get("/admin/support/").content.decode()
    assert 'data-testid="designated-contacts"' in html
    assert "mei@fabrikam.test" in html
    assert "mei@fabrikam.test" not in web("a2.global_admin").get("/admin/support/").content.decode()
    assert AuditEvent.objects.filter(action="subscription.support_contact_set").exists()

    before = database_state()
    refused = web("b.partner_global_admin").post(
        "/partner/support-profile/",
        {"action": "contact", "subscription": str(subscription.pk), "name": "X", "email": "x@litware.test"},
    )
    assert refused.status_code == 400
    assert database_state() == before

    partner.post("/partner/support-profile/", {"action": "contact", "subscription": str(subscription.pk)})
    assert "mei@fabrikam.test" not in web("a1.global_admin").get("/admin/support/").content.decode()


def test_self_help_shows_active_health_issues_of_the_chosen_service(web, world, service):
    from partnerdesk.health.models import HealthIssue

    active = HealthIssue.objects.create(
        number=4242,
        title="Mail delays in China North 2",
        impact_description="Mail is delayed.",
        is_published=True,
    )
    active.services.set([service])
    draft = HealthIssue.objects.create(number=4243, title="Draft not yet published", impact_description="x")
    draft.services.set([service])

    html = web("a1.global_admin").get(f"/admin/support/new/?service={service.pk}").content.decode()

    assert 'data-testid="health-issues"' in html
    assert "Mail delays in China North 2" in html
    assert "Draft not yet published" not in html


@pytest.mark.parametrize(
    "change",
    [
        {"workday_start": "18:00", "workday_end": "09:00"},  # business hours that never open
        {"resolution_minutes": "2000000"},  # beyond the clock's horizon in business hours
        {"resolution_minutes": str(10**30), "around_the_clock": "on"},
    ],
    ids=["closed_hours", "far_target", "huge_target"],
)
def test_an_sla_policy_that_cannot_be_computed_is_refused(web, world, api, change):
    """Saved, it would make every new request of the partner's customers fail (a 500)."""
    from partnerdesk.support.models import SlaPolicy
    from partnerdesk.support.tests.conftest import open_request

    response = web("a.partner_global_admin").post(
        "/partner/support-sla/",
        {
            "severity": "moderate",
            "first_response_minutes": "60",
            "resolution_minutes": "480",
            "time_zone": "UTC",
            "workday_start": "09:00",
            "workday_end": "18:00",
            "holidays": "",
            **change,
        },
    )

    assert response.status_code == 400
    assert not SlaPolicy.objects.filter(organization=world.partner_a).exists()
    assert open_request(api("a1.global_admin")).status_code == 201


def test_the_operator_lists_the_flagged_partners_and_a_partner_cannot(web, world):
    from partnerdesk.access.principal import principal_for

    flags.flag_partner(
        principal_for(world.user("operator.support_engineer")),
        world.partner_a,
        reason="Escalated a password reset",
        remediation="Use the guide first",
    )

    page = web("operator.support_engineer").get("/operator/partner-flags/")

    assert page.status_code == 200
    assert "Escalated a password reset" in page.content.decode()
    assert "Fabrikam" in page.content.decode()
    assert web("a.partner_global_admin").get("/operator/partner-flags/").status_code in (403, 404)
    assert web("operator.communications_manager").get("/operator/partner-flags/").status_code == 403


def test_a_partner_with_many_customers_filters_the_queue_by_a_part_of_the_name(web, world, monkeypatch):
    """Up to ORGANIZATIONS_LISTED_AT_MOST customers, the filter lists them; beyond, the page would carry
    thousands of options on every load, so it offers a search on the customer's name instead."""
    from partnerdesk.support import views

    first = open_support_request(world, title="From A1")
    second = open_support_request(world, title="From A2")
    SupportRequest.objects.filter(pk=second.pk).update(customer=world.customer_a2)
    agent = web("a.helpdesk_agent")
    listed = agent.get("/partner/support/").content.decode()
    assert 'id="f-customer"' in listed and 'name="customer_name"' not in listed
    assert world.customer_a1.name in listed and world.customer_b1.name not in listed

    monkeypatch.setattr(views, "ORGANIZATIONS_LISTED_AT_MOST", 1)
    searching = agent.get("/partner/support/").content.decode()
    assert 'name="customer_name"' in searching and 'id="f-customer"' not in searching
    part = world.customer_a2.name[1:-1].lower()
    found = agent.get("/partner/support/", {"customer_name": part, "status": "active"}).content.decode()
    assert "From A2" in found and "From A1" not in found, part
    assert 'value="' + part + '"' in found  # the search stays in its field
    nothing = agent.get("/partner/support/", {"customer_name": world.customer_b1.name}).content.decode()
    assert "From A1" not in nothing and "From A2" not in nothing  # another partner's customer: nothing
    assert first.pk != second.pk


def test_an_operator_with_many_partners_filters_the_desk_by_a_part_of_the_name(
    web, world, topic, monkeypatch
):
    from partnerdesk.support import views

    escalated = escalate(world, open_support_request(world), topic)
    desk = web("operator.support_engineer")
    listed = desk.get("/operator/service-requests/").content.decode()
    assert 'id="f-partner"' in listed and world.partner_b.name in listed

    monkeypatch.setattr(views, "ORGANIZATIONS_LISTED_AT_MOST", 1)
    searching = desk.get("/operator/service-requests/").content.decode()
    assert 'name="partner_name"' in searching and 'id="f-partner"' not in searching
    part = world.partner_a.name[1:-1].upper()
    found = desk.get("/operator/service-requests/", {"partner_name": part}).content.decode()
    assert escalated.title in found and f'value="{part}"' in found
    other = desk.get("/operator/service-requests/", {"partner_name": world.partner_b.name}).content.decode()
    assert escalated.title not in other
