"""Support mail threads in mail clients and tells the customer where to reply, over real SMTP."""

from __future__ import annotations

from typing import Any

import pytest

from partnerdesk.access.principal import principal_for
from partnerdesk.notifications.services import deliver_due
from partnerdesk.support import inbound, support_requests, timeline
from partnerdesk.support.inputs import SupportRequestIn
from partnerdesk.support.models import Message, SupportRequest
from partnerdesk.testing import World

pytestmark = pytest.mark.django_db

INBOUND = "support-replies@partnerdesk.test"


def open_and_answer(world: World) -> SupportRequest:
    customer = principal_for(world.user("a1.global_admin"))
    request = support_requests.create_support_request(
        customer,
        SupportRequestIn(
            title="Mail stopped",
            description="No mail.",
            severity="moderate",
            contact_name="Chen",
            contact_email=world.user("a1.global_admin").email,
        ),
    )
    agent = principal_for(world.user("a.admin_agent"))
    timeline.add_message(agent, request, body="We are looking into it.")
    timeline.add_message(customer, request, body="Thanks, still broken.")
    return request


def by_kind(smtp_server: Any, world: World) -> dict[str, Any]:
    deliver_due("test-worker", batch=100)
    customer = world.user("a1.global_admin").email
    to_customer = [m for m in smtp_server.messages if m["To"] == customer]
    to_partner = [m for m in smtp_server.messages if m["To"] != customer]
    return {"customer": to_customer, "partner": to_partner}


def test_every_mail_of_a_request_refers_to_one_thread(world: World, smtp_server: Any, settings: Any) -> None:
    settings.SUPPORT_INBOUND_ADDRESS = INBOUND
    request = open_and_answer(world)
    mails = by_kind(smtp_server, world)
    everything = mails["customer"] + mails["partner"]

    assert len(mails["customer"]) == 1 and len(mails["partner"]) == 2
    thread = f"<{request.number.lower()}@partnerdesk.test>"
    assert {m["References"] for m in everything} == {thread}
    assert {m["In-Reply-To"] for m in everything} == {thread}
    assert len({m["Message-ID"] for m in everything}) == 3
    assert all(m["Message-ID"] != thread for m in everything)


def test_mail_that_invites_the_customers_reply_says_where_replies_go(
    world: World, smtp_server: Any, settings: Any
) -> None:
    settings.SUPPORT_INBOUND_ADDRESS = INBOUND
    open_and_answer(world)
    mails = by_kind(smtp_server, world)
    assert [m["Reply-To"] for m in mails["customer"]] == [INBOUND]
    # The partner's desk answers in the partner center; its notifications do not point at the inbox.
    assert [m["Reply-To"] for m in mails["partner"]] == [None, None]


def test_without_an_inbound_address_no_reply_to_is_set(world: World, smtp_server: Any, settings: Any) -> None:
    settings.SUPPORT_INBOUND_ADDRESS = ""
    open_and_answer(world)
    mails = by_kind(smtp_server, world)
    assert all(m["Reply-To"] is None for m in mails["customer"] + mails["partner"])
    assert all(m["References"] for m in mails["customer"] + mails["partner"])


def test_a_reply_to_the_threaded_mail_is_appended(world: World, smtp_server: Any, settings: Any) -> None:
    settings.SUPPORT_INBOUND_ADDRESS = INBOUND
    request = open_and_answer(world)
    sent = by_kind(smtp_server, world)["customer"][0]
    reply = (
        f"From: {world.user('a1.global_admin').email}\r\nTo: {INBOUND}\r\n"
        f"Subject: Re: {sent['Subject']}\r\nMessage-ID: <reply-1@contoso.test>\r\n"
        f"In-Reply-To: {sent['Message-ID']}\r\nReferences: {sent['References']} {sent['Message-ID']}\r\n\r\n"
        "It works again, thank you.\r\n"
    ).encode()
    inbound.process(reply)
    assert (
        Message.objects.filter(support_request=request, source=Message.Source.EMAIL)
        .get()
        .body.startswith("It works again")
    )
