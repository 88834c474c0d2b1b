"""Timelines, attachments, topics and flags page by cursor: no row skipped or repeated, and a page
costs the same number of queries however many rows there are. The help-article search is bounded
instead: the best few matches, never a next page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from partnerdesk.access.principal import principal_for
from partnerdesk.support import knowledge
from partnerdesk.support.models import Attachment, Message, Note, PartnerFlag, SupportTopic
from partnerdesk.support.tests.conftest import open_request
from partnerdesk.testing import walk_pages

pytestmark = pytest.mark.django_db


@pytest.fixture
def requests(api, world, service, topic):
    """A support request of Contoso and its escalation to the operator: (support id, service id)."""
    support_id = open_request(api("a1.global_admin"), service_id=str(service.pk)).json_body["id"]
    escalated = api("a.admin_agent").post(
        f"/support-requests/{support_id}/escalate", {"topic_id": str(topic.pk), "severity": "moderate"}
    )
    assert escalated.status_code == 201, escalated.json_body
    return support_id, escalated.json_body["id"]


def _later(i: int):
    # Equal times in pairs: the id breaks the tie.
    return timezone.now() + timedelta(minutes=1, seconds=i // 2)


def _messages(support_id: str, start: int, count: int) -> None:
    Message.objects.bulk_create(
        Message(support_request_id=support_id, body=f"Reply {i}", created_at=_later(i))
        for i in range(start, start + count)
    )


def _notes(service_id: str, start: int, count: int) -> None:
    Note.objects.bulk_create(
        Note(service_request_id=service_id, kind="to_partner", body=f"Note {i}", created_at=_later(i))
        for i in range(start, start + count)
    )


def _attachments(start: int, count: int, **request: str) -> None:
    Attachment.objects.bulk_create(
        Attachment(
            file=f"a{i}.txt",
            filename=f"a{i}.txt",
            content_type="text/plain",
            size=1,
            created_at=_later(i),
            **request,
        )
        for i in range(start, start + count)
    )


def _assert_pages(client, path: str, grow, *, key: str, first: int, more: int) -> None:
    walk = walk_pages(client, path, limit=2)
    assert walk.pages == (first + 1) // 2
    assert len({item[key] for item in walk.items}) == len(walk.items) == first

    grow()
    bigger = walk_pages(client, path, limit=2)
    assert len({item[key] for item in bigger.items}) == len(bigger.items) == first + more
    assert max(bigger.queries) <= max(walk.queries)


def test_support_request_messages_page_through_every_row_once(api, requests):
    support_id, _service_id = requests
    _messages(support_id, 0, 4)  # and the description's first message: 5 in all
    client = api("a1.global_admin")
    first = [m["body"] for m in walk_pages(client, f"/support-requests/{support_id}/messages", limit=2).items]
    assert sorted(first[-4:]) == [f"Reply {i}" for i in range(4)]

    _assert_pages(
        client,
        f"/support-requests/{support_id}/messages",
        lambda: _messages(support_id, 10, 20),
        key="id",
        first=len(first),
        more=20,
    )


def test_support_request_attachments_page_through_every_row_once(api, requests):
    support_id, _service_id = requests
    _attachments(0, 5, support_request_id=support_id)
    _assert_pages(
        api("a1.global_admin"),
        f"/support-requests/{support_id}/attachments",
        lambda: _attachments(10, 20, support_request_id=support_id),
        key="id",
        first=5,
        more=20,
    )


def test_service_request_notes_page_through_every_row_once(api, requests):
    _support_id, service_id = requests
    client = api("operator.support_engineer")
    before = len(walk_pages(client, f"/service-requests/{service_id}/notes", limit=50).items)
    _notes(service_id, 0, 5)
    _assert_pages(
        client,
        f"/service-requests/{service_id}/notes",
        lambda: _notes(service_id, 10, 20),
        key="id",
        first=before + 5,
        more=20,
    )


def test_service_request_attachments_page_through_every_row_once(api, requests):
    _support_id, service_id = requests
    _attachments(0, 5, service_request_id=service_id)
    _assert_pages(
        api("a.admin_agent"),
        f"/service-requests/{service_id}/attachments",
        lambda: _attachments(10, 20, service_request_id=service_id),
        key="id",
        first=5,
        more=20,
    )


def test_support_topics_page_through_every_row_once(api, topic):
    SupportTopic.objects.bulk_create(SupportTopic(name=f"Topic {i:02}") for i in range(4))
    SupportTopic.objects.create(name="Retired", active=False)
    client = api("a.admin_agent")
    names = [t["name"] for t in walk_pages(client, "/support-topics", limit=2).items]
    assert names == ["Sign-in and identity", *(f"Topic {i:02}" for i in range(4))]

    _assert_pages(
        client,
        "/support-topics",
        lambda: SupportTopic.objects.bulk_create(SupportTopic(name=f"More {i:02}") for i in range(20)),
        key="id",
        first=5,
        more=20,
    )


def test_partner_flags_page_through_every_row_once_newest_first(api, world):
    def flag(start: int, count: int) -> None:
        PartnerFlag.objects.bulk_create(
            PartnerFlag(
                partner=world.partner_a, reason=f"Flag {i}", remediation="Train.", created_at=_later(i)
            )
            for i in range(start, start + count)
        )

    flag(0, 5)
    PartnerFlag.objects.create(partner=world.partner_b, reason="Not A's", remediation="x")
    reasons = [f["reason"] for f in walk_pages(api("a.admin_agent"), "/partner-flags", limit=2).items]
    assert sorted(reasons) == [f"Flag {i}" for i in range(5)]
    assert reasons[0] == "Flag 4"  # the newest first

    _assert_pages(
        api("operator.support_engineer"), "/partner-flags", lambda: flag(10, 20), key="id", first=6, more=20
    )


def test_help_article_search_is_bounded_not_paged(api, world, service):
    author = principal_for(world.user("operator.support_engineer"))
    for i in range(25):
        knowledge.save_article(
            author, title=f"Mailbox full {i}", body="Archive items.", language="en", services=[service]
        )
    client = api("a1.global_admin")

    default = client.get("/help-articles?q=mailbox").json_body
    widest = client.get("/help-articles?q=mailbox&limit=20").json_body

    assert len(default["items"]) == 5 and default["next_cursor"] is None
    assert len(widest["items"]) == 20 and widest["next_cursor"] is None
    too_many = client.get("/help-articles?q=mailbox&limit=21")
    assert too_many.status_code == 400
    assert too_many.json_body["error"]["code"] == "invalid_limit"
