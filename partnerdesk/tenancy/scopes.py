"""Which organizations and delegated relationships a principal may see.

Registered into the choke point (`access.policy.scoped`) when the app is ready (`apps.py`): the choke
point holds only the mechanism and imports no domain; each domain says here who sees its rows.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Q

from partnerdesk.access.permissions import OrgKind
from partnerdesk.access.policy import EVERY_ROW, by_side, scoped
from partnerdesk.access.principal import Principal


def _org_q(principal: Principal) -> Q:
    """Organizations visible to the principal: operator all; partner itself and its customers."""
    org = principal.organization
    if principal.kind == OrgKind.OPERATOR:
        return Q()
    if principal.kind == OrgKind.PARTNER:
        return Q(pk=org.pk) | Q(partner_id=org.pk)
    # A customer sees itself, and its partner's name on its pages.
    return Q(pk=org.pk) | Q(pk=org.partner_id)


@scoped("tenancy.organization")
def _organizations(principal: Principal, queryset: models.QuerySet[Any]) -> models.QuerySet[Any]:
    return queryset.filter(_org_q(principal))


scoped("tenancy.delegatedrelationship")(by_side(operator=EVERY_ROW, partner="partner", customer="customer"))
