"""Which second factors, recovery codes and policies a principal may see (registered from `apps.py`)."""

from __future__ import annotations

from typing import Any

from django.db import models

from partnerdesk.access.policy import of_user, scoped
from partnerdesk.access.principal import Principal
from partnerdesk.access.rules import on_operator_side

# Only one's own: an admin can reset someone's factors but never list or see them.
scoped("mfa.factor")(of_user())
scoped("mfa.recoverycode")(of_user())


@scoped("mfa.organizationpolicy")
def _policies(principal: Principal, queryset: models.QuerySet[Any]) -> models.QuerySet[Any]:
    # An organization's own; the operator also sees the partners' it sets from its console.
    own = models.Q(organization_id=principal.home_organization.pk)
    if on_operator_side(principal):
        return queryset.filter(own | models.Q(organization__kind="partner"))
    return queryset.filter(own)
