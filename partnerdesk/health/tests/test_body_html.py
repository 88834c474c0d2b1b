"""Posts are rendered once, when written: every read shows the stored, sanitized `body_html`."""

from __future__ import annotations

import importlib
import threading

import markdown
import nh3
import pytest
from django.apps import apps

from partnerdesk.access.principal import principal_for
from partnerdesk.health import issues, message_center
from partnerdesk.health.models import HealthIssuePost, MessagePost, MessageRevision
from partnerdesk.health.rendering import ALLOWED_TAGS, render_markdown

pytestmark = pytest.mark.django_db

BODY = "We will **retire** basic auth.\n\n- Check clients\n\n<script>alert(1)</script>"
NEW_BODY = "The date *moved*. <script>alert(2)</script>"
MARKDOWN = [
    "",
    "Plain text.",
    "We will **retire** basic auth. <script>alert(1)</script>",
    "| a | b |\n|---|---|\n| 1 | 2 |",
    "```\ncode <b>\n```\n\nafter",
    '[guide](https://learn.microsoft.com/ "Guide") and [bad](javascript:alert(1))',
    "# Title\n\n> quoted\n\n1. one\n2. two",
]


def _message_body(api, catalog, world, body=BODY):
    response = api("operator.communications_manager").post(
        "/messages",
        {
            "title": "Retiring basic authentication",
            "body": body,
            "category": "plan_for_change",
            "services": [str(catalog.exchange.pk)],
            "audience": {"type": "partner_customers", "partner_id": str(world.partner_a.pk)},
            "publish": True,
        },
    )
    assert response.status_code == 201, response.json_body
    return response.json_body


def _with_a_fresh_converter(text: str) -> str:
    """What `render_markdown` did before it reused its converter."""
    html = markdown.markdown(text, extensions=["tables", "fenced_code"], output_format="html")
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes={"a": {"href", "title"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )


@pytest.mark.parametrize("text", MARKDOWN)
def test_the_reused_converter_renders_like_a_fresh_one(text):
    render_markdown("```\nleft over state\n```\n\n| x |\n|---|\n| y |")  # the converter was used before

    assert render_markdown(text) == _with_a_fresh_converter(text)
    assert render_markdown(text) == render_markdown(text)
    assert "<script" not in render_markdown(text)
    assert "javascript:" not in render_markdown(text)


def test_each_thread_renders_with_its_own_converter():
    results: dict[int, str] = {}

    def render(i: int) -> None:
        for _ in range(50):
            results[i] = render_markdown(f"Post **{i}**\n\n| n |\n|---|\n| {i} |")

    threads = [threading.Thread(target=render, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    for i, html in results.items():
        assert f"<strong>{i}</strong>" in html and f"<td>{i}</td>" in html


def test_api_stores_the_rendered_body_on_create_and_revise(api, world, catalog):
    created = _message_body(api, catalog, world)
    post = MessagePost.objects.get(pk=created["id"])
    assert post.body_html == render_markdown(BODY)
    assert "<strong>retire</strong>" in post.body_html and "<script" not in post.body_html
    assert created["body_html"] == post.body_html
    listed = api("a1.global_admin").get("/messages").json_body["items"]
    assert [item["body_html"] for item in listed] == [post.body_html]

    response = api("operator.communications_manager").patch(
        f"/messages/{post.pk}", {"body": NEW_BODY, "note": "Date moved"}
    )

    assert response.status_code == 200
    post.refresh_from_db()
    assert post.body_html == render_markdown(NEW_BODY) == response.json_body["body_html"]
    assert "<em>moved</em>" in post.body_html and "<script" not in post.body_html
    # The earlier version keeps the HTML it was shown with.
    assert post.revisions.get().body_html == render_markdown(BODY)
    assert api("a1.global_admin").get(f"/messages/{post.display_id}").json_body["body_html"] == post.body_html


def test_pages_store_the_rendered_body_on_create_and_revise(web, world, catalog):
    operator = web("operator.communications_manager")
    response = operator.post(
        "/operator/messages/new/",
        {
            "title": "Written on the page",
            "body": BODY,
            "category": "stay_informed",
            "severity": "normal",
            "audience": "all",
            "action": "publish",
        },
    )
    assert response.status_code == 302
    post = MessagePost.objects.get(title="Written on the page")
    assert post.body_html == render_markdown(BODY)
    assert "<script" not in post.body_html
    page = web("a1.global_admin").get(f"/admin/messages/{post.pk}/").content.decode()
    assert post.body_html in page and "alert(1)" not in page

    response = operator.post(
        f"/operator/messages/{post.pk}/",
        {"title": post.title, "body": NEW_BODY, "note": "Date moved"},
    )

    assert response.status_code == 302
    post.refresh_from_db()
    assert post.body_html == render_markdown(NEW_BODY)
    page = web("a1.global_admin").get(f"/admin/messages/{post.pk}/").content.decode()
    assert post.body_html in page and render_markdown(BODY) in page  # the earlier version, folded
    assert "alert(" not in page
    assert post.body_html in operator.get(f"/operator/messages/{post.pk}/").content.decode()
    assert post.body_html in web("a.admin_agent").get(f"/partner/health/messages/{post.pk}/").content.decode()


def test_issue_posts_store_the_rendered_body(world, catalog):
    operator = principal_for(world.user("operator.communications_manager"))
    issue = issues.create_issue(
        operator,
        title="Mail delays",
        impact_description="Delays.",
        service_ids=[catalog.exchange.pk],
        first_post="Looking **into** it. <script>x()</script>",
        publish=True,
    )
    issues.add_issue_post(operator, issue, body="A *fix* is rolling out.", status="restoring_service")
    issues.publish_incident_report(operator, issue, report="Root cause: a certificate.")

    rendered = {post.body: post.body_html for post in issue.posts.all()}
    assert rendered == {body: render_markdown(body) for body in rendered}
    assert "<strong>into</strong>" in rendered["Looking **into** it. <script>x()</script>"]
    assert "<script" not in "".join(rendered.values())
    assert all(rendered.values())


def test_the_migration_fills_rows_without_body_html(world, catalog):
    operator = principal_for(world.user("operator.communications_manager"))
    post = message_center.create_message(
        operator,
        title="Old post",
        body=BODY,
        category="stay_informed",
        audience=message_center.AudienceSpec(type="all"),
        publish=True,
    )
    message_center.revise_message(operator, post, {"body": NEW_BODY})
    issue = issues.create_issue(
        operator,
        title="Old issue",
        impact_description="x",
        service_ids=[catalog.exchange.pk],
        first_post="*x*",
    )
    # As rows written before the field existed.
    for model in (MessagePost, MessageRevision, HealthIssuePost):
        model.objects.update(body_html="")
    migration = importlib.import_module("partnerdesk.health.migrations.0003_body_html")

    migration.fill_body_html(apps, None)

    post.refresh_from_db()
    assert post.body_html == render_markdown(NEW_BODY)
    assert post.revisions.get().body_html == render_markdown(BODY)
    assert issue.posts.get().body_html == render_markdown("*x*")
