"""A web form carries the ETag of what it edits: a stale one is shown again with a message, unchanged."""

from __future__ import annotations

import re
from typing import Any

from partnerdesk.accounts.models import User
from partnerdesk.support.models import SupportRequest
from partnerdesk.testing import World, database_state

MESSAGE = "Someone else changed this since you opened it; review it and submit again."


def _form_etag(page: Any) -> str:
    found = re.search(r'name="etag" value="([^"]+)"', page.content.decode())
    assert found, "the form carries no ETag"
    return found.group(1).replace("&quot;", '"')


def test_a_stale_user_form_is_shown_again_with_the_message_and_changes_nothing(
    web: Any, world: World
) -> None:
    path = f"/admin/users/{world.user('a1.user').pk}/edit/"
    mine, theirs = web("a1.global_admin"), web("a1.user_admin")
    opened = _form_etag(mine.get(path))
    form = {"username": "user", "domain": "contoso.test", "etag": opened}
    assert theirs.post(path, {**form, "display_name": "Theirs"}).status_code == 302
    before = database_state()

    stale = mine.post(path, {**form, "display_name": "Mine"})

    assert stale.status_code == 409
    assert MESSAGE in stale.content.decode()
    assert database_state() == before
    again = mine.post(path, {**form, "display_name": "Mine", "etag": _form_etag(stale)})
    assert again.status_code == 302
    assert User.objects.get(pk=world.user("a1.user").pk).display_name == "Mine"


def test_a_stale_support_request_change_is_shown_again_and_changes_nothing(
    api: Any, web: Any, world: World
) -> None:
    made = api("a1.global_admin").post(
        "/support-requests",
        {
            "title": "Mail stopped arriving",
            "description": "No external mail since this morning.",
            "severity": "moderate",
            "contact_name": "Chen",
            "contact_email": "chen@contoso.test",
        },
    )
    path = f"/partner/support/{made.json_body['id']}/"
    mine, theirs = web("a.helpdesk_agent"), web("a.admin_agent")
    opened = _form_etag(mine.get(path))
    assert theirs.post(path, {"action": "update", "severity": "critical", "etag": opened}).status_code == 302
    before = database_state()

    stale = mine.post(path, {"action": "update", "severity": "minimal", "etag": opened})

    assert stale.status_code == 409
    assert MESSAGE in stale.content.decode()
    assert database_state() == before
    assert SupportRequest.objects.get(pk=made.json_body["id"]).severity == "critical"


def test_a_form_without_the_field_still_saves(web: Any, world: World) -> None:
    """Pages opened before the field existed (or scripts posting forms) keep working."""
    path = f"/admin/users/{world.user('a1.user').pk}/edit/"
    response = web("a1.global_admin").post(
        path, {"username": "user", "domain": "contoso.test", "display_name": "Renamed"}
    )
    assert response.status_code == 302
