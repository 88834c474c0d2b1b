"""The Microsoft Graph-compatible surface: Graph's names and enums, OData paging and filters, state
actions, the same scoping as everywhere else; and the official msgraph-sdk against a live server.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from partnerdesk.access.principal import principal_for
from partnerdesk.accounts.models import API_TOKEN_PREFIX, ApiToken, hash_token
from partnerdesk.health import issues, message_center
from partnerdesk.health.models import MessageViewState
from partnerdesk.health.testing import build_catalog, exchange_incident
from partnerdesk.testing import database_state

BASE = "/graph/v1.0/admin/serviceAnnouncement"


def token_for(user) -> str:
    raw = f"{API_TOKEN_PREFIX}graph-{uuid.uuid4().hex}"
    ApiToken.objects.create(user=user, name="graph", prefix=raw[:10], token_hash=hash_token(raw))
    return raw


def publish_sample(world, catalog):
    operator = principal_for(world.user("operator.communications_manager"))
    issue = exchange_incident(world, catalog)
    issues.add_issue_post(operator, issue, body="Rolling out a fix.", status="restoring_service")
    issues.publish_incident_report(operator, issue, report="Root cause: certificate expiry.")
    posts = [
        message_center.create_message(
            operator,
            title=f"Change {i}",
            body="Plan **now**.",
            category="plan_for_change" if i % 2 else "stay_informed",
            severity="high",
            is_major_change=bool(i % 2),
            service_ids=[catalog.exchange.pk],
            tags=["retirement"],
            audience=message_center.AudienceSpec(
                type="partner_customers", partner_id=str(world.partner_a.pk)
            ),
            publish=True,
        )
        for i in range(3)
    ]
    message_center.add_attachment(operator, posts[0], SimpleUploadedFile("plan.txt", b"step 1", "text/plain"))
    return issue, posts


class GraphClient:
    def __init__(self, token: str | None) -> None:
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def get(self, path: str, **params):
        response = self.client.get(f"{BASE}{path}", params, headers=self.headers)
        response.body = (
            json.loads(response.content) if response["Content-Type"] == "application/json" else None
        )
        return response

    def post(self, path: str, body):
        response = self.client.post(
            f"{BASE}{path}", json.dumps(body), content_type="application/json", headers=self.headers
        )
        response.body = json.loads(response.content)
        return response


@pytest.fixture
def graph(world, db):
    return lambda key: GraphClient(token_for(world.user(key)) if key else None)


@pytest.fixture
def sample(world, db):
    catalog = build_catalog(world)
    return (catalog, *publish_sample(world, catalog))


def test_messages_use_graph_names_and_enums(graph, world, sample):
    _, _, posts = sample
    response = graph("a1.global_admin").get("/messages")
    assert response.status_code == 200
    first = response.body["value"][0]
    assert first["id"] == posts[2].display_id
    assert first["category"] == "stayInformed"
    assert first["severity"] == "high"
    assert first["services"] == ["Exchange Online"]
    assert first["tags"] == ["Retirement"]
    assert first["body"]["contentType"] == "html" and "<strong>now</strong>" in first["body"]["content"]
    assert first["viewPoint"] == {"isRead": False, "isArchived": False, "isFavorited": False}
    assert {m["hasAttachments"] for m in response.body["value"]} == {True, False}


def test_paging_with_top_and_next_link(graph, world, sample):
    client = graph("a1.global_admin")
    page = client.get("/messages", **{"$top": "2"})
    assert len(page.body["value"]) == 2
    next_link = page.body["@odata.nextLink"]
    rest = client.client.get(next_link.split("testserver")[1], headers=client.headers).json()
    assert len(rest["value"]) == 1 and "@odata.nextLink" not in rest


def test_filters_on_common_fields(graph, world, sample):
    client = graph("a1.global_admin")
    majors = client.get("/messages", **{"$filter": "isMajorChange eq true"}).body["value"]
    assert [m["title"] for m in majors] == ["Change 1"]
    planned = client.get("/messages", **{"$filter": "category eq 'planForChange' and severity eq 'high'"})
    assert [m["title"] for m in planned.body["value"]] == ["Change 1"]
    by_service = client.get("/messages", **{"$filter": "services/any(s:s eq 'Microsoft Teams')"})
    assert by_service.body["value"] == []
    bad = client.get("/messages", **{"$filter": "startswith(title, 'x')"})
    assert bad.status_code == 400 and bad.body["error"]["code"] == "BadRequest"


def test_state_actions_are_per_user(graph, world, sample):
    _, _, posts = sample
    ids = [posts[0].display_id, posts[1].display_id]
    client = graph("a1.global_admin")
    for action in ("markRead", "archive", "favorite"):
        response = client.post(f"/messages/{action}", {"messageIds": ids})
        assert response.status_code == 200 and response.body["value"] is True
    got = client.get(f"/messages/{posts[0].display_id}").body
    assert got["viewPoint"] == {"isRead": True, "isArchived": True, "isFavorited": True}
    client.post("/messages/unarchive", {"messageIds": ids})
    client.post("/messages/markUnread", {"messageIds": ids[:1]})
    client.post("/messages/unfavorite", {"messageIds": ids[:1]})
    assert client.get(f"/messages/{posts[0].display_id}").body["viewPoint"] == {
        "isRead": False,
        "isArchived": False,
        "isFavorited": False,
    }
    other = graph("a1.message_center_reader").get(f"/messages/{posts[1].display_id}").body
    assert other["viewPoint"]["isRead"] is False
    read = client.get("/messages", **{"$filter": "viewPoint/isRead eq true"}).body["value"]
    assert [m["id"] for m in read] == [posts[1].display_id]


def test_outsiders_and_wrong_roles_change_nothing(graph, world, sample):
    _, _, posts = sample
    outside, user_admin, reader, admin = (
        graph(k) for k in ("b1.global_admin", "a1.user_admin", "a1.message_center_reader", "a1.global_admin")
    )
    before = database_state()
    assert outside.get(f"/messages/{posts[0].display_id}").status_code == 404
    assert outside.post("/messages/markRead", {"messageIds": [posts[0].display_id]}).status_code == 404
    assert user_admin.get("/messages").status_code == 403
    assert reader.get("/issues").status_code == 403
    assert graph(None).get("/messages").status_code == 401
    assert admin.post("/messages/markRead", {"messageIds": []}).status_code == 400
    assert database_state() == before
    assert not MessageViewState.objects.exists()


def test_issues_and_health_overviews(graph, world, sample):
    _, issue, _ = sample
    client = graph("a1.global_admin")
    issues = client.get("/issues").body["value"]
    assert [i["id"] for i in issues] == [issue.display_id]
    assert issues[0]["status"] == "postIncidentReviewPublished"
    assert issues[0]["classification"] == "incident"
    assert issues[0]["service"] == "Exchange Online"
    assert issues[0]["isResolved"] is True
    assert [p["description"]["content"] for p in issues[0]["posts"]][:2] == [
        "<p>Investigating.</p>",
        "<p>Rolling out a fix.</p>",
    ]
    assert client.get("/issues", **{"$filter": "isResolved eq false"}).body["value"] == []
    report = client.client.get(f"{BASE}/issues/{issue.display_id}/incidentReport", headers=client.headers)
    assert report.content == b"Root cause: certificate expiry."
    overviews = client.get("/healthOverviews", **{"$expand": "issues"}).body["value"]
    assert [(o["id"], o["status"], len(o["issues"])) for o in overviews] == [
        ("Exchange Online", "serviceOperational", 1),
        ("SharePoint Online", "serviceOperational", 0),
    ]
    one = client.get("/healthOverviews/Exchange Online").body
    assert one == {"id": "Exchange Online", "service": "Exchange Online", "status": "serviceOperational"}
    assert graph("a2.global_admin").get(f"/issues/{issue.display_id}").status_code == 404
    assert graph("a2.global_admin").get("/healthOverviews/Exchange Online").status_code == 404


def test_attachments(graph, world, sample):
    _, _, posts = sample
    client = graph("a1.global_admin")
    listed = client.get(f"/messages/{posts[0].display_id}/attachments").body["value"]
    assert [(a["name"], a["size"]) for a in listed] == [("plan.txt", 6)]
    one = client.get(f"/messages/{posts[0].display_id}/attachments/{listed[0]['id']}").body
    assert one["content"] == "c3RlcCAx"


# --- $select, $count, $orderby ---------------------------------------------------------------------


def test_select_returns_only_the_named_properties(graph, world, sample):
    _, issue, posts = sample
    client = graph("a1.global_admin")
    messages = client.get("/messages", **{"$select": "id,title"}).body
    assert messages["@odata.context"].endswith("/$metadata#admin/serviceAnnouncement/messages(id,title)")
    assert messages["value"][0] == {"id": posts[2].display_id, "title": "Change 2"}
    issues = client.get("/issues", **{"$select": "status,id"}).body["value"]
    assert issues == [{"status": "postIncidentReviewPublished", "id": issue.display_id}]


def test_count_is_the_total_matching_not_the_page(graph, world, sample):
    client = graph("a1.global_admin")
    page = client.get("/messages", **{"$count": "true", "$top": "1"}).body
    assert page["@odata.count"] == 3 and len(page["value"]) == 1
    filtered = client.get("/messages", **{"$count": "true", "$filter": "isMajorChange eq true"}).body
    assert filtered["@odata.count"] == 1
    assert "@odata.count" not in client.get("/messages", **{"$count": "false"}).body
    assert client.get("/issues", **{"$count": "true"}).body["@odata.count"] == 1


def test_orderby_sorts_and_pages_in_that_order(graph, world, sample):
    _, _, posts = sample
    client = graph("a1.global_admin")
    ascending = [p.display_id for p in posts]
    oldest_first = client.get("/messages", **{"$orderby": "lastModifiedDateTime asc", "$top": "2"})
    assert [m["id"] for m in oldest_first.body["value"]] == ascending[:2]
    rest = client.client.get(
        oldest_first.body["@odata.nextLink"].split("testserver")[1], headers=client.headers
    ).json()
    assert [m["id"] for m in rest["value"]] == ascending[2:]
    by_id = client.get("/messages", **{"$orderby": "id desc", "$select": "id"}).body["value"]
    assert [m["id"] for m in by_id] == ascending[::-1]
    issues = client.get("/issues", **{"$orderby": "startDateTime desc,lastModifiedDateTime"})
    assert issues.status_code == 200 and len(issues.body["value"]) == 1


@pytest.mark.parametrize(
    "params",
    [
        {"$select": "id,nonsense"},
        {"$select": ""},
        {"$count": "yes"},
        {"$orderby": "title"},
        {"$orderby": "lastModifiedDateTime sideways"},
        {"$orderby": "id asc,id desc"},
        {"$orderby": "id asc desc"},
    ],
)
def test_invalid_query_options_are_graph_bad_requests(graph, world, sample, params):
    for path in ("/messages", "/issues"):
        response = graph("a1.global_admin").get(path, **params)
        if params == {"$select": ""}:
            assert response.status_code == 200  # an empty option is no option, as in Graph
            continue
        assert response.status_code == 400, (path, params)
        assert set(response.body) == {"error"} and response.body["error"]["code"] == "BadRequest"
        assert response.body["error"]["message"]


def test_a_page_with_every_option_costs_the_same_with_more_rows(graph, world, sample):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from partnerdesk.health.testing import published_posts

    client = graph("a1.global_admin")
    params = {"$select": "id,title,services", "$count": "true", "$orderby": "lastModifiedDateTime desc"}

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/messages", **params, **{"$top": "10"}).status_code == 200
        return len(captured)

    queries()  # the token's first use is recorded once
    few = queries()
    published_posts(40)
    assert queries() == few


# --- The official SDK against a running server ----------------------------------------------------


@pytest.fixture
def sdk(live_server, transactional_db):
    pytest.importorskip("msgraph")
    from kiota_abstractions.authentication import (
        AccessTokenProvider,
        AllowedHostsValidator,
        BaseBearerTokenAuthenticationProvider,
    )
    from msgraph import GraphRequestAdapter, GraphServiceClient

    def make(token: str):
        class StaticToken(AccessTokenProvider):
            async def get_authorization_token(self, uri, additional_authentication_context=None):
                return token

            def get_allowed_hosts_validator(self):
                return AllowedHostsValidator([])

        adapter = GraphRequestAdapter(BaseBearerTokenAuthenticationProvider(StaticToken()))
        adapter.base_url = f"{live_server.url}/graph/v1.0"
        return GraphServiceClient(request_adapter=adapter)

    return make


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # the SDK's own generated code
def test_msgraph_sdk_lists_messages_and_issues_and_marks_read(sdk, live_server):
    from msgraph.generated.admin.service_announcement.messages.mark_read.mark_read_post_request_body import (
        MarkReadPostRequestBody,
    )
    from msgraph.generated.models.service_health_status import ServiceHealthStatus
    from msgraph.generated.models.service_update_category import ServiceUpdateCategory

    from partnerdesk.testing import build_world

    world = build_world()
    catalog = build_catalog(world)
    issue, posts = publish_sample(world, catalog)
    client = sdk(token_for(world.user("a1.global_admin")))
    announcement = client.admin.service_announcement

    async def scenario():
        messages = await announcement.messages.get()
        issues = await announcement.issues.get()
        body = MarkReadPostRequestBody()
        body.message_ids = [posts[0].display_id]
        marked = await announcement.messages.mark_read.post(body)
        again = await announcement.messages.by_service_update_message_id(posts[0].display_id).get()
        overviews = await announcement.health_overviews.get()
        return messages, issues, marked, again, overviews

    # In its own thread: Playwright's sync API may already run an event loop in this one.
    with ThreadPoolExecutor(max_workers=1) as pool:
        messages, issues, marked, again, overviews = pool.submit(asyncio.run, scenario()).result(timeout=60)

    assert [m.id for m in messages.value] == [p.display_id for p in reversed(posts)]
    assert messages.value[0].category == ServiceUpdateCategory.StayInformed
    assert messages.value[0].view_point.is_read is False
    assert [i.id for i in issues.value] == [issue.display_id]
    assert issues.value[0].status == ServiceHealthStatus.PostIncidentReviewPublished
    assert marked.value is True
    assert again.view_point.is_read is True
    assert [o.service for o in overviews.value] == ["Exchange Online", "SharePoint Online"]
    assert MessageViewState.objects.get(message=posts[0]).is_read
