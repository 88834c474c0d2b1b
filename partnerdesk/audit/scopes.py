"""Which audit events a principal may see.

Registered into the choke point (`access.policy.scoped`) when the app is ready (`apps.py`): the choke
point holds only the mechanism and imports no domain; each domain says here who sees its rows.
"""

from __future__ import annotations

from typing import Any

from django.db import models

from partnerdesk.access.permissions import OrgKind
from partnerdesk.access.policy import scoped
from partnerdesk.access.principal import Principal


@scoped("audit.auditevent")
def _audit_events(principal: Principal, queryset: models.QuerySet[Any]) -> models.QuerySet[Any]:
    org = principal.organization
    if principal.kind == OrgKind.OPERATOR:
        return queryset
    if principal.kind == OrgKind.PARTNER:
        return queryset.filter(partner_id=org.pk)
    return queryset.filter(organization_id=org.pk)
