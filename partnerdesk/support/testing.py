"""Support requests for tests, opened through the service the way a customer opens one."""

from __future__ import annotations

from typing import Any

from partnerdesk.access.principal import principal_for
from partnerdesk.support import support_requests
from partnerdesk.support.models import SupportRequest
from partnerdesk.testing import World


def open_support_request(world: World, user: str = "a1.global_admin", **fields: Any) -> SupportRequest:
    """Open a support request as `user` of the tiny world (Contoso's global admin unless told);
    `fields` override the `NewSupportRequest` defaults (a moderate request about mail)."""
    data = {
        "title": "Mail stopped arriving",
        "description": "Since this morning no external mail reaches our mailboxes.",
        "severity": "moderate",
        "contact_name": "Chen",
        "contact_email": "chen@contoso.test",
        **fields,
    }
    return support_requests.create_support_request(
        principal_for(world.user(user)), support_requests.NewSupportRequest(**data)
    )
