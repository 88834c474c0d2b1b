"""API: the audit log, scoped like the portals' audit pages."""

import uuid
from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Router
from pydantic import Field

from partnerdesk.access.permissions import Permission
from partnerdesk.api import Out, PageOut, principal_of, requires
from partnerdesk.audit.queries import filtered_events
from partnerdesk.pagination import paginate

router = Router(tags=["audit"])


class AuditEventOut(Out):
    id: int
    at: datetime
    actor_user_id: uuid.UUID | None
    actor_email: str
    actor_app_id: uuid.UUID | None = Field(description="The OAuth app that made the change, if an app did")
    actor_app_name: str
    actor_organization_id: uuid.UUID | None
    role: str
    on_behalf_of_id: uuid.UUID | None
    channel: str
    organization_id: uuid.UUID | None
    object_type: str
    object_id: str
    action: str
    before: Any
    after: Any
    reason: str


@router.get(
    "/audit-events", response=PageOut[AuditEventOut], summary="Audit events you may see, newest first"
)
@requires(Permission.AUDIT_VIEW)
def list_audit_events(
    request: HttpRequest,
    action: str = "",
    object_type: str = "",
    object_id: str = "",
    actor: str = "",
    channel: str = "",
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int | None = None,
    cursor: str | None = None,
) -> dict[str, Any]:
    queryset = filtered_events(
        principal_of(request),
        action=action,
        object_type=object_type,
        object_id=object_id,
        actor=actor,
        channel=channel,
        since=since,
        until=until,
    )
    return paginate(queryset, ordering=["-id"], cursor=cursor, limit=limit).answer()
