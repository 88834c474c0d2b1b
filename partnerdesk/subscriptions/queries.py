"""Read-side questions other apps ask about subscriptions and licences."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.db.models import Count, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from partnerdesk.catalog.models import Service, Sku
from partnerdesk.pagination import Page, keyset_slice, paginate_prepared
from partnerdesk.sql import Prepared
from partnerdesk.subscriptions.models import ChangeRequest, LicenseAssignment, Subscription

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


def ending_within(queryset: QuerySet[Subscription], days: int) -> QuerySet[Subscription]:
    """The active subscriptions of `queryset` whose term ends (renews or expires) within `days`."""
    now = timezone.now()
    return queryset.filter(
        status=Subscription.Status.ACTIVE, term_end__gt=now, term_end__lte=now + timedelta(days=days)
    )


def open_change_requests(queryset: QuerySet[ChangeRequest]) -> QuerySet[ChangeRequest]:
    """The change requests of `queryset` the partner has not decided yet."""
    return queryset.filter(status__in=OPEN_CHANGE_REQUEST_STATUSES)


OPEN_CHANGE_REQUEST_STATUSES = (ChangeRequest.Status.OPEN, ChangeRequest.Status.INFORMATION_REQUESTED)


def pools_running_out(customer_id: uuid.UUID) -> QuerySet[Sku]:
    """The tenant's SKUs with no licence left to assign, or more licences assigned than purchased.

    One query (the pool's numbers as subqueries), so a dashboard can count it without loading pools.
    """
    subscriptions = Subscription.objects.filter(customer_id=customer_id)
    assignments = LicenseAssignment.objects.filter(customer_id=customer_id)
    purchased = (
        subscriptions.filter(offer__sku_id=OuterRef("pk"), status=Subscription.Status.ACTIVE)
        .values("offer__sku_id")
        .annotate(seats=Sum("quantity"))
        .values("seats")
    )
    assigned = (
        assignments.filter(sku_id=OuterRef("pk")).values("sku_id").annotate(held=Count("id")).values("held")
    )
    return (
        Sku.objects.filter(
            Q(pk__in=subscriptions.values("offer__sku_id")) | Q(pk__in=assignments.values("sku_id"))
        )
        .annotate(
            purchased=Coalesce(Subquery(purchased), 0),
            assigned=Coalesce(Subquery(assigned), 0),
        )
        .filter(Q(purchased__gt=0, assigned__gte=F("purchased")) | Q(assigned__gt=F("purchased")))
    )


# --- Licence pools, read as rows through a query built once per process ------------------------


def _pool_list(principal: Any, after: bool, size: int) -> QuerySet[Any]:
    """The tenant's pools, each SKU with its seats and assigned count as subqueries: one query."""
    from partnerdesk.subscriptions.models import LicensePool

    customer_id = principal.organization.pk
    subscriptions = Subscription.objects.filter(customer_id=customer_id)
    assignments = LicenseAssignment.objects.filter(customer_id=customer_id)

    def seats(status: str) -> Coalesce:
        summed = (
            subscriptions.filter(offer__sku_id=OuterRef("pk"), status=status)
            .values("offer__sku_id")
            .annotate(seats=Sum("quantity"))
            .values("seats")
        )
        return Coalesce(Subquery(summed), 0, output_field=IntegerField())

    assigned = LicensePool.objects.filter(customer_id=customer_id, sku_id=OuterRef("pk")).values("assigned")
    rows = (
        Sku.objects.filter(
            Q(pk__in=subscriptions.values("offer__sku_id")) | Q(pk__in=assignments.values("sku_id"))
        )
        .annotate(
            purchased=seats(Subscription.Status.ACTIVE),
            suspended=seats(Subscription.Status.SUSPENDED),
            assigned=Coalesce(Subquery(assigned[:1]), 0, output_field=IntegerField()),
        )
        .values("id", "name", "product__name", "purchased", "suspended", "assigned")
    )
    return keyset_slice(rows, POOL_ORDERING, after=after, size=size)


POOL_ORDERING = ["name", "id"]
POOL_LIST = Prepared(_pool_list)
# The admin center's page lists every pool of the tenant, as it always did.
ALL_POOLS = 10_000


def _pool_row(row: dict[str, Any]) -> dict[str, Any]:
    """A pool row under the names `licences.Pool` has (`pool.sku.product.name`, `pool.available`, …)."""
    return {
        "sku": {"pk": row["id"], "name": row["name"], "product": {"name": row["product__name"]}},
        "purchased": row["purchased"],
        "suspended": row["suspended"],
        "assigned": row["assigned"],
        "available": max(0, row["purchased"] - row["assigned"]),
        "over_assigned": max(0, row["assigned"] - row["purchased"]),
    }


def pool_rows(principal: Any, *, cursor: str | None, limit: int | None) -> Page[dict[str, Any]]:
    """One page of the tenant's licence pools, in SKU name order, as rows (one query)."""
    page = paginate_prepared(POOL_LIST, principal, ordering=POOL_ORDERING, cursor=cursor, limit=limit)
    return Page(items=[_pool_row(row) for row in page.items], next_cursor=page.next_cursor)


def all_pool_rows(principal: Any) -> list[dict[str, Any]]:
    """Every licence pool of the tenant, as rows (the admin center's Licences page)."""
    return [_pool_row(row) for row in POOL_LIST.rows(principal, False, ALL_POOLS)]
