"""The entitlement check for the operator's services, and the service credentials (`pds_…`) that ask it.

The operator's services ask it as OAuth apps with the `entitlements` scope (ADR 0012); the service
credentials are deprecated, answered with `Deprecation` and `Sunset` headers until they are removed.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from django.conf import settings
from django.db import transaction
from django.http import HttpResponse
from django.utils.http import http_date

from partnerdesk.access.permissions import Permission, Role
from partnerdesk.access.principal import Principal
from partnerdesk.accounts.models import User
from partnerdesk.audit import services as audit
from partnerdesk.subscriptions.models import LicenseAssignment, ServiceCredential, Subscription

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
