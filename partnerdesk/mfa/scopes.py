"""Which second factors, recovery codes and policies a principal may see (registered from `apps.py`)."""

from __future__ import annotations

from typing import Any

from django.db import models

from partnerdesk.access.policy import scoped
from partnerdesk.access.principal import Principal
from partnerdesk.access.rules import on_operator_side


@scoped("mfa.factor")
def _factors(principal: Principal, queryset: models.QuerySet[Any]) -> models.QuerySet[Any]:
    # Only one's own: an admin can reset someone's factors but never list or see them.
    return queryset.filter(user_id=principal.user.pk)


@scoped("mfa.recoverycode")
def _recovery_codes(principal: Principal, queryset: models.QuerySet[Any]) -> models.QuerySet[Any]:
    return queryset.filter(user_id=principal.user.pk)


@scoped("mfa.organizationpolicy")
def _policies(principal: Principal, queryset: models.QuerySet[Any]) -> models.QuerySet[Any]:
    # An organization's own; the operator also sees the partners' it sets from its console.
    own = models.Q(organization_id=principal.home_organization.pk)
    if on_operator_side(principal):
        return queryset.filter(own | models.Q(organization__kind="partner"))
    return queryset.filter(own)
