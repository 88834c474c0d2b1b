"""Which single sign-on connection a principal may see: its own organization's, nobody else's.

Registered into the choke point (`access.policy.scoped`) when the app is ready (`apps.py`).
"""

from __future__ import annotations

from typing import Any

from django.db import models

from partnerdesk.access.policy import scoped
from partnerdesk.access.principal import Principal


@scoped("sso.ssoconnection")
def _connections(principal: Principal, queryset: models.QuerySet[Any]) -> models.QuerySet[Any]:
    # The organization one acts in; a partner agent acting for a customer never holds sso.manage
    # (not delegable), so it reaches no page or operation that shows it.
    return queryset.filter(organization_id=principal.organization.pk)
