"""Which events a principal may see: the audience columns written when the event was emitted.

Registered into the choke point (`access.policy.scoped`) when the app is ready (`apps.py`). A
broadcast event is listed for everybody here; whoever delivers or shows it also asks the object's own
scoping rule (`webhooks.fanout`), since health and Message center audiences are resolved when read.
"""

from __future__ import annotations

from typing import Any

from django.db import models

from partnerdesk.access.policy import scoped
from partnerdesk.access.principal import Principal


@scoped("events.event")
def _events(principal: Principal, queryset: models.QuerySet[Any]) -> models.QuerySet[Any]:
    return queryset.seen_by(principal.kind, principal.organization.pk)  # type: ignore[attr-defined]
