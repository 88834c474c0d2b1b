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
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.http import HttpResponse
from django.utils.http import http_date

from partnerdesk.access.permissions import Permission, Role
from partnerdesk.access.principal import Principal
from partnerdesk.accounts.models import User
from partnerdesk.audit import services as audit
from partnerdesk.catalog.models import Sku
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


@dataclass(frozen=True)
class Entitlement:
    allowed: bool
    reason: str


def check_entitlement(user: User, service_key: str) -> Entitlement:
    """May this user use this service now: not blocked, licensed for it, with an active subscription.

    A suspended subscription keeps its admins in (they can reach the data); plain users lose the service.
    """
    if user.blocked:
        return Entitlement(False, "user_blocked")
    licensed_skus = LicenseAssignment.objects.filter(user=user, sku__services__key=service_key).values_list(
        "sku_id", flat=True
    )
    if not licensed_skus:
        return Entitlement(False, "no_license")
    statuses = set(
        Subscription.objects.filter(
            customer_id=user.organization_id, offer__sku_id__in=list(licensed_skus)
        ).values_list("status", flat=True)
    )
    if Subscription.Status.ACTIVE in statuses:
        return Entitlement(True, "licensed")
    if Subscription.Status.SUSPENDED in statuses:
        roles = set(user.role_assignments.values_list("role", flat=True))
        if roles & {r.value for r in CUSTOMER_ADMIN_ROLES}:
            return Entitlement(True, "admin_of_suspended_subscription")
        return Entitlement(False, "subscription_suspended")
    return Entitlement(False, "no_active_subscription")


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
