"""Read-side helpers for organizations that several pages share."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import FilteredRelation, OuterRef, Q, QuerySet
from django.utils import timezone

from partnerdesk import sql
from partnerdesk.access.permissions import OrgKind
from partnerdesk.access.principal import DELEGATED_CUSTOMER, DELEGATED_ROLES
from partnerdesk.sql import json_array_of
from partnerdesk.tenancy.models import DelegatedRelationship, Organization


def customers_with_active_access(partner: Organization) -> QuerySet[Organization]:
    """Customers this partner may administer on behalf of right now (for the organization switcher)."""
    active = DelegatedRelationship.objects.filter(
        partner=partner, status=DelegatedRelationship.Status.ACTIVE, expires_at__gt=timezone.now()
    ).values("customer_id")
    return Organization.objects.filter(pk__in=active).order_by("name")[:50]


def delegations(
    partner: Organization, customer_id: uuid.UUID | str
) -> tuple[Organization, list[list[str]]] | None:
    """The customer and the role lists of its active, unexpired relationships with `partner`.

    None when `customer_id` is not one of the partner's customers (or not an id). Read by
    `access.principal.delegated_principal` when the principal was made without its delegation (a
    request's is joined to the principal's own query: `join_delegation`); registered in apps.py.
    """
    try:
        customer = Organization.objects.get(pk=customer_id, kind=OrgKind.CUSTOMER, partner=partner)
    except (Organization.DoesNotExist, ValueError, ValidationError):
        return None
    relationships = DelegatedRelationship.objects.filter(
        partner=partner,
        customer=customer,
        status=DelegatedRelationship.Status.ACTIVE,
        expires_at__gt=timezone.now(),
    ).values_list("roles", flat=True)
    return customer, [list(roles) for roles in relationships]


def join_delegation(queryset: QuerySet[Any], organization: str, customer_id: Any) -> QuerySet[Any]:
    """Join, to a principal's one query, the customer `customer_id` and its relationships' roles.

    `organization` is the path from the rows to the partner; `customer_id` a UUID, or a slot of a
    prepared query (`sql.PreparedFirst`). The customer is joined only when it is
    one of that partner's (else None), with the role lists of their active, unexpired relationships.
    Registered into `access.principal` (apps.py), which names the two annotations.
    """
    customers = f"{organization}__customers"
    active = DelegatedRelationship.objects.filter(
        partner=OuterRef(organization),
        customer_id=customer_id,
        status=DelegatedRelationship.Status.ACTIVE,
        expires_at__gt=sql.now(),  # a slot in the prepared principal queries
    )
    return queryset.annotate(
        **{
            DELEGATED_CUSTOMER: FilteredRelation(
                customers,
                condition=Q(**{f"{customers}__pk": customer_id, f"{customers}__kind": OrgKind.CUSTOMER}),
            ),
            DELEGATED_ROLES: json_array_of(active, "roles", per="partner"),
        }
    ).select_related(DELEGATED_CUSTOMER)


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
