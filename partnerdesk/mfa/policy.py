"""Who must sign in with a second factor: each organization's requirement, and changing it (audited).

Operator and partner organizations require a second factor of everyone unless the operator relaxed a
partner's requirement in its console; customers choose in their admin center. The choice is read
when someone signs in and on every page after (`mfa.middleware`), so a stricter policy applies at
once: whoever has no factor yet is sent to enrol.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from partnerdesk.access.permissions import ROLE_PERMISSIONS, OrgKind, Permission, Role
from partnerdesk.access.principal import Principal, load_roles
from partnerdesk.audit import services as audit
from partnerdesk.errors import DomainError, Forbidden
from partnerdesk.mfa.models import OrganizationPolicy, Requirement

if TYPE_CHECKING:
    from partnerdesk.accounts.models import User
    from partnerdesk.tenancy.models import Organization

P = Permission

# Partner Center's rule: operator and partner users sign in with a second factor; customers choose.
DEFAULTS = {
    OrgKind.OPERATOR: Requirement.EVERYONE,
    OrgKind.PARTNER: Requirement.EVERYONE,
    OrgKind.CUSTOMER: Requirement.NOT_REQUIRED,
}

# "Admins" are the roles that decide who may do what or act for others: whoever holds one of these.
_ADMIN_PERMISSIONS = frozenset(
    {P.TEAM_MANAGE, P.ROLES_ASSIGN, P.TOKENS_MANAGE, P.ORGANIZATION_MANAGE, P.PARTNERS_MANAGE}
    | {P.DELEGATED_ADMINISTER, P.RELATIONSHIPS_MANAGE}
)
ADMIN_ROLES = frozenset(role for role, granted in ROLE_PERMISSIONS.items() if granted & _ADMIN_PERMISSIONS)


def requirement_of(organization: Organization) -> Requirement:
    """The organization's requirement: its own choice, or its kind's default."""
    chosen = (
        OrganizationPolicy.objects.filter(organization_id=organization.pk)
        .values_list("requirement", flat=True)
        .first()
    )
    return Requirement(chosen) if chosen else DEFAULTS[OrgKind(organization.kind)]


def is_required(user: User, *, roles: frozenset[Role] | None = None) -> bool:
    """Whether `user`'s organization requires them to have a second factor."""
    requirement = requirement_of(user.organization)
    if requirement == Requirement.EVERYONE:
        return True
    if requirement == Requirement.ADMINS:
        return bool((load_roles(user) if roles is None else roles) & ADMIN_ROLES)
    return False


def _change(principal: Principal, organization: Organization, requirement: str) -> Requirement:
    try:
        chosen = Requirement(requirement)
    except ValueError:
        raise DomainError(_("Unknown multi-factor requirement."), code="invalid_field") from None
    with transaction.atomic():
        before = requirement_of(organization)
        if before == chosen:
            return chosen
        OrganizationPolicy.objects.update_or_create(
            organization_id=organization.pk,
            defaults={"requirement": chosen, "updated_at": timezone.now()},
        )
        audit.record(
            principal,
            action="organization.mfa_policy_changed",
            target=organization,
            organization=organization,
            before={"requirement": str(before)},
            after={"requirement": str(chosen)},
        )
    return chosen


def set_partner_requirement(principal: Principal, partner: Organization, requirement: str) -> Requirement:
    """The operator relaxes (or restores) a partner's requirement, from its console."""
    principal.require(P.PARTNERS_MANAGE)
    if principal.kind != OrgKind.OPERATOR or partner.kind != OrgKind.PARTNER:
        raise Forbidden(_("Only the operator sets a partner's requirement."), code="operator_only")
    return _change(principal, partner, requirement)


def set_own_requirement(principal: Principal, requirement: str) -> Requirement:
    """A customer's admins choose their own organization's requirement (admin center security)."""
    principal.require(P.ORGANIZATION_MANAGE)
    if principal.kind != OrgKind.CUSTOMER:
        raise Forbidden(
            _("Operator and partner organizations keep the operator's requirement."), code="customer_only"
        )
    return _change(principal, principal.organization, requirement)
