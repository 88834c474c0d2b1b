"""Who may see a presence row: the organization of the person replying, and nobody else.

Registered into the choke point (`access.policy.scoped`) when the app is ready (`apps.py`). A
customer never learns which partner agent is typing, another partner nothing at all.
"""

from __future__ import annotations

from typing import Any

from django.db import models

from partnerdesk.access.policy import scoped
from partnerdesk.access.principal import Principal


@scoped("live.presence")
def _presence(principal: Principal, queryset: models.QuerySet[Any]) -> models.QuerySet[Any]:
    return queryset.filter(organization_id=principal.organization.pk)
