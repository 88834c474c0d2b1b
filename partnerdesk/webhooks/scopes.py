"""Which webhook endpoints and deliveries a principal may see: its own organization's, on every side.

Registered into the choke point (`access.policy.scoped`) when the app is ready (`apps.py`). The
operator's console sees only the operator's own endpoints: another organization's integration is
that organization's business.
"""

from __future__ import annotations

from typing import Any

from django.db import models

from partnerdesk.access.policy import scoped
from partnerdesk.access.principal import Principal


@scoped("webhooks.webhookendpoint")
def _endpoints(principal: Principal, queryset: models.QuerySet[Any]) -> models.QuerySet[Any]:
    return queryset.filter(organization_id=principal.organization.pk)


@scoped("webhooks.webhookdelivery")
def _deliveries(principal: Principal, queryset: models.QuerySet[Any]) -> models.QuerySet[Any]:
    return queryset.filter(endpoint__organization_id=principal.organization.pk)


@scoped("webhooks.deliveryattempt")
def _attempts(principal: Principal, queryset: models.QuerySet[Any]) -> models.QuerySet[Any]:
    return queryset.filter(delivery__endpoint__organization_id=principal.organization.pk)
