"""The customer's organization as its admin center sees it: whose directory this is, its profile and
its security policy (password rules, lockout).

Every function takes the acting principal (a customer admin, or a partner agent acting on behalf
through delegated roles), checks its permission, changes state in one transaction and audits it.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from partnerdesk.access.permissions import OrgKind, Permission
from partnerdesk.access.principal import Principal
from partnerdesk.audit import services as audit
from partnerdesk.directory.inputs import OrganizationPatch
from partnerdesk.directory.models import SecuritySettings
from partnerdesk.errors import DomainError, Forbidden
from partnerdesk.tenancy import services as tenancy
from partnerdesk.tenancy.models import Organization

P = Permission


PROFILE_FIELDS = ["name", "address", "country", "contact_email", "phone", "language", "time_zone"]


SECURITY_FIELDS = [
    "password_min_length",
    "password_expiry_days",
    "lockout_threshold",
    "lockout_minutes",
    "release_preference",
    "technical_contact_name",
]


def tenant_of(principal: Principal) -> Organization:
    """The customer whose directory this is; other organizations have no admin center directory."""
    if principal.organization.kind != OrgKind.CUSTOMER:
        raise Forbidden(_("Only a customer's admin center has a directory."), code="customer_only")
    return principal.organization


def update_profile(principal: Principal, changes: dict[str, Any]) -> Organization:
    """Change the organization profile (name, address, contact, language, time zone)."""
    principal.require(P.ORGANIZATION_MANAGE)
    tenant = tenant_of(principal)
    return tenancy.update_organization(principal, tenant, changes, allowed=PROFILE_FIELDS)


def update_settings(principal: Principal, patch: OrganizationPatch) -> None:
    """Change the profile and the security settings a patch names (the caller's transaction holds both)."""
    changes = patch.model_dump(exclude_unset=True, exclude_none=True)
    profile = {k: v for k, v in changes.items() if k in PROFILE_FIELDS}
    security = {k: v for k, v in changes.items() if k in SECURITY_FIELDS}
    if profile:
        update_profile(principal, profile)
    if security:
        update_security(principal, security)


def update_security(principal: Principal, changes: dict[str, Any]) -> SecuritySettings:
    """Change the password and sign-in policy; it applies at the next sign-in and password change."""
    principal.require(P.ORGANIZATION_MANAGE)
    tenant = tenant_of(principal)
    unknown = set(changes) - set(SECURITY_FIELDS)
    if unknown:
        raise Forbidden(
            _("You may not change: %(fields)s.") % {"fields": ", ".join(sorted(unknown))},
            code="field_not_allowed",
        )
    limits = {
        "password_min_length": (8, 128),
        "password_expiry_days": (0, 730),
        "lockout_threshold": (0, 100),
        "lockout_minutes": (1, 1440),
    }
    for key, (low, high) in limits.items():
        if key in changes and not (low <= int(changes[key]) <= high):
            raise DomainError(
                _("%(field)s must be between %(low)s and %(high)s.")
                % {"field": key, "low": low, "high": high},
                code="invalid_field",
            )
    if (
        "release_preference" in changes
        and changes["release_preference"] not in SecuritySettings.Release.values
    ):
        raise DomainError(_("Unknown release preference."), code="invalid_field")
    with transaction.atomic():
        current, _created = SecuritySettings.objects.select_for_update().get_or_create(organization=tenant)
        changed = {k: v for k, v in changes.items() if getattr(current, k) != v}
        if not changed:
            return current
        before = audit.snapshot(current, list(changed))
        for key, value in changed.items():
            setattr(current, key, value)
        current.updated_at = timezone.now()
        current.save()
        audit.record(
            principal,
            action="organization.security_changed",
            target=tenant,
            organization=tenant,
            before=before,
            after=audit.snapshot(current, list(changed)),
        )
    return current
