"""Read-side helpers for organizations that several pages share."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils import timezone

from partnerdesk.tenancy.models import DelegatedRelationship, Organization


def customers_with_active_access(partner: Organization) -> QuerySet[Organization]:
    """Customers this partner may administer on behalf of right now (for the organization switcher)."""
    active = DelegatedRelationship.objects.filter(
        partner=partner, status=DelegatedRelationship.Status.ACTIVE, expires_at__gt=timezone.now()
    ).values("customer_id")
    return Organization.objects.filter(pk__in=active).order_by("name")[:50]
