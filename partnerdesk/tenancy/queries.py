"""Read-side helpers for organizations that several pages share."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import QuerySet
from django.utils import timezone

from partnerdesk.tenancy.models import DelegatedRelationship, Organization


def customers_with_active_access(partner: Organization) -> QuerySet[Organization]:
    """Customers this partner may administer on behalf of right now (for the organization switcher)."""
    active = DelegatedRelationship.objects.filter(
        partner=partner, status=DelegatedRelationship.Status.ACTIVE, expires_at__gt=timezone.now()
    ).values("customer_id")
    return Organization.objects.filter(pk__in=active).order_by("name")[:50]


# "Expiring soon" on the partner's dashboard and in the relationships list's filter.
EXPIRING_SOON_DAYS = 30


def expiring_within(queryset: QuerySet[DelegatedRelationship], days: int) -> QuerySet[DelegatedRelationship]:
    """The active relationships of `queryset` that end within `days` unless renewed."""
    now = timezone.now()
    return queryset.filter(
        status=DelegatedRelationship.Status.ACTIVE,
        expires_at__gt=now,
        expires_at__lte=now + timedelta(days=days),
    )


def filter_relationships(
    queryset: QuerySet[DelegatedRelationship], filters: dict[str, str]
) -> QuerySet[DelegatedRelationship]:
    """Apply the relationship list's filters (`status`, `expires_within` days); unknown values are ignored."""
    if filters.get("status") in DelegatedRelationship.Status.values:
        queryset = queryset.filter(status=filters["status"])
    days = filters.get("expires_within", "")
    if days.isdigit() and 0 < int(days) <= 366:
        queryset = expiring_within(queryset, int(days))
    return queryset
