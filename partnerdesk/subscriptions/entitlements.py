"""The entitlement check for the operator's services, and the service credentials (`pds_…`) that ask it.

The operator's services ask it as OAuth apps with the `entitlements` scope (ADR 0012); the service
credentials are deprecated, answered with `Deprecation` and `Sunset` headers until they are removed.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.http import HttpResponse
from django.utils.http import http_date

from partnerdesk.access.permissions import Permission, Role
from partnerdesk.access.principal import Principal
from partnerdesk.accounts.models import RoleAssignment, User
from partnerdesk.audit import services as audit
from partnerdesk.catalog.models import Service, Sku
from partnerdesk.subscriptions.models import LicenseAssignment, ServiceCredential, Subscription
from partnerdesk.subscriptions.queries import ENTITLING_STATUSES
from partnerdesk.tenancy.models import Organization

CUSTOMER_ADMIN_ROLES = {
    Role.GLOBAL_ADMIN,
    Role.USER_ADMIN,
    Role.LICENCE_ADMIN,
    Role.SERVICE_SUPPORT_ADMIN,
    Role.MESSAGE_CENTER_READER,
    Role.PRIVACY_READER,
}
ADMIN_ROLE_VALUES = sorted(role.value for role in CUSTOMER_ADMIN_ROLES)


@dataclass(frozen=True)
class Entitlement:
    allowed: bool
    reason: str


@dataclass(frozen=True)
class HeldLicences:
    """What the entitlement check decides from, for some users and services, read in one query.

    `grants[(user id, service id)]` has, per SKU of the service the user holds a licence of, whether
    the tenant has an active and a suspended subscription of it; `keys` names the services seen;
    `admins` are the users among them holding a customer admin role.
    """

    grants: dict[tuple[Any, Any], dict[Any, tuple[bool, bool]]]
    keys: dict[Any, str]
    admins: frozenset[Any]

    def entitlement(self, user: User, service_id: Any) -> Entitlement:
        """May `user` use the service: not blocked, licensed for it, with an active subscription.

        A suspended subscription keeps its admins in (they can reach the data); plain users lose it.
        """
        if user.blocked:
            return Entitlement(False, "user_blocked")
        skus = self.grants.get((user.pk, service_id))
        if not skus:
            return Entitlement(False, "no_license")
        if any(active for active, _suspended in skus.values()):
            return Entitlement(True, "licensed")
        if any(suspended for _active, suspended in skus.values()):
            if user.pk in self.admins:
                return Entitlement(True, "admin_of_suspended_subscription")
            return Entitlement(False, "subscription_suspended")
        return Entitlement(False, "no_active_subscription")

    def without(self, sku_id: Any, user_ids: Iterable[Any]) -> HeldLicences:
        """As if `user_ids` held no licence of `sku_id`: what a removal leaves, what an assignment found."""
        users = set(user_ids)
        grants = {
            (user_id, service_id): {sku: flags for sku, flags in skus.items() if sku != sku_id}
            if user_id in users
            else skus
            for (user_id, service_id), skus in self.grants.items()
        }
        return HeldLicences(grants=grants, keys=self.keys, admins=self.admins)


NO_LICENCES = HeldLicences(grants={}, keys={}, admins=frozenset())


def held_licences(users: Iterable[User], services: QuerySet[Service]) -> HeldLicences:
    """The licences `users` hold of `services`, with their tenant's subscription statuses: one query."""
    user_ids = [user.pk for user in users]
    if not user_ids:
        return NO_LICENCES
    of_tenant = Subscription.objects.filter(
        customer_id=OuterRef("user__organization_id"), offer__sku_id=OuterRef("sku_id")
    )
    rows = (
        LicenseAssignment.objects.filter(user_id__in=user_ids, sku__services__in=services)
        .annotate(
            active=Exists(of_tenant.filter(status=Subscription.Status.ACTIVE)),
            suspended=Exists(of_tenant.filter(status=Subscription.Status.SUSPENDED)),
            admin=Exists(
                RoleAssignment.objects.filter(user_id=OuterRef("user_id"), role__in=ADMIN_ROLE_VALUES)
            ),
        )
        .values_list(
            "user_id", "sku__services__id", "sku__services__key", "sku_id", "active", "suspended", "admin"
        )
    )
    grants: dict[tuple[Any, Any], dict[Any, tuple[bool, bool]]] = {}
    keys: dict[Any, str] = {}
    admins = set()
    for user_id, service_id, key, sku_id, active, suspended, admin in rows:
        grants.setdefault((user_id, service_id), {})[sku_id] = (bool(active), bool(suspended))
        keys[service_id] = key
        if admin:
            admins.add(user_id)
    return HeldLicences(grants=grants, keys=keys, admins=frozenset(admins))


def check_entitlement(user: User, service_key: str) -> Entitlement:
    """May this user use this service now (`HeldLicences.entitlement`): one query."""
    held = held_licences([user], Service.objects.filter(key=service_key))
    return held.entitlement(user, next(iter(held.keys), None))  # the one service, if licensed at all


SERVICE_CREDENTIAL_PREFIX = "pds_"


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def create_service_credential(principal: Principal, *, name: str) -> tuple[ServiceCredential, str]:
    """Issue a credential for one of the operator's services; the secret is shown once.

    Deprecated: the operator's services register an OAuth app with the `entitlements` scope instead.
    """
    principal.require(Permission.CATALOG_MANAGE)
    raw = SERVICE_CREDENTIAL_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        credential = ServiceCredential.objects.create(
            name=name.strip() or "service", prefix=raw[:10], token_hash=_hash(raw)
        )
        audit.record(
            principal,
            action="service_credential.created",
            target=credential,
            organization=principal.organization,
            after={"name": credential.name, "prefix": credential.prefix},
        )
    return credential, raw


# The day service credentials were deprecated (this release), for the `Deprecation` header (RFC 9745).
DEPRECATED_ON = datetime(2026, 12, 4, tzinfo=UTC)


def mark_deprecated(response: HttpResponse) -> None:
    """Say on an answer to a service credential that they are deprecated, and when they go."""
    response["Deprecation"] = f"@{int(DEPRECATED_ON.timestamp())}"
    sunset = datetime.combine(date.fromisoformat(settings.SERVICE_CREDENTIALS_SUNSET), time(), tzinfo=UTC)
    response["Sunset"] = http_date(sunset.timestamp())


def credential_for(raw: str) -> ServiceCredential | None:
    if not raw.startswith(SERVICE_CREDENTIAL_PREFIX):
        return None
    return ServiceCredential.objects.filter(token_hash=_hash(raw), revoked_at__isnull=True).first()


# --- The tenant's entitled services, kept on its organization row --------------------------------


def refresh_entitled_services(customer_ids: Iterable[Any]) -> dict[Any, list[str]]:
    """Write each tenant's entitled service ids onto its organization row (in the caller's transaction).

    Every request that scopes services, health or Message center to a tenant reads them from the
    row its principal already holds, instead of joining subscriptions, offers and SKUs each time.
    """
    wanted = set(customer_ids)
    if not wanted:
        return {}
    entitled: dict[Any, list[str]] = {pk: [] for pk in wanted}
    links = (
        Sku.services.through.objects.filter(
            sku__offers__subscriptions__customer_id__in=wanted,
            sku__offers__subscriptions__status__in=ENTITLING_STATUSES,
        )
        .values_list("sku__offers__subscriptions__customer_id", "service_id")
        .distinct()
    )
    for customer_id, service_id in links:
        entitled[customer_id].append(str(service_id))
    rows = [Organization(pk=pk, entitled_service_ids=sorted(ids)) for pk, ids in entitled.items()]
    Organization.objects.bulk_update(rows, ["entitled_service_ids"], batch_size=1000)
    return {row.pk: row.entitled_service_ids for row in rows}


def _subscription_saved(sender: Any, instance: Subscription, created: bool, **kwargs: Any) -> None:
    fields = kwargs.get("update_fields")
    if created or fields is None or "status" in fields:
        ids = refresh_entitled_services([instance.customer_id])[instance.customer_id]
        if Subscription.customer.is_cached(instance):  # the caller's copy of the tenant says it too
            instance.customer.entitled_service_ids = ids


def _subscription_deleted(sender: Any, instance: Subscription, **kwargs: Any) -> None:
    refresh_entitled_services([instance.customer_id])


def _sku_services_changed(sender: Any, instance: Any, action: str, pk_set: Any, **kwargs: Any) -> None:
    if not action.startswith("post_"):
        return
    skus = [instance.pk] if isinstance(instance, Sku) else list(pk_set or [])
    customers = Subscription.objects.filter(offer__sku_id__in=skus).values_list("customer_id", flat=True)
    refresh_entitled_services(set(customers))


def keep_entitled_services() -> None:
    """Connect the writers that bypass the services (a test's or the demo's direct saves) too.

    A subscription's save (of its status), its deletion and a change of a SKU's services refresh the
    tenants concerned in the same transaction; the two jobs that change a status with a conditional
    UPDATE (expiry, data deletion) call `refresh_entitled_services` themselves.
    """
    post_save.connect(_subscription_saved, sender=Subscription, dispatch_uid="entitled-services-saved")
    post_delete.connect(_subscription_deleted, sender=Subscription, dispatch_uid="entitled-services-deleted")
    m2m_changed.connect(
        _sku_services_changed, sender=Sku.services.through, dispatch_uid="entitled-services-sku"
    )
