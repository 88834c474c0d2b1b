"""Which of a customer's directory rows (domains, groups, sign-ins, settings) a principal may see.

Registered into the choke point (`access.policy.scoped`) when the app is ready (`apps.py`): the choke
point holds only the mechanism and imports no domain; each domain says here who sees its rows.
"""

from __future__ import annotations

from typing import Any

from django.db import models

from partnerdesk.access.policy import by_side, scoped
from partnerdesk.access.principal import Principal


@scoped("directory.deleteduser")
def _deleted_users(principal: Principal, queryset: models.QuerySet[Any]) -> models.QuerySet[Any]:
    return queryset.filter(organization_id=principal.organization.pk, deleted_at__isnull=False)


# A customer's directory data: its own admins, and partner agents acting on its behalf, only.
_own_tenant = by_side(customer="organization")
scoped("directory.group")(_own_tenant)
scoped("directory.signinevent")(_own_tenant)
scoped("directory.securitysettings")(_own_tenant)
scoped("directory.groupmembership")(by_side(customer="group__organization"))
# A customer's domains (its admins, partner agents acting on its behalf), or a partner's own (its own
# people in the partner center: a delegated principal is on the customer side).
scoped("directory.domain")(by_side(partner="organization", customer="organization"))
