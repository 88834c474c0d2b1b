"""Read-side questions other apps ask about subscriptions and licences."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from django.db.models import QuerySet

from partnerdesk.catalog.models import Service
from partnerdesk.subscriptions.models import LicenseAssignment, Subscription

if TYPE_CHECKING:
    from partnerdesk.accounts.models import User

# Statuses under which a tenant is entitled to the services of a subscription's SKU.
ENTITLING_STATUSES = (Subscription.Status.ACTIVE, Subscription.Status.SUSPENDED)


def entitled_services(customer_id: uuid.UUID) -> QuerySet[Service]:
    """Services a customer is entitled to through its subscriptions (what health and Message center show)."""
    return Service.objects.filter(
        skus__offers__subscriptions__customer_id=customer_id,
        skus__offers__subscriptions__status__in=ENTITLING_STATUSES,
    ).distinct()


def licensed_user_ids(customer_id: uuid.UUID) -> QuerySet[LicenseAssignment, uuid.UUID]:
    """Ids of the customer's users holding at least one licence (usable in `pk__in=`)."""
    assignments = LicenseAssignment.objects.filter(customer_id=customer_id)
    return assignments.values_list("user_id", flat=True).distinct()


def licences_of(user: User) -> QuerySet[LicenseAssignment]:
    """The licences one user holds, with their SKU and product, in SKU name order."""
    return (
        LicenseAssignment.objects.filter(user=user)
        .select_related("sku", "sku__product")
        .order_by("sku__name", "sku_id")
    )
