"""Live pages of support: each stream sends only what its viewer may see, resumes, ends, refuses.

The streams read the events log through the choke point (ADR 0017); these tests read a stream to its
end with `?once=1` (one tick) or a short `LIVE_STREAM_SECONDS`, through the same wrappers as the pages.
"""

from __future__ import annotations

import re
import time
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from partnerdesk.access.principal import principal_for
from partnerdesk.events.models import Event
from partnerdesk.live.models import Presence
from partnerdesk.support import service_requests, support_requests, timeline
from partnerdesk.support.inputs import SupportRequestIn
from partnerdesk.support.models import Message, SupportRequest
from partnerdesk.testing import World, database_state

pytestmark = pytest.mark.django_db


def read(response: Any) -> list[dict[str, str]]:
    """The SSE messages of a finished stream, each as its fields (comments left out)."""
    text = b"".join(response.streaming_content).decode()
    messages = []
    for block in text.split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if not line.startswith(":"))
        if fields:
            messages.append(fields)
    return messages


def changes(response: Any) -> list[tuple[str, str]]:
    """The (event name, object id) pairs a stream sent."""
    import json

    return [
        (data["type"], data["object"]["id"])
        for data in (json.loads(m["data"]) for m in read(response) if m.get("event") == "change")
    ]


def open_request(
    world: World, customer: str = "a1.global_admin", title: str = "Mail stopped"
) -> SupportRequest:
    return support_requests.create_support_request(
        principal_for(world.user(customer)),
        SupportRequestIn(
            title=title,
            description="No external mail since 8:00.",
            severity="moderate",
            contact_name="Chen",
            contact_email="chen@contoso.test",
        ),
    )


@pytest.fixture
def busy(world: World, topic: Any) -> dict[str, Any]:
    """Partner A's request with a public reply, an internal note and an escalation; one of partner B's."""
    since = Event.objects.order_by("-id").values_list("id", flat=True).first() or 0
    agent = principal_for(world.user("a.admin_agent"))
    request = open_request(world)
    timeline.add_message(agent, request, body="We are on it.")
    timeline.add_message(agent, request, body="Probably the relay.", visibility="internal")
    escalated = service_requests.escalate(
        agent,
        request,
        service_requests.NewServiceRequest(title="Relay", description="d", severity="moderate", topic=topic),
    )
    other = open_request(world, "b1.global_admin", "Litware's customer")
    return {"since": since, "request": request, "escalated": escalated, "other": other}


def stream(client: Any, path: str, since: int, **headers: str) -> Any:
    response = client.get(f"{path}?once=1&since={since}", headers=headers)
    assert response.status_code == 200, response
    return response


def test_the_partner_queue_streams_its_own_customers_requests_with_internal_notes(web, busy):
    sent = changes(stream(web("a.admin_agent"), "/partner/support/live/", busy["since"]))

    names = [name for name, _ in sent]
    assert names[0] == "support_request.created"
    assert names.count("support_request.message_added") == 2  # the internal note: the desk sees it
    assert "support_request.escalated" in names
    assert {object_id for _, object_id in sent} == {str(busy["request"].pk)}  # never partner B's


def test_another_partners_queue_stream_sends_nothing_of_partner_a(web, busy):
    sent = changes(stream(web("b.admin_agent"), "/partner/support/live/", busy["since"]))

    assert sent == [("support_request.created", str(busy["other"].pk))]


def test_the_customer_never_receives_an_internal_note_nor_the_escalation(web, busy):
    request = busy["request"]
    path = f"/admin/support/{request.pk}/live/"

    sent = [name for name, _ in changes(stream(web("a1.global_admin"), path, busy["since"]))]
    seen_by_partner = [
        name
        for name, _ in changes(
            stream(web("a.admin_agent"), f"/partner/support/{request.pk}/live/", busy["since"])
        )
    ]

    assert sent.count("support_request.message_added") == 1  # the public reply only
    assert "support_request.escalated" not in sent
    assert seen_by_partner.count("support_request.message_added") == 2


def test_the_escalation_desk_and_the_partner_stream_the_service_request(web, busy, world):
    escalated = busy["escalated"]
    engineer = principal_for(world.user("operator.support_engineer"))
    timeline.add_note(engineer, escalated, body="Relay team checks.", kind="operator_internal")

    operator = changes(
        stream(web("operator.support_engineer"), "/operator/service-requests/live/", busy["since"])
    )
    partner = changes(
        stream(web("a.admin_agent"), f"/partner/service-requests/{escalated.pk}/live/", busy["since"])
    )

    assert ("service_request.note_added", str(escalated.pk)) in operator  # its own internal note
    assert ("service_request.note_added", str(escalated.pk)) not in partner  # never to the partner
    assert ("service_request.created", str(escalated.pk)) in partner
    assert all(name.startswith("service_request.") for name, _ in operator)


def test_last_event_id_resumes_after_the_last_event_received(web, busy, world):
    client = web("a.admin_agent")
    first = read(stream(client, "/partner/support/live/", busy["since"]))
    last_id = [m["id"] for m in first if m.get("event") == "change"][-1]
    timeline.add_message(principal_for(world.user("a1.global_admin")), busy["request"], body="Still broken.")

    # The browser keeps the page's ?since= and sends the id it last saw: the header wins.
    resumed = changes(stream(client, "/partner/support/live/", busy["since"], **{"Last-Event-ID": last_id}))

    assert resumed == [("support_request.message_added", str(busy["request"].pk))]


def test_the_stream_ends_its_answer_by_itself_with_a_retry_hint(web, busy, settings):
    settings.LIVE_STREAM_SECONDS = 1
    started = time.monotonic()
    response = web("a.admin_agent").get(f"/partner/support/live/?since={busy['since']}")

    messages = read(response)

    assert time.monotonic() - started < 4
    assert response["Content-Type"] == "text/event-stream"
    assert response["Cache-Control"] == "no-cache"
    assert response["X-Accel-Buffering"] == "no"
    assert "retry" in messages[-1] and int(messages[-1]["id"]) >= int(
        [m["id"] for m in messages if m.get("event") == "change"][-1]
    )


@pytest.mark.parametrize(
    ("user", "path", "status"),
    [
        ("b.admin_agent", "/partner/support/{request}/live/", 404),  # another partner's request
        ("a2.global_admin", "/admin/support/{request}/live/", 404),  # another customer's
        ("b.admin_agent", "/partner/service-requests/{escalated}/live/", 404),
        ("a.sales_agent", "/partner/support/live/", 403),  # may not work the desk
        ("a.sales_agent", "/partner/support/{request}/live/", 403),
        ("a.admin_agent", "/operator/service-requests/live/", 403),
        ("a1.global_admin", "/partner/support/live/", 403),
        (None, "/partner/support/live/", 302),
    ],
)
def test_outsiders_and_wrong_roles_are_refused_before_any_stream(web, busy, user, path, status):
    before = database_state()

    response = web(user).get(path.format(request=busy["request"].pk, escalated=busy["escalated"].pk))

    assert response.status_code == status
    assert not response.streaming
    assert database_state() == before


def test_a_customer_page_stream_shows_no_presence_of_agents(web, busy, world):
    request = busy["request"]
    web("a.admin_agent").post(f"/partner/support/{request.pk}/replying/")

    messages = read(stream(web("a1.global_admin"), f"/admin/support/{request.pk}/live/", busy["since"]))

    assert not [m for m in messages if m.get("event") == "presence"]
    assert "is replying" not in web("a1.global_admin").get(f"/admin/support/{request.pk}/").content.decode()


def test_an_agent_sees_another_agent_replying_until_the_ping_is_thirty_seconds_old(web, busy, world):
    request = busy["request"]
    name = world.user("a.helpdesk_agent").display_name
    helpdesk = web("a.helpdesk_agent")

    assert helpdesk.post(f"/partner/support/{request.pk}/replying/").status_code == 204
    page = web("a.admin_agent").get(f"/partner/support/{request.pk}/").content.decode()
    presence = [
        m["data"]
        for m in read(stream(web("a.admin_agent"), f"/partner/support/{request.pk}/live/", busy["since"]))
        if m.get("event") == "presence"
    ]
    own = helpdesk.get(f"/partner/support/{request.pk}/").content.decode()
    Presence.objects.update(seen_at=timezone.now() - timedelta(seconds=31))
    later = web("a.admin_agent").get(f"/partner/support/{request.pk}/").content.decode()

    assert f"{name} is replying…" in page
    assert presence == [f'["{name}"]']
    assert "is replying" not in own  # nobody is shown their own typing
    assert "is replying" not in later


def test_presence_pings_are_refused_to_outsiders_and_wrong_roles_with_nothing_changed(web, busy):
    request = busy["request"]
    before = database_state()

    outsider = web("b.admin_agent").post(f"/partner/support/{request.pk}/replying/")
    wrong_role = web("a.sales_agent").post(f"/partner/support/{request.pk}/replying/")
    reading = web("a.admin_agent").get(f"/partner/support/{request.pk}/replying/")

    assert (outsider.status_code, wrong_role.status_code, reading.status_code) == (404, 403, 405)
    assert database_state() == before


def test_sending_the_reply_ends_the_agents_presence(web, busy):
    request = busy["request"]
    agent = web("a.admin_agent")
    agent.post(f"/partner/support/{request.pk}/replying/")
    etag = SupportRequest.objects.get(pk=request.pk).etag

    agent.post(f"/partner/support/{request.pk}/", {"action": "reply", "body": "Fixed.", "etag": etag})

    assert not Presence.objects.exists()


def test_a_stale_reply_is_refused_with_the_other_agents_reply_shown_and_the_draft_kept(web, busy):
    request = busy["request"]
    first, second = web("a.admin_agent"), web("a.helpdesk_agent")
    page = second.get(f"/partner/support/{request.pk}/").content.decode()
    etag = re.search(r'name="etag" value="([^"]+)"', page[page.index("data-live-draft") :]).group(1)
    fresh = SupportRequest.objects.get(pk=request.pk).etag
    first.post(
        f"/partner/support/{request.pk}/", {"action": "reply", "body": "Restarted the relay.", "etag": fresh}
    )
    replies = Message.objects.count()

    refused = second.post(
        f"/partner/support/{request.pk}/", {"action": "reply", "body": "My draft answer.", "etag": etag}
    )

    body = refused.content.decode()
    assert refused.status_code == 409
    assert "Restarted the relay." in body  # the other agent's reply
    assert "My draft answer.</textarea>" in body  # the refused draft, kept
    assert Message.objects.count() == replies
    assert f'name="etag" value="{SupportRequest.objects.get(pk=request.pk).etag}"' in body.replace(
        "&quot;", '"'
    )


def test_a_region_is_fetched_again_through_the_same_view(web, busy):
    request = busy["request"]

    queue = web("a.admin_agent").get("/partner/support/?fragment=queue&status=").content.decode()
    timeline_region = (
        web("a.admin_agent").get(f"/partner/support/{request.pk}/?fragment=timeline").content.decode()
    )
    customer = web("a1.global_admin").get(f"/admin/support/{request.pk}/?fragment=timeline").content.decode()

    assert queue.startswith("<table") and request.title in queue and "<html" not in queue
    assert "Probably the relay." in timeline_region and "data-live-etag" in timeline_region
    assert "We are on it." in customer and "Probably the relay." not in customer


def test_a_live_pages_own_requests_do_not_keep_an_idle_session_alive(web, busy, settings):
    import time as clock

    from partnerdesk.accounts import sessions

    settings.SESSION_IDLE_TIMEOUT_MINUTES = 30
    agent = web("a.admin_agent")
    agent.get("/partner/support/")
    session = agent.session
    session[sessions.SEEN] = clock.time() - 20 * 60
    session.save()
    request = busy["request"]

    stream(agent, "/partner/support/live/", busy["since"], Accept="text/event-stream")
    agent.get(f"/partner/support/{request.pk}/?fragment=timeline", headers={"X-Live-Fragment": "1"})
    untouched = agent.session[sessions.SEEN]
    agent.post(f"/partner/support/{request.pk}/replying/")  # typing is the person at work

    assert clock.time() - untouched >= 20 * 60 - 5
    assert clock.time() - agent.session[sessions.SEEN] < 5


def test_on_a_service_request_each_side_sees_only_its_own_people_replying(web, busy, world):
    escalated = busy["escalated"]
    engineer = world.user("operator.support_engineer").display_name
    helpdesk = world.user("a.helpdesk_agent").display_name

    assert (
        web("operator.support_engineer")
        .post(f"/operator/service-requests/{escalated.pk}/replying/")
        .status_code
        == 204
    )
    assert (
        web("a.helpdesk_agent").post(f"/partner/service-requests/{escalated.pk}/replying/").status_code == 204
    )
    operator_page = (
        web("operator.operator_admin").get(f"/operator/service-requests/{escalated.pk}/").content.decode()
    )
    partner_page = web("a.admin_agent").get(f"/partner/service-requests/{escalated.pk}/").content.decode()

    assert f"{engineer} is replying…" in operator_page and helpdesk not in operator_page
    assert f"{helpdesk} is replying…" in partner_page and engineer not in partner_page


def test_service_request_pings_are_refused_to_outsiders_and_wrong_roles(web, busy):
    escalated = busy["escalated"]
    before = database_state()

    answers = (
        web("b.admin_agent").post(f"/partner/service-requests/{escalated.pk}/replying/").status_code,
        web("a.sales_agent").post(f"/partner/service-requests/{escalated.pk}/replying/").status_code,
        web("a.admin_agent").post(f"/operator/service-requests/{escalated.pk}/replying/").status_code,
    )

    assert answers == (404, 403, 403)
    assert database_state() == before


def test_a_tick_of_a_stream_costs_one_query_on_the_log_and_one_for_presence(web, busy):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    request = busy["request"]
    queue = stream(web("a.admin_agent"), "/partner/support/live/", busy["since"])
    page = stream(web("a.admin_agent"), f"/partner/support/{request.pk}/live/", busy["since"])

    # The generator runs as the answer is read: what it costs is only the stream's own work.
    with CaptureQueriesContext(connection) as on_queue:
        read(queue)
    with CaptureQueriesContext(connection) as on_page:
        read(page)

    # The newest id (where the next stream resumes), then the tick; the request's page adds presence.
    assert len(on_queue) == 2
    assert len(on_page) == 3
    assert all("events_event" in query["sql"] for query in on_queue.captured_queries)


@pytest.mark.parametrize("sent", ["²", "-1", "1e9", "9" * 5000, "abc"])
def test_a_malformed_last_event_id_starts_from_the_pages_cursor(web, busy, sent):
    agent = web("a.admin_agent")

    resumed = changes(stream(agent, "/partner/support/live/", busy["since"], **{"Last-Event-ID": sent}))

    assert resumed == changes(stream(agent, "/partner/support/live/", busy["since"]))
