"""Which OAuth apps and access tokens a principal may see.

Registered into the choke point (`access.policy.scoped`) when the app is ready (`apps.py`).
"""

from __future__ import annotations

from typing import Any

from django.db import models

from partnerdesk.access.policy import scoped
from partnerdesk.access.principal import Principal


@scoped("integrations.oauthapp")
def _apps(principal: Principal, queryset: models.QuerySet[Any]) -> models.QuerySet[Any]:
    # An organization's apps are its own: not even the operator sees a partner's.
    return queryset.filter(organization_id=principal.organization.pk)


@scoped("integrations.oauthaccesstoken")
def _access_tokens(principal: Principal, queryset: models.QuerySet[Any]) -> models.QuerySet[Any]:
    return queryset.filter(app__organization_id=principal.organization.pk)
