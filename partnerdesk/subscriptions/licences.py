"""Licence pools and assignments: never past the purchased seats; an over-assignment is only told.

Assigning locks the tenant's pool row (ADR 0005), so two admins cannot both take the last seat.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from partnerdesk.access.permissions import Permission
from partnerdesk.access.principal import Principal
from partnerdesk.accounts.models import User
from partnerdesk.audit import services as audit
from partnerdesk.catalog.models import Sku
from partnerdesk.errors import Conflict, NotFound
from partnerdesk.subscriptions import emit
from partnerdesk.subscriptions.common import (
    LICENCE_PEOPLE,
    _mail,
    count_assigned,
    purchased_seats,
)
from partnerdesk.subscriptions.entitlements import held_licences
from partnerdesk.subscriptions.models import LicenseAssignment, LicensePool, Subscription
from partnerdesk.subscriptions.scheduled_changes import revalidate_pool
from partnerdesk.tenancy.models import Organization


class OutOfLicenses(Conflict):
    code = "out_of_licenses"


@dataclass(frozen=True)
class Pool:
    sku: Sku
    purchased: int
    suspended: int
    assigned: int

    @property
    def available(self) -> int:
        return max(0, self.purchased - self.assigned)

    @property
    def over_assigned(self) -> int:
        return max(0, self.assigned - self.purchased)


def pool_skus(customer_id: Any) -> QuerySet[Sku]:
    """The SKUs the tenant has (or had) subscriptions or licences of: one pool each."""
    return Sku.objects.filter(
        Q(pk__in=Subscription.objects.filter(customer_id=customer_id).values("offer__sku_id"))
        | Q(pk__in=LicenseAssignment.objects.filter(customer_id=customer_id).values("sku_id"))
    ).select_related("product")


def pools(customer_id: Any, *, skus: list[Sku] | None = None) -> list[Pool]:
    """The tenant's licence pools (all, or those of `skus`), in three queries."""
    subscriptions = Subscription.objects.filter(customer_id=customer_id)
    # Every SKU with assignments has its pool (assigning needs one), which counts them.
    pools_of_tenant = LicensePool.objects.filter(customer_id=customer_id)
    if skus is not None:
        subscriptions = subscriptions.filter(offer__sku_id__in=[s.pk for s in skus])
        pools_of_tenant = pools_of_tenant.filter(sku_id__in=[s.pk for s in skus])
    seats = subscriptions.values("offer__sku_id").annotate(
        purchased=Sum("quantity", filter=Q(status=Subscription.Status.ACTIVE)),
        suspended=Sum("quantity", filter=Q(status=Subscription.Status.SUSPENDED)),
    )
    by_sku = {row["offer__sku_id"]: row for row in seats}
    assigned = dict(pools_of_tenant.values_list("sku_id", "assigned"))
    if skus is None:
        skus = list(
            Sku.objects.filter(pk__in=set(by_sku) | set(assigned))
            .select_related("product")
            .order_by("name", "id")
        )
    return [
        Pool(
            sku=sku,
            purchased=int(by_sku.get(sku.pk, {}).get("purchased") or 0),
            suspended=int(by_sku.get(sku.pk, {}).get("suspended") or 0),
            assigned=int(assigned.get(sku.pk, 0)),
        )
        for sku in skus
    ]


def _seats(customer_id: Any, sku_id: Any) -> tuple[int, int]:
    """The seats of a SKU's active and of its suspended subscriptions of the tenant, in one query."""
    seats = Subscription.objects.filter(customer_id=customer_id, offer__sku_id=sku_id).aggregate(
        purchased=Sum("quantity", filter=Q(status=Subscription.Status.ACTIVE)),
        suspended=Sum("quantity", filter=Q(status=Subscription.Status.SUSPENDED)),
    )
    return int(seats["purchased"] or 0), int(seats["suspended"] or 0)


@dataclass(frozen=True)
class LicenceChange:
    """What assigning or removing did: the licences given or taken back, and the SKU's pool after it."""

    assignments: list[LicenseAssignment]
    pool: Pool


def assign_licences(
    principal: Principal, *, customer: Organization, sku: Sku, users: list[User], now: datetime | None = None
) -> LicenceChange:
    """Assign a SKU's licences to users; all or none, never past the purchased seats (out_of_licenses)."""
    principal.require(Permission.LICENSES_ASSIGN)
    now = now or timezone.now()
    if any(u.organization_id != customer.pk for u in users):
        raise NotFound(_("Not found."))
    with transaction.atomic():
        pool = LicensePool.objects.select_for_update().filter(customer=customer, sku=sku).first()
        purchased, suspended = _seats(customer.pk, sku.pk) if pool else (0, 0)
        holders = set(
            LicenseAssignment.objects.filter(sku=sku, user__in=users).values_list("user_id", flat=True)
        )
        new_users = [u for u in {u.pk: u for u in users}.values() if u.pk not in holders]
        assigned = pool.assigned if pool else 0
        if pool is None or assigned + len(new_users) > purchased:
            raise OutOfLicenses(
                _(
                    "Out of licences: %(sku)s has %(available)s available and %(wanted)s were asked for. "
                    "Ask your partner for more seats."
                )
                % {"sku": sku.name, "available": max(0, purchased - assigned), "wanted": len(new_users)}
            )
        created = LicenseAssignment.objects.bulk_create(
            LicenseAssignment(customer=customer, sku=sku, user=u, assigned_at=now) for u in new_users
        )
        count_assigned(customer.pk, sku.pk, len(created))
        pool.assigned = assigned + len(created)
        for assignment in created:
            audit.record(
                principal,
                action="licence.assigned",
                target=assignment,
                organization=customer,
                after={"sku": str(sku.pk), "user": str(assignment.user_id)},
            )
        if created:  # the users hold the licences now: whose access that changed is one query
            held = held_licences(new_users, sku.services.all())
            emit.licences("license.assigned", created, new_users, held, partner_id=customer.partner_id)
        revalidate_pool(principal, customer.pk, sku.pk, now=now)
    return LicenceChange(created, Pool(sku, purchased, suspended, pool.assigned))


def remove_licences(
    principal: Principal, *, customer: Organization, sku: Sku, users: list[User]
) -> LicenceChange:
    """Take licences back from users (those holding them; the others are left as they are)."""
    principal.require(Permission.LICENSES_ASSIGN)
    now = timezone.now()
    by_id = {u.pk: u for u in users}
    order = {pk: position for position, pk in enumerate(by_id)}
    with transaction.atomic():
        pool = LicensePool.objects.select_for_update().filter(customer=customer, sku=sku).first()
        gone = sorted(
            LicenseAssignment.objects.filter(customer=customer, sku=sku, user__in=list(by_id)),
            key=lambda assignment: order[assignment.user_id],
        )
        losing = [by_id[a.user_id] for a in gone]
        # Read while they still hold the licences: whose access the removal changes is one query.
        held = held_licences(losing, sku.services.all())
        if gone:
            LicenseAssignment.objects.filter(pk__in=[a.pk for a in gone]).delete()
        if pool is not None:
            count_assigned(customer.pk, sku.pk, -len(gone))
            pool.assigned -= len(gone)
        for assignment in gone:
            audit.record(
                principal,
                action="licence.removed",
                target=assignment,
                organization=customer,
                before={"sku": str(sku.pk), "user": str(assignment.user_id)},
            )
        emit.licences("license.removed", gone, losing, held, partner_id=customer.partner_id)
        purchased, suspended = _seats(customer.pk, sku.pk)
        if pool is not None:
            _note_over_assignment(pool, now, purchased=purchased)
    return LicenceChange(gone, Pool(sku, purchased, suspended, pool.assigned if pool else 0))


def release_all(user: User) -> int:
    """Take every licence back from a user about to be deleted for good, counting it in each pool.

    The pools are locked in one order (by id), as every writer locks them; returns how many.
    """
    held = LicenseAssignment.objects.filter(user=user)
    by_sku: dict[Any, int] = {}
    for sku_id in held.values_list("sku_id", flat=True):
        by_sku[sku_id] = by_sku.get(sku_id, 0) + 1
    if not by_sku:
        return 0
    locked = LicensePool.objects.select_for_update().filter(
        customer_id=user.organization_id, sku_id__in=by_sku
    )
    for pool in locked.order_by("pk"):
        count_assigned(pool.customer_id, pool.sku_id, -by_sku[pool.sku_id])
    held.delete()
    return sum(by_sku.values())


def _note_over_assignment(pool: LicensePool, now: datetime, *, purchased: int | None = None) -> None:
    """Tell the tenant's licence admins once when assigned exceeds purchased; nothing is removed.

    A caller that has just read the purchased seats under the pool's lock passes them.
    """
    if purchased is None:
        purchased = purchased_seats(pool.customer_id, pool.sku_id)
    assigned = pool.assigned
    if assigned > purchased and pool.over_assignment_notified_at is None:
        LicensePool.objects.filter(pk=pool.pk).update(over_assignment_notified_at=now)
        customer = Organization.objects.get(pk=pool.customer_id)
        _mail(
            customer,
            LICENCE_PEOPLE,
            "subscriptions_over_assigned",
            {"sku": Sku.objects.get(pk=pool.sku_id).name, "assigned": assigned, "purchased": purchased},
        )
    elif assigned <= purchased and pool.over_assignment_notified_at is not None:
        LicensePool.objects.filter(pk=pool.pk).update(over_assignment_notified_at=None)


def set_user_licences(principal: Principal, *, customer: Organization, user: User, sku_ids: set[str]) -> None:
    """Give a user exactly the licences of `sku_ids` among the tenant's pools: all or nothing.

    One SKU out of licences must not leave the others half saved, so every assignment and removal runs
    in one transaction (each pool still locked first, as `assign_licences` and `remove_licences` do).
    """
    principal.require(Permission.LICENSES_ASSIGN)
    held = set(
        LicenseAssignment.objects.filter(customer=customer, user=user).values_list("sku_id", flat=True)
    )
    with transaction.atomic():
        for pool in pools(customer.pk):
            wanted = str(pool.sku.pk) in sku_ids
            if wanted and pool.sku.pk not in held:
                assign_licences(principal, customer=customer, sku=pool.sku, users=[user])
            elif not wanted and pool.sku.pk in held:
                remove_licences(principal, customer=customer, sku=pool.sku, users=[user])
