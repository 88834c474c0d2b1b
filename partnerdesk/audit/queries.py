"""The audit log as each portal and the API filter it."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q, QuerySet

from partnerdesk.access import policy
from partnerdesk.access.principal import Principal
from partnerdesk.audit.models import AuditEvent
from partnerdesk.sql import within


def filtered_events(
    principal: Principal,
    *,
    action: str = "",
    object_type: str = "",
    object_id: str = "",
    actor: str = "",
    channel: str = "",
    since: datetime | None = None,
    until: datetime | None = None,
) -> QuerySet[AuditEvent]:
    """Return the events `principal` may see, narrowed by the filters that are set."""
    events = policy.visible(principal, AuditEvent)
    if action:
        events = events.filter(action=action)
    if object_type:
        events = events.filter(object_type=object_type)
    if object_id:
        events = events.filter(object_id=object_id)
    if actor:
        # A person by e-mail, or an app by name.
        events = events.filter(Q(actor_email__iexact=actor.strip()) | Q(actor_app_name__iexact=actor.strip()))
    if channel:
        events = events.filter(channel=channel)
    return within(events, "at", since=since, until=until)
