"""Read-side questions other apps ask about subscriptions."""

from __future__ import annotations

import uuid

from django.db.models import QuerySet

from partnerdesk.health.models import Service
from partnerdesk.subscriptions.models import Subscription

# Statuses under which a tenant is entitled to the services of a subscription's SKU.
ENTITLING_STATUSES = (Subscription.Status.ACTIVE, Subscription.Status.SUSPENDED)


def entitled_services(customer_id: uuid.UUID) -> QuerySet[Service]:
    """Services a customer is entitled to through its subscriptions (what health and Message center show)."""
    return Service.objects.filter(
        skus__offers__subscriptions__customer_id=customer_id,
        skus__offers__subscriptions__status__in=ENTITLING_STATUSES,
    ).distinct()
