"""Quarantined inbound mail: the desk it was addressed to lists it, releases it to an open request or
a new one (attachments included) or discards it after confirming, audited; another partner's mail is a
404 and a customer or a helpdesk agent is refused, with nothing changed.
"""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from partnerdesk.access.principal import principal_for
from partnerdesk.audit.models import AuditEvent
from partnerdesk.support import inbound, support_requests
from partnerdesk.support.inputs import SupportRequestIn
from partnerdesk.support.models import Attachment, InboundMail, Message, SupportRequest
from partnerdesk.testing import database_state

pytestmark = pytest.mark.django_db


def open_request(world, key="a1.global_admin") -> SupportRequest:
    return support_requests.create_support_request(
        principal_for(world.user(key)),
        SupportRequestIn(
            title="Mail down",
            description="d",
            severity="moderate",
            contact_name="C",
            contact_email="c@x.test",
        ),
    )


def mail(*, sender: str, subject: str, message_id: str, attachment: bytes | None = None) -> InboundMail:
    message = EmailMessage()
    message["From"] = f"Someone <{sender}>"
    message["To"] = "support@partnerdesk.test"
    message["Subject"] = subject
    message["Message-ID"] = message_id
    message.set_content("The printer in room 4 prints only blank pages.\n\nOn Mon, x wrote:\n> old\n")
    if attachment is not None:
        message.add_attachment(attachment, maintype="text", subtype="plain", filename="log.txt")
    kept = inbound.process(bytes(message))
    assert kept.status == InboundMail.Status.QUARANTINED
    return kept


@pytest.fixture
def quarantined(world, media_root):
    """A mail from a Contoso user without the support role, naming no request: Fabrikam's desk."""
    return mail(
        sender="message_center_reader@contoso.test",
        subject="Printer broken",
        message_id="<q1@contoso.test>",
        attachment=b"paper jam at 10:02",
    )


@pytest.fixture
def others(world, media_root):
    """A mail for Litware's desk (a reply naming one of its requests, from a stranger)."""
    request = open_request(world, "b1.global_admin")
    return mail(sender="stranger@example.test", subject=f"Re: [{request.number}]", message_id="<q2@x.test>")


def test_the_desk_lists_only_its_own_quarantined_mail(api, web, world, quarantined, others):
    listed = api("a.admin_agent").get("/inbound-quarantine").json_body["items"]

    assert [(m["sender"], m["subject"]) for m in listed] == [
        ("message_center_reader@contoso.test", "Printer broken")
    ]
    assert listed[0]["reason"] == "The subject names no request number."
    assert listed[0]["reason_code"] == "inbound.no_number"
    assert [m["subject"] for m in api("b.admin_agent").get("/inbound-quarantine").json_body["items"]] == [
        others.subject
    ]
    html = web("a.admin_agent").get("/partner/support-quarantine/").content.decode()
    assert "Printer broken" in html and others.subject not in html
    detail = api("a.admin_agent").get(f"/inbound-quarantine/{quarantined.public_id}").json_body
    assert detail["body"] == "The printer in room 4 prints only blank pages."
    assert detail["attachments"] == ["log.txt"]


def test_release_to_an_open_request_adds_the_message_and_its_attachment(api, world, quarantined):
    request = open_request(world)

    released = api("a.admin_agent").post(
        f"/inbound-quarantine/{quarantined.public_id}/release", {"request_id": str(request.pk)}
    )

    assert released.status_code == 200
    assert released.json_body["number"] == request.number
    message = Message.objects.get(support_request=request, source="email")
    assert message.body == "The printer in room 4 prints only blank pages."
    assert message.author_name == "message_center_reader@contoso.test"
    assert Attachment.objects.get(support_request=request).filename == "log.txt"
    stored = InboundMail.objects.get(pk=quarantined.pk)
    assert stored.status == InboundMail.Status.RELEASED
    assert stored.support_request == request
    assert stored.handled_by == world.user("a.admin_agent")
    event = AuditEvent.objects.get(action="inbound_mail.released")
    assert event.organization == world.partner_a
    assert event.after["request"] == request.number
    assert api("a.admin_agent").get("/inbound-quarantine").json_body["items"] == []


def test_release_to_a_new_request_for_a_chosen_customer(web, world, quarantined):
    answer = web("a.admin_agent").post(
        f"/partner/support-quarantine/{quarantined.public_id}/release/",
        {"customer": str(world.customer_a2.pk)},
    )

    created = SupportRequest.objects.get(customer=world.customer_a2)
    assert answer.status_code == 302
    assert answer["Location"] == f"/partner/support/{created.pk}/"
    assert created.title == "Printer broken"
    assert created.partner == world.partner_a
    assert Message.objects.filter(support_request=created, source="email").count() == 1
    assert AuditEvent.objects.filter(action="inbound_mail.released").count() == 1


def test_a_resolved_request_cannot_receive_the_mail(api, world, quarantined):
    request = open_request(world)
    SupportRequest.objects.filter(pk=request.pk).update(status=SupportRequest.Status.CLOSED)
    before = database_state()

    refused = api("a.admin_agent").post(
        f"/inbound-quarantine/{quarantined.public_id}/release", {"request_id": str(request.pk)}
    )

    assert refused.status_code == 409
    assert refused.json_body["error"]["code"] == "request_not_open"
    assert database_state() == before


def test_discard_asks_first_then_deletes_the_content_and_is_audited(web, world, quarantined):
    client = web("a.partner_global_admin")
    path = f"/partner/support-quarantine/{quarantined.public_id}/discard/"
    before = database_state()

    asked = client.post(path)

    assert asked.status_code == 200
    assert "This cannot be undone." in asked.content.decode()
    assert database_state() == before
    done = client.post(path, {"confirmed": "1"})
    assert done.status_code == 302
    stored = InboundMail.objects.get(pk=quarantined.pk)
    assert stored.status == InboundMail.Status.DISCARDED
    assert bytes(stored.raw) == b""
    assert AuditEvent.objects.get(action="inbound_mail.discarded").organization == world.partner_a


def test_discard_over_the_api_and_not_twice(api, world, quarantined):
    client = api("a.admin_agent")

    assert client.post(f"/inbound-quarantine/{quarantined.public_id}/discard").status_code == 204
    assert client.post(f"/inbound-quarantine/{quarantined.public_id}/discard").status_code == 404
    assert InboundMail.objects.get(pk=quarantined.pk).status == InboundMail.Status.DISCARDED


def test_another_partners_mail_is_not_found_and_nothing_changes(api, web, world, quarantined, others):
    request = open_request(world)
    before = database_state()

    for answer in (
        api("b.admin_agent").get(f"/inbound-quarantine/{quarantined.public_id}"),
        api("b.admin_agent").post(
            f"/inbound-quarantine/{quarantined.public_id}/release", {"customer_id": str(world.customer_b1.pk)}
        ),
        api("b.admin_agent").post(f"/inbound-quarantine/{quarantined.public_id}/discard"),
        # Its own mail to another partner's request, or for another partner's customer.
        api("b.admin_agent").post(
            f"/inbound-quarantine/{others.public_id}/release", {"request_id": str(request.pk)}
        ),
        api("b.admin_agent").post(
            f"/inbound-quarantine/{others.public_id}/release", {"customer_id": str(world.customer_a1.pk)}
        ),
        web("b.admin_agent").get(f"/partner/support-quarantine/{quarantined.public_id}/"),
        web("b.admin_agent").post(
            f"/partner/support-quarantine/{quarantined.public_id}/discard/", {"confirmed": "1"}
        ),
    ):
        assert answer.status_code == 404
    assert database_state() == before


@pytest.mark.parametrize("key", ["a.helpdesk_agent", "a1.global_admin", "operator.support_engineer"])
def test_a_customer_helpdesk_or_operator_is_refused_and_nothing_changes(api, web, world, quarantined, key):
    request = open_request(world)
    before = database_state()

    assert api(key).get("/inbound-quarantine").status_code == 403
    assert (
        api(key)
        .post(f"/inbound-quarantine/{quarantined.public_id}/release", {"request_id": str(request.pk)})
        .status_code
        == 403
    )
    assert api(key).post(f"/inbound-quarantine/{quarantined.public_id}/discard").status_code == 403
    assert (
        web(key)
        .post(f"/partner/support-quarantine/{quarantined.public_id}/discard/", {"confirmed": "1"})
        .status_code
        == 403
    )
    assert database_state() == before
