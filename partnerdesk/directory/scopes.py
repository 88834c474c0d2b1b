"""Which of a customer's directory rows (domains, groups, sign-ins, settings) a principal may see.

Registered into the choke point (`access.policy.scoped`) when the app is ready (`apps.py`): the choke
point holds only the mechanism and imports no domain; each domain says here who sees its rows.
"""

from __future__ import annotations

from typing import Any

from django.db import models

from partnerdesk.access.permissions import OrgKind
from partnerdesk.access.policy import scoped
from partnerdesk.access.principal import Principal


@scoped("directory.deleteduser")
def _deleted_users(principal: Principal, queryset: models.QuerySet[Any]) -> models.QuerySet[Any]:
    return queryset.filter(organization_id=principal.organization.pk, deleted_at__isnull=False)


def _own_tenant(principal: Principal, queryset: models.QuerySet[Any]) -> models.QuerySet[Any]:
    """A customer's directory data: its own admins, and partner agents acting on its behalf, only."""
    if principal.kind != OrgKind.CUSTOMER:
        return queryset.none()
    return queryset.filter(organization_id=principal.organization.pk)


scoped("directory.group")(_own_tenant)


@scoped("directory.domain")
def _domains(principal: Principal, queryset: models.QuerySet[Any]) -> models.QuerySet[Any]:
    """A customer's domains (its admins, partner agents acting on its behalf), or a partner's own
    (its own people in the partner center: a delegated principal is on the customer side)."""
    if principal.kind not in (OrgKind.CUSTOMER, OrgKind.PARTNER):
        return queryset.none()
    return queryset.filter(organization_id=principal.organization.pk)


scoped("directory.signinevent")(_own_tenant)
scoped("directory.securitysettings")(_own_tenant)


@scoped("directory.groupmembership")
def _memberships(principal: Principal, queryset: models.QuerySet[Any]) -> models.QuerySet[Any]:
    if principal.kind != OrgKind.CUSTOMER:
        return queryset.none()
    return queryset.filter(group__organization_id=principal.organization.pk)
