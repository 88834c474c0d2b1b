"""Which catalog rows (features, regions, products, SKUs, offers, their policies) a principal may see.

Registered into the choke point (`access.policy.scoped`) when the app is ready (`apps.py`): the choke
point holds only the mechanism and imports no domain; each domain says here who sees its rows.
Which services a principal sees depends on its entitlements, so that rule is registered by
`subscriptions.scopes`, the layer that knows them; a service's features follow it.
"""

from __future__ import annotations

from typing import Any

from django.db import models

from partnerdesk.access.policy import following, scoped
from partnerdesk.access.principal import Principal
from partnerdesk.catalog.models import Service


@scoped("catalog.product")
@scoped("catalog.sku")
@scoped("catalog.offer")
@scoped("catalog.offerpolicy")
@scoped("catalog.upgradepath")
@scoped("catalog.addonrule")
@scoped("catalog.pricechange")
def _catalog(principal: Principal, queryset: models.QuerySet[Any]) -> models.QuerySet[Any]:
    # The commercial catalog is the operator's price list: every signed-in organization may read it.
    return queryset


@scoped("catalog.region")
def _regions(principal: Principal, queryset: models.QuerySet[Any]) -> models.QuerySet[Any]:
    # The list of regions is reference data of the service catalog: the same for everyone.
    return queryset


# The features of the services the principal sees (the service rule: `subscriptions.scopes`).
scoped("catalog.feature")(following("service", Service))
