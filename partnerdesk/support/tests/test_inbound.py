"""Replies by e-mail: appended by Message-ID once, attachments size-limited, bad mail quarantined."""

from __future__ import annotations

from email.message import EmailMessage

import pytest
from django.core.management import call_command

from partnerdesk.access.principal import principal_for
from partnerdesk.support import inbound, support_requests
from partnerdesk.support.inputs import SupportRequestIn
from partnerdesk.support.models import Attachment, InboundMail, Message, SupportRequest


def make_request(world) -> SupportRequest:
    return support_requests.create_support_request(
        principal_for(world.user("a1.global_admin")),
        SupportRequestIn(
            title="Mail down",
            description="d",
            severity="moderate",
            contact_name="C",
            contact_email="c@contoso.test",
        ),
    )


def reply(
    request,
    *,
    sender="global_admin@contoso.test",
    message_id="<r1@contoso.test>",
    body="It works now.",
    attachment: bytes | None = None,
) -> bytes:
    message = EmailMessage()
    message["From"] = f"Chen <{sender}>"
    message["To"] = "support@partnerdesk.test"
    message["Subject"] = f"Re: [{request.number}] New reply: {request.title}"
    message["Message-ID"] = message_id
    message.set_content(f"{body}\n\nOn Mon, Partnerdesk wrote:\n> old text\n")
    if attachment is not None:
        message.add_attachment(attachment, maintype="text", subtype="plain", filename="trace.txt")
    return bytes(message)


def test_a_reply_is_appended_once_by_message_id(world, media_root):
    request = make_request(world)
    raw = reply(request, attachment=b"trace lines")

    first = inbound.process(raw)
    second = inbound.process(raw)

    assert first.status == second.status == InboundMail.Status.APPENDED
    messages = Message.objects.filter(support_request=request, source="email")
    assert [m.body for m in messages] == ["It works now."]  # the quoted text is dropped
    assert Attachment.objects.get().filename == "trace.txt"
    assert InboundMail.objects.count() == 1


def test_an_oversized_attachment_is_dropped_and_noted(world, settings, media_root):
    settings.SUPPORT_ATTACHMENT_MAX_BYTES = 10
    request = make_request(world)

    mail = inbound.process(reply(request, attachment=b"x" * 11))

    assert mail.status == InboundMail.Status.APPENDED
    assert Attachment.objects.count() == 0
    assert Message.objects.filter(support_request=request, body__contains="larger than").exists()


def test_bad_mail_is_quarantined_and_the_rest_goes_on(world, tmp_path, media_root):
    request = make_request(world)
    files = []
    for name, raw in [
        ("garbage.eml", b"\x00\xff not an e-mail at all"),
        ("stranger.eml", reply(request, sender="someone@evil.test", message_id="<s@evil.test>")),
        ("good.eml", reply(request, message_id="<good@contoso.test>")),
    ]:
        path = tmp_path / name
        path.write_bytes(raw)
        files.append(str(path))

    call_command("support_inbound", *files, verbosity=0)

    statuses = dict(InboundMail.objects.values_list("message_id", "status"))
    assert statuses["<s@evil.test>"] == "quarantined"
    assert statuses["<good@contoso.test>"] == "appended"
    assert len([s for s in statuses.values() if s == "quarantined"]) == 2
    assert Message.objects.filter(support_request=request, source="email").count() == 1


def test_a_reply_reopens_a_resolved_request(world, media_root):
    request = make_request(world)
    support_requests.update_support_request(
        principal_for(world.user("a.admin_agent")), request, status="resolved"
    )

    inbound.process(reply(request, body="Still broken."))

    request.refresh_from_db()
    assert request.status == "open"


@pytest.mark.django_db(transaction=True)
def test_the_lmtp_server_appends_a_delivered_reply(media_root):
    import smtplib

    from aiosmtpd.controller import Controller

    from partnerdesk.conftest import free_port
    from partnerdesk.support.management.commands.support_inbound import LmtpHandler, lmtp_controller_class
    from partnerdesk.testing import build_world

    world = build_world()
    request = make_request(world)
    port = free_port()
    controller = lmtp_controller_class(Controller)(LmtpHandler(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        with smtplib.LMTP("127.0.0.1", port) as client:
            client.sendmail(
                "global_admin@contoso.test",
                ["support@partnerdesk.test"],
                reply(request, message_id="<lmtp@c.test>"),
            )
    finally:
        controller.stop()

    assert InboundMail.objects.get(message_id="<lmtp@c.test>").status == "appended"
    assert Message.objects.filter(support_request=request, source="email").count() == 1
