"""Why a mail waits in the quarantine is stored as a text code with parameters and read in the
reader's language; the English sentence is kept beside it, and reasons written before codes get
theirs by migration."""

from __future__ import annotations

import importlib
from email.message import EmailMessage
from typing import Any

import pytest
from django.apps import apps
from django.utils import translation

from partnerdesk import texts
from partnerdesk.support import inbound
from partnerdesk.support.models import InboundMail
from partnerdesk.support.tests.test_quarantine import open_request
from partnerdesk.testing import World

pytestmark = pytest.mark.django_db


def received(
    *, sender: str, subject: str, body: str = "Hello", message_id: str = "<r@x.test>"
) -> InboundMail:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "support@partnerdesk.test"
    message["Subject"] = subject
    message["Message-ID"] = message_id
    message.set_content(body)
    return inbound.process(bytes(message))


def test_each_reason_is_a_code_with_its_parameters(world: World, media_root: Any) -> None:
    request = open_request(world)
    cases = [
        (received(sender="chen@contoso.test", subject="Help", message_id="<1@x>"), "inbound.no_number", {}),
        (
            received(sender="chen@contoso.test", subject="Re: [SUP999999]", message_id="<2@x>"),
            "inbound.unknown_number",
            {"number": "SUP999999"},
        ),
        (
            received(sender="stranger@example.test", subject=f"Re: [{request.number}]", message_id="<3@x>"),
            "inbound.not_a_person_of_the_customer",
            {"customer": "Contoso"},
        ),
        (
            received(
                sender="message_center_reader@contoso.test", subject=f"[{request.number}]", message_id="<4@x>"
            ),
            "inbound.may_not_use_support",
            {},
        ),
    ]
    for mail, code, params in cases:
        mail.refresh_from_db()
        assert (mail.status, mail.text_code, mail.text_params) == ("quarantined", code, params)
    with translation.override("en"):
        assert [mail.reason for mail, _code, _params in cases] == [
            "The subject names no request number.",
            "No request has the number SUP999999.",
            "The sender is not a user of Contoso.",
            "The sender may not use support.",
        ]
    # The English sentence is stored beside the code (the command line and old readers use it).
    assert cases[1][0].error == "No request has the number SUP999999."


def test_the_reason_is_read_in_the_readers_language(web: Any, world: World, media_root: Any) -> None:
    mail = received(sender="message_center_reader@contoso.test", subject="Printer", message_id="<5@x>")
    agent = world.user("a.admin_agent")
    agent.language = "es"
    agent.save(update_fields=["language"])
    with translation.override("es"):
        spanish = translation.gettext("The subject names no request number.")
    # Stored English is not what is shown: the code is rendered when read.
    InboundMail.objects.filter(pk=mail.pk).update(error="(stored English)")

    listing = web("a.admin_agent").get("/partner/support-quarantine/").content.decode()
    detail = web("a.admin_agent").get(f"/partner/support-quarantine/{mail.public_id}/").content.decode()

    assert spanish in listing and spanish in detail
    assert "(stored English)" not in listing + detail


def test_a_mail_without_a_code_shows_the_stored_sentence(world: World) -> None:
    mail = InboundMail.objects.create(message_id="<old@x>", status="quarantined", error="Written long ago")
    assert mail.reason == "Written long ago"


def test_the_migration_gives_old_reasons_their_codes(world: World) -> None:
    request = open_request(world)
    old = {
        "no request number in the subject": ("Help", "inbound.no_number", {}),
        "unknown request number": ("Re: [SUP424242]", "inbound.unknown_number", {"number": "SUP424242"}),
        "the sender is not a person of the customer": (
            f"Re: [{request.number}]",
            "inbound.not_a_person_of_the_customer",
            {"customer": "Contoso"},
        ),
        "ValueError: odd bytes": ("x", "", {}),  # not a phrase of ours: read as stored
    }
    rows = {
        phrase: InboundMail.objects.create(
            message_id=f"<m{i}@x>", status="quarantined", error=phrase, subject=subject
        )
        for i, (phrase, (subject, _code, _params)) in enumerate(old.items())
    }

    migration = importlib.import_module("partnerdesk.support.migrations.0011_inbound_reason_codes")
    migration.give_codes(apps, None)

    for phrase, (_subject, code, params) in old.items():
        row = InboundMail.objects.get(pk=rows[phrase].pk)
        assert (row.text_code, row.text_params, row.error) == (code, params, phrase)


def test_a_refusal_and_an_unreadable_mail_name_what_happened() -> None:
    with translation.override("en"):
        assert (
            texts.render("inbound.refused", {"message": "This request is closed."}, "")
            == "The request refused the message: This request is closed."
        )
        assert (
            texts.render("inbound.unreadable", {"error": "ValueError: odd"}, "")
            == "The message could not be read (ValueError: odd)."
        )
