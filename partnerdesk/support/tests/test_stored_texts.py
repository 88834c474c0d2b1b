"""Sentences the product writes into timelines are stored as codes and read in the reader's language."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import translation

from partnerdesk.support.models import Message
from partnerdesk.support.tests.test_pages import escalate, open_support_request
from partnerdesk.testing import World

pytestmark = pytest.mark.django_db


def _spanish(message: str) -> str:
    with translation.override("es"):
        return translation.gettext(message)


def test_an_escalation_reads_in_the_readers_language(api: Any, web: Any, world: World, topic: Any) -> None:
    support_request = open_support_request(world)
    escalate(world, support_request, topic)

    written = Message.objects.get(support_request=support_request, text_code="support.escalated")
    assert written.body == "Escalated to the operator."  # English is kept beside the code
    spanish = _spanish("Escalated to the operator.")
    assert spanish != "Escalated to the operator."

    admin = world.user("a1.global_admin")
    admin.language = "es"
    admin.save(update_fields=["language"])
    page = web("a1.global_admin").get(f"/admin/support/{support_request.pk}/").content.decode()
    assert spanish in page and "Escalated to the operator." not in page
    timeline = (
        api("a1.global_admin")
        .get(f"/support-requests/{support_request.pk}/messages", headers={"Accept-Language": "es"})
        .json_body
    )
    assert spanish in [m["body"] for m in timeline["items"]]
    with translation.override("en"):
        assert written.text == "Escalated to the operator."


def test_an_unknown_code_shows_the_stored_sentence(world: World) -> None:
    support_request = open_support_request(world)
    message = Message.objects.create(
        support_request=support_request, body="Written before codes.", text_code="gone.code"
    )
    assert message.text == "Written before codes."
