"""Which subscriptions, seat lots, changes and licences, and which catalog services, a principal may see.

Registered into the choke point (`access.policy.scoped`) when the app is ready (`apps.py`): the choke
point holds only the mechanism and imports no domain; each domain says here who sees its rows.
The rule for the catalog's services is registered here, not in `catalog.scopes`: a tenant sees the
services it is entitled to, and entitlement is this layer's knowledge (the catalog sits below it).
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Q

from partnerdesk.access.permissions import OrgKind
from partnerdesk.access.policy import scoped
from partnerdesk.access.principal import Principal


def _subscription_q(principal: Principal, prefix: str = "") -> Q:
    """Subscriptions (or rows tied to them by `prefix`): operator all, partner its sales, customer its own."""
    org = principal.organization
    if principal.kind == OrgKind.OPERATOR:
        return Q()
    if principal.kind == OrgKind.PARTNER:
        return Q(**{f"{prefix}partner_id": org.pk})
    return Q(**{f"{prefix}customer_id": org.pk})


@scoped("catalog.service")
def _services(principal: Principal, queryset: models.QuerySet[Any]) -> models.QuerySet[Any]:
    # A tenant sees the services it is entitled to (kept on its row, `entitlements.py`); operator and
    # partners see the whole catalog.
    if principal.kind == OrgKind.CUSTOMER:
        return queryset.filter(pk__in=principal.organization.entitled_service_ids)
    return queryset


@scoped("subscriptions.subscription")
@scoped("subscriptions.changerequest")
def _subscriptions(principal: Principal, queryset: models.QuerySet[Any]) -> models.QuerySet[Any]:
    return queryset.filter(_subscription_q(principal))


@scoped("subscriptions.seatlot")
@scoped("subscriptions.scheduledchange")
def _subscription_parts(principal: Principal, queryset: models.QuerySet[Any]) -> models.QuerySet[Any]:
    return queryset.filter(_subscription_q(principal, "subscription__"))


@scoped("subscriptions.licensepool")
@scoped("subscriptions.licenseassignment")
def _licences(principal: Principal, queryset: models.QuerySet[Any]) -> models.QuerySet[Any]:
    # Licences are the tenant's own business; its partner sees them only through delegated access.
    if principal.kind == OrgKind.OPERATOR:
        return queryset
    if principal.kind == OrgKind.PARTNER:
        return queryset.filter(customer__partner_id=principal.organization.pk)
    return queryset.filter(customer_id=principal.organization.pk)


@scoped("subscriptions.idempotencyrecord")
def _idempotency_records(principal: Principal, queryset: models.QuerySet[Any]) -> models.QuerySet[Any]:
    # A replayed answer belongs to the caller who sent the key, never to anyone else.
    return queryset.filter(user_id=principal.user.pk)


@scoped("subscriptions.servicecredential")
def _service_credentials(principal: Principal, queryset: models.QuerySet[Any]) -> models.QuerySet[Any]:
    # Credentials of the operator's own services; no tenant has any.
    if principal.kind == OrgKind.OPERATOR:
        return queryset
    return queryset.none()
