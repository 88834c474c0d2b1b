"""Polled reads answer an ETag and 304 Not Modified while nothing their reader sees has changed.

The Message center list (API and Graph), the service health overview (API and Graph) and Graph's
issues: 304 costs the authentication and one small query, a change of what the reader sees (a post
published or revised, the reader's own read state, a service's status, an entitlement, a post
expiring) gives a new tag, and two readers whose answers differ never share a tag.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from partnerdesk.access.principal import principal_for
from partnerdesk.catalog.models import Offer
from partnerdesk.health import issues, message_center
from partnerdesk.health.models import ChangeCount, MessagePost
from partnerdesk.health.testing import exchange_incident, subscribe
from partnerdesk.health.tests.test_graph import GraphClient, token_for

pytestmark = pytest.mark.django_db

# The caller (token, user and roles: one query), the counters of the posts and of the reader's marks:
# nothing of the list.
MESSAGE_LIST_NOT_MODIFIED_QUERIES = 2
# The caller (one query), the visible services (what the tag is made of).
SERVICE_LIST_NOT_MODIFIED_QUERIES = 2


def operator(world):
    return principal_for(world.user("operator.communications_manager"))


def post(world, catalog, title: str = "New retention labels", **fields):
    return message_center.create_message(
        operator(world),
        title=title,
        body="Plan **now**.",
        category="plan_for_change",
        service_ids=[catalog.exchange.pk],
        audience=message_center.AudienceSpec(type="all"),
        publish=True,
        **fields,
    )


def revalidate(client, path: str, tag: str):
    return client.get(path, headers={"If-None-Match": tag})


@pytest.fixture
def posted(world, catalog):
    return [post(world, catalog, f"Post {i}") for i in range(3)]


def test_an_unchanged_message_list_answers_304_without_a_body(api, world, catalog, posted):
    client = api("a1.global_admin")
    first = client.get("/messages")
    tag = first["ETag"]

    again = revalidate(client, "/messages", tag)

    assert first.status_code == 200 and tag and len(first.json_body["items"]) == 3
    assert again.status_code == 304 and again.content == b"" and again["ETag"] == tag
    assert "private" in first["Cache-Control"] and "no-cache" in first["Cache-Control"]
    assert revalidate(client, "/messages", f'W/{tag}, "other"').status_code == 304  # lists, weak
    assert revalidate(client, "/messages", '"other"').status_code == 200


def test_the_304_of_the_message_list_reads_nothing_of_the_list(
    api, world, catalog, posted, django_assert_num_queries
):
    client = api("a1.global_admin")
    tag = client.get("/messages")["ETag"]
    with django_assert_num_queries(MESSAGE_LIST_NOT_MODIFIED_QUERIES):
        assert revalidate(client, "/messages", tag).status_code == 304


@pytest.mark.parametrize("change", ["publish", "revise", "read", "archive"])
def test_what_the_reader_sees_changing_gives_a_new_tag(api, world, catalog, posted, change):
    client = api("a1.global_admin")
    tag = client.get("/messages")["ETag"]
    reader = principal_for(world.user("a1.global_admin"))
    if change == "publish":
        post(world, catalog, "One more")
    elif change == "revise":
        message_center.revise_message(operator(world), posted[0], {"title": "Retention labels, revised"})
    else:
        message_center.set_view_state(reader, [posted[0].pk], "mark_read" if change == "read" else "archive")

    answer = revalidate(client, "/messages", tag)

    assert answer.status_code == 200 and answer["ETag"] != tag
    assert revalidate(client, "/messages", answer["ETag"]).status_code == 304


def test_another_admins_read_state_leaves_my_tag_alone_and_we_never_share_one(api, world, posted):
    mine = api("a1.global_admin")
    tag = mine.get("/messages")["ETag"]
    colleague = principal_for(world.user("a1.message_center_reader"))
    message_center.set_view_state(colleague, [posted[0].pk], "mark_read")

    assert revalidate(mine, "/messages", tag).status_code == 304
    assert api("a1.message_center_reader").get("/messages")["ETag"] != tag
    assert revalidate(api("a1.message_center_reader"), "/messages", tag).status_code == 200
    assert revalidate(api("a2.global_admin"), "/messages", tag).status_code == 200
    assert mine.get("/messages?view=all")["ETag"] != tag  # another query, another answer


def test_a_post_expiring_changes_the_tag_without_any_write(api, world, catalog, posted):
    expiring = post(world, catalog, "Short-lived", expires_at=timezone.now() + timedelta(hours=1))
    client = api("a1.global_admin")
    listed = client.get("/messages")
    assert str(expiring.pk) in {item["id"] for item in listed.json_body["items"]}
    # An hour passes: the post's expiry and the noted next expiry are behind us (as the clock would).
    noted = ChangeCount.objects.get(name="messages").changes_at
    MessagePost.objects.filter(pk=expiring.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    ChangeCount.objects.filter(name="messages").update(changes_at=timezone.now() - timedelta(seconds=1))

    answer = revalidate(client, "/messages", listed["ETag"])

    assert noted == expiring.expires_at  # the writer noted when its post expires
    assert answer.status_code == 200 and answer["ETag"] != listed["ETag"]
    assert str(expiring.pk) not in {item["id"] for item in answer.json_body["items"]}


def test_a_new_entitlement_changes_the_message_and_service_tags(api, world, catalog, posted):
    client = api("a2.global_admin")  # Adatum: only Teams
    messages, overview = client.get("/messages")["ETag"], client.get("/health/services")["ETag"]
    subscribe(world.customer_a2, Offer.objects.get(name="E3 monthly"))

    assert revalidate(client, "/messages", messages).status_code == 200
    answer = revalidate(client, "/health/services", overview)
    assert answer.status_code == 200 and len(answer.json_body["items"]) == 3


def test_partners_get_no_message_tag(api, posted):
    answer = api("a.admin_agent").get("/messages")
    assert answer.status_code == 200 and not answer.has_header("ETag")


def test_service_overview_304_and_a_status_change(api, world, catalog, django_assert_num_queries):
    client = api("a1.global_admin")
    tag = client.get("/health/services")["ETag"]
    with django_assert_num_queries(SERVICE_LIST_NOT_MODIFIED_QUERIES):
        assert revalidate(client, "/health/services", tag).status_code == 304
    assert api("a2.global_admin").get("/health/services")["ETag"] != tag  # other services
    exchange_incident(world, catalog)

    answer = revalidate(client, "/health/services", tag)

    assert answer.status_code == 200 and answer["ETag"] != tag
    assert {s["key"]: s["status"] for s in answer.json_body["items"]}["exchange"] == "service_degradation"


def test_graph_lists_revalidate(world, catalog, posted):
    client = GraphClient(token_for(world.user("a1.global_admin")))
    tags = {path: client.get(path)["ETag"] for path in ("/messages", "/issues", "/healthOverviews")}
    tags["/healthOverviews?$expand=issues"] = client.get("/healthOverviews", **{"$expand": "issues"})["ETag"]
    unchanged = {
        path: client.client.get(
            f"/graph/v1.0/admin/serviceAnnouncement{path}", headers={**client.headers, "If-None-Match": tag}
        ).status_code
        for path, tag in tags.items()
    }
    issues.create_issue(
        operator(world),
        title="Mail delays",
        impact_description="Delays.",
        service_ids=[catalog.exchange.pk],
        first_post="Investigating.",
        publish=True,
    )
    changed = {
        path: client.client.get(
            f"/graph/v1.0/admin/serviceAnnouncement{path}", headers={**client.headers, "If-None-Match": tag}
        ).status_code
        for path, tag in tags.items()
    }

    assert unchanged == dict.fromkeys(tags, 304)
    # A new issue: the issue lists change, and so does Exchange's status; the posts did not.
    assert changed == {
        "/messages": 304,
        "/issues": 200,
        "/healthOverviews": 200,
        "/healthOverviews?$expand=issues": 200,
    }
