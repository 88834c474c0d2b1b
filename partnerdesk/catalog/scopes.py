"""Which catalog rows (products, SKUs, offers, their policies) a principal may see.

Registered into the choke point (`access.policy.scoped`) when the app is ready (`apps.py`): the choke
point holds only the mechanism and imports no domain; each domain says here who sees its rows.
"""

from __future__ import annotations

from typing import Any

from django.db import models

from partnerdesk.access.policy import scoped
from partnerdesk.access.principal import Principal


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
