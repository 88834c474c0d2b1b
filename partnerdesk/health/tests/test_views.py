"""Pages of the three portals: who may see what, and the Message center's per-admin state."""

from __future__ import annotations

import pytest
from django.utils import timezone

from partnerdesk.access.principal import principal_for
from partnerdesk.health import issues, message_center, preferences
from partnerdesk.health.models import HealthIssue, MessagePost, MessageViewState
from partnerdesk.health.testing import exchange_incident
from partnerdesk.testing import assert_page_admits, database_state

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(world, catalog):
    """An incident on Exchange with two posts, and a post for partner A's customers about Exchange."""
    operator = principal_for(world.user("operator.communications_manager"))
    issue = exchange_incident(world, catalog)
    issues.add_issue_post(operator, issue, body="A fix is rolling out.", status="restoring_service")
    post = message_center.create_message(
        operator,
        title="Retiring basic authentication",
        body="Move to **modern** auth.",
        category="plan_for_change",
        service_ids=[catalog.exchange.pk],
        audience=message_center.AudienceSpec(type="partner_customers", partner_id=str(world.partner_a.pk)),
        publish=True,
        is_major_change=True,
    )
    return issue, post


PAGES = [
    # (path, allowed, wrong role, outsider)
    ("/operator/health/", "operator.auditor", "operator.catalog_manager", "a.partner_global_admin"),
    (
        "/operator/health/services/",
        "operator.communications_manager",
        "operator.catalog_manager",
        "a1.global_admin",
    ),
    (
        "/operator/health/issues/new/",
        "operator.communications_manager",
        "operator.auditor",
        "a.partner_global_admin",
    ),
    (
        "/operator/health/issues/{issue}/",
        "operator.support_engineer",
        "operator.catalog_manager",
        "a1.global_admin",
    ),
    (
        "/operator/health/maintenance/new/",
        "operator.operator_admin",
        "operator.support_engineer",
        "a1.global_admin",
    ),
    ("/operator/messages/", "operator.auditor", "operator.catalog_manager", "a.admin_agent"),
    ("/operator/messages/new/", "operator.communications_manager", "operator.auditor", "a.admin_agent"),
    ("/operator/messages/{post}/", "operator.auditor", "operator.catalog_manager", "a1.global_admin"),
    ("/admin/health/", "a1.service_support_admin", "a1.message_center_reader", "a.sales_agent"),
    ("/admin/health/issues/{issue}/", "a1.global_admin", "a1.user_admin", "operator.catalog_manager"),
    ("/admin/messages/", "a1.message_center_reader", "a1.user_admin", "a.sales_agent"),
    ("/admin/messages/{post}/", "a1.message_center_reader", "a1.licence_admin", "a.sales_agent"),
    ("/admin/messages/preferences/", "a1.privacy_reader", "a1.user_admin", "a.sales_agent"),
    ("/admin/health/feed/", "a1.global_admin", "a1.service_support_admin", "a.sales_agent"),
    ("/partner/health/", "a.helpdesk_agent", "a.sales_agent", "a1.global_admin"),
    ("/partner/health/issues/{issue}/", "a.admin_agent", "a.sales_agent", "a1.global_admin"),
    ("/partner/health/messages/{post}/", "a.admin_agent", "a.billing_admin", "b.admin_agent"),
    ("/partner/health/customers/{customer_a1}/", "a.admin_agent", "a.sales_agent", "b.admin_agent"),
]


@pytest.mark.parametrize(("page", "allowed", "wrong_role", "outsider"), PAGES, ids=[p[0] for p in PAGES])
def test_each_page_admits_its_role_and_refuses_others(
    web, world, published, page, allowed, wrong_role, outsider
):
    issue, post = published
    path = page.format(issue=issue.pk, post=post.pk, customer_a1=world.customer_a1.pk)
    assert_page_admits(web, path, allowed, wrong_role, outsider)


def test_outside_the_audience_the_pages_are_404(web, world, published):
    issue, post = published
    for user in ("a2.global_admin", "b1.global_admin"):
        client = web(user)
        assert client.get(f"/admin/messages/{post.pk}/").status_code == 404
        assert post.title not in client.get("/admin/messages/").content.decode()
    assert web("a2.global_admin").get(f"/admin/health/issues/{issue.pk}/").status_code == 404
    assert web("b1.global_admin").get(f"/admin/health/issues/{issue.pk}/").status_code == 200  # has Exchange
    assert web("b.admin_agent").get(f"/partner/health/customers/{world.customer_a1.pk}/").status_code == 404


def test_admin_health_page_shows_status_history_and_report_link(web, world, published, catalog):
    page = web("a1.global_admin").get("/admin/health/").content.decode()
    assert "Mail delivery delays" in page
    assert "Restoring service" in page
    assert f"/admin/support/new/?service={catalog.exchange.pk}" in page
    assert "Microsoft Teams" not in page  # not entitled
    assert (
        page.count("history-day status-service_degradation") == 2
    )  # worst of today, in the 7 and 30 day rows


def test_issue_detail_shows_the_timeline(web, world, published):
    issue, _ = published
    page = web("a1.global_admin").get(f"/admin/health/issues/{issue.pk}/").content.decode()
    assert "Investigating." in page and "A fix is rolling out." in page


def test_the_timeline_shows_the_latest_update_first_and_can_be_reversed(web, world, published):
    issue, _ = published
    for client, url in (
        (web("a1.global_admin"), f"/admin/health/issues/{issue.pk}/"),
        (web("operator.communications_manager"), f"/operator/health/issues/{issue.pk}/"),
    ):
        newest = client.get(url).content.decode()
        assert newest.index("A fix is rolling out.") < newest.index("Investigating.")
        assert 'href="?order=oldest"' in newest
        oldest = client.get(f"{url}?order=oldest").content.decode()
        assert oldest.index("Investigating.") < oldest.index("A fix is rolling out.")


def test_read_and_archive_are_per_user(web, world, published):
    _, post = published
    admin = web("a1.global_admin")
    assert 'data-testid="unread-badge"' in admin.get("/admin/").content.decode()

    admin.post("/admin/messages/state/", {"message": [str(post.pk)], "action": "mark_read"})
    admin.post("/admin/messages/state/", {"message": [str(post.pk)], "action": "archive"})

    assert 'data-testid="unread-badge"' not in admin.get("/admin/").content.decode()
    assert post.title not in admin.get("/admin/messages/").content.decode()
    assert post.title in admin.get("/admin/messages/?view=archived").content.decode()
    other = web("a1.message_center_reader").get("/admin/messages/").content.decode()
    assert post.title in other
    assert 'data-testid="unread-badge"' in other


def test_state_post_for_a_post_outside_the_audience_changes_nothing(web, world, published):
    _, post = published
    before = database_state()
    response = web("b1.global_admin").post(
        "/admin/messages/state/", {"message": [str(post.pk)], "action": "archive"}
    )
    assert response.status_code == 404
    assert database_state() == before
    assert not MessageViewState.objects.exists()


def test_partner_sees_which_customers_are_affected(web, world, published):
    issue, post = published
    page = web("a.admin_agent").get(f"/partner/health/issues/{issue.pk}/").content.decode()
    assert "Contoso" in page and "Adatum" not in page
    page = web("a.admin_agent").get(f"/partner/health/messages/{post.pk}/").content.decode()
    assert "Contoso" in page and "Adatum" not in page


def test_operator_publishes_through_the_pages(web, world, catalog):
    client = web("operator.communications_manager")
    response = client.post(
        "/operator/health/issues/new/",
        {
            "classification": "incident",
            "title": "Sign-in failures",
            "impact_description": "Some users cannot sign in.",
            "status": "service_interruption",
            "services": [str(catalog.sharepoint.pk)],
            "first_post": "Investigating.",
            "publish": "on",
        },
    )
    assert response.status_code == 302
    issue = HealthIssue.objects.get(title="Sign-in failures")
    assert issue.is_published
    client.post(
        f"/operator/health/issues/{issue.pk}/post/",
        {"status": "service_restored", "body": "Resolved.", "notifies": "on"},
    )
    issue.refresh_from_db()
    assert issue.status == "service_restored"

    form = {
        "title": "New admin roles",
        "body": "Read *this*.",
        "category": "stay_informed",
        "severity": "normal",
        "audience": "partner_customers",
        "audience_partner": str(world.partner_b.pk),
    }
    preview = client.post("/operator/messages/new/", {**form, "action": "preview"})
    assert "reaches 2 tenants" in preview.content.decode()
    assert not MessagePost.objects.exists()
    response = client.post("/operator/messages/new/", {**form, "action": "publish"})
    assert response.status_code == 302
    assert MessagePost.objects.get().status == "published"


def test_wrong_role_posts_change_nothing(web, world, published, catalog):
    issue, post = published
    before = database_state()
    auditor = web("operator.auditor")
    assert auditor.post(f"/operator/health/issues/{issue.pk}/publish/").status_code == 403
    assert auditor.post(f"/operator/messages/{post.pk}/", {"action": "publish"}).status_code == 403
    assert web("a1.global_admin").post("/operator/messages/new/", {"title": "x"}).status_code == 403
    assert database_state() == before


def test_feed_lists_posts_and_issues_until_revoked(web, world, published):
    client = web("a1.global_admin")
    page = client.post("/admin/health/feed/", {"action": "create"}).content.decode()
    url = page.split('data-testid="feed-url">')[1].split("<")[0]
    path = url.split("testserver")[1]
    feed = client.get(path)
    assert feed["Content-Type"].startswith("application/atom+xml")
    body = feed.content.decode()
    assert "Retiring basic authentication" in body and "Mail delivery delays" in body
    from partnerdesk.health.models import FeedToken

    token = FeedToken.objects.get()
    client.post("/admin/health/feed/", {"action": "revoke", "token": str(token.pk)})
    assert web(None).get(path).status_code == 404


def test_preferences_page_saves_for_the_caller_only(web, world, catalog):
    client = web("a1.global_admin")
    response = client.post(
        "/admin/messages/preferences/",
        {
            "email_major_changes": "on",
            "extra_email_1": "ops@contoso.test",
            "services": [str(catalog.exchange.pk)],
        },
    )
    assert response.status_code == 302
    preference = preferences.preferences_for(world.user("a1.global_admin"))
    assert preference.weekly_digest is False  # unticked on the form
    assert preference.email_major_changes is True
    assert preference.extra_emails == ["ops@contoso.test"]
    assert preferences.preferences_for(world.user("a1.privacy_reader")).pk is None


def test_expired_posts_disappear(web, world, published):
    _, post = published
    MessagePost.objects.filter(pk=post.pk).update(expires_at=timezone.now())
    assert web("a1.global_admin").get(f"/admin/messages/{post.pk}/").status_code == 404


def test_services_shown_preference_narrows_message_center(web, world, published, catalog):
    _, post = published
    client = web("a1.global_admin")
    client.post(
        "/admin/messages/preferences/", {"weekly_digest": "on", "services": [str(catalog.sharepoint.pk)]}
    )
    assert post.title not in client.get("/admin/messages/").content.decode()
    client.post("/admin/messages/preferences/", {"weekly_digest": "on"})
    assert post.title in client.get("/admin/messages/").content.decode()


def test_a_partner_agent_acting_for_the_customer_reads_its_message_center(web, world, published):
    _, post = published
    agent = web("a.admin_agent")
    session = agent.session
    session["acting_for"] = str(world.customer_a1.pk)
    session.save()
    page = agent.get("/admin/messages/").content.decode()
    assert post.title in page
    agent.post("/admin/messages/state/", {"message": [str(post.pk)], "action": "mark_read"})
    state = MessageViewState.objects.get()
    assert (state.user, state.is_read) == (world.user("a.admin_agent"), True)
    # Adatum has no delegated relationship: the agent cannot act for it.
    session["acting_for"] = str(world.customer_a2.pk)
    session.save()
    assert agent.get("/admin/messages/").status_code == 302


def test_operator_adds_regions_and_features_and_uses_them_on_an_issue(web, world, catalog):
    client = web("operator.communications_manager")
    client.post("/operator/health/regions/", {"key": "china-north-2", "name": "China North 2"})
    client.post(
        f"/operator/health/services/{catalog.exchange.pk}/features/", {"group": "E-mail", "name": "Mail flow"}
    )
    page = client.get("/operator/health/services/").content.decode()
    assert "China North 2" in page and "E-mail / Mail flow" in page
    from partnerdesk.catalog.models import Feature, Region

    before = database_state()
    assert (
        web("operator.auditor").post("/operator/health/regions/", {"key": "x", "name": "X"}).status_code
        == 403
    )
    assert database_state() == before
    client.post(
        "/operator/health/issues/new/",
        {
            "classification": "advisory",
            "title": "Slow mail flow",
            "impact_description": "Delays.",
            "status": "investigating",
            "services": [str(catalog.exchange.pk)],
            "features": [str(Feature.objects.get().pk)],
            "regions": [str(Region.objects.get().pk)],
        },
    )
    issue = HealthIssue.objects.get()
    assert not issue.is_published
    assert [f.name for f in issue.features.all()] == ["Mail flow"]
    assert [r.key for r in issue.regions.all()] == ["china-north-2"]
