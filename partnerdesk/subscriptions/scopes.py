"""Which subscriptions, seat lots, changes and licences, and which catalog services, a principal may see.

Registered into the choke point (`access.policy.scoped`) when the app is ready (`apps.py`): the choke
point holds only the mechanism and imports no domain; each domain says here who sees its rows.
The rule for the catalog's services is registered here, not in `catalog.scopes`: a tenant sees the
services it is entitled to, and entitlement is this layer's knowledge (the catalog sits below it).
"""

from __future__ import annotations

from typing import Any

from django.db import models

from partnerdesk.access.permissions import OrgKind
from partnerdesk.access.policy import EVERY_ROW, by_side, scoped
from partnerdesk.access.principal import Principal


@scoped("catalog.service")
def _services(principal: Principal, queryset: models.QuerySet[Any]) -> models.QuerySet[Any]:
    # A tenant sees the services it is entitled to (kept on its row, `entitlements.py`); operator and
    # partners see the whole catalog.
    if principal.kind == OrgKind.CUSTOMER:
        return queryset.filter(pk__in=principal.organization.entitled_service_ids)
    return queryset


# Subscriptions (and the rows tied to them): the operator all, a partner its sales, a customer its own.
_subscriptions = by_side(operator=EVERY_ROW, partner="partner", customer="customer")
scoped("subscriptions.subscription")(_subscriptions)
scoped("subscriptions.changerequest")(_subscriptions)
_subscription_parts = by_side(
    operator=EVERY_ROW, partner="subscription__partner", customer="subscription__customer"
)
scoped("subscriptions.seatlot")(_subscription_parts)
scoped("subscriptions.scheduledchange")(_subscription_parts)
# Licences are the tenant's own business; its partner sees them only through delegated access.
_licences = by_side(operator=EVERY_ROW, partner="customer__partner", customer="customer")
scoped("subscriptions.licensepool")(_licences)
scoped("subscriptions.licenseassignment")(_licences)
# Credentials of the operator's own services; no tenant has any.
scoped("subscriptions.servicecredential")(by_side(operator=EVERY_ROW))
