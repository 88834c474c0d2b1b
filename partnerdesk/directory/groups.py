"""The tenant's security groups and their members and owners."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from partnerdesk.access.permissions import Permission
from partnerdesk.access.principal import Principal
from partnerdesk.accounts.models import User
from partnerdesk.audit import services as audit
from partnerdesk.directory.models import Group, GroupMembership
from partnerdesk.directory.organization import tenant_of
from partnerdesk.errors import Conflict, DomainError

P = Permission


def create_group(principal: Principal, *, name: str, description: str = "") -> Group:
    """Create a security group; its members can later get licences by group and filter lists."""
    principal.require(P.GROUPS_MANAGE)
    tenant = tenant_of(principal)
    name = name.strip()
    if not name:
        raise DomainError(_("A name is required."), code="name_required")
    with transaction.atomic():
        try:
            with transaction.atomic():
                group = Group.objects.create(organization=tenant, name=name, description=description.strip())
        except IntegrityError:
            raise Conflict(_("A group with this name already exists."), code="group_exists") from None
        audit.record(
            principal, action="group.created", target=group, organization=tenant, after={"name": name}
        )
    return group


def delete_group(principal: Principal, group: Group) -> None:
    """Delete a group and its memberships (the users stay)."""
    principal.require(P.GROUPS_MANAGE)
    tenant = tenant_of(principal)
    with transaction.atomic():
        audit.record(
            principal, action="group.deleted", target=group, organization=tenant, before={"name": group.name}
        )
        Group.objects.filter(pk=group.pk, organization=tenant).delete()


def add_member(principal: Principal, group: Group, user: User, *, role: str = "member") -> None:
    """Add a user of the same tenant to a group as member or owner (adding twice changes nothing)."""
    principal.require(P.GROUPS_MANAGE)
    tenant = tenant_of(principal)
    if role not in GroupMembership.Role.values:
        raise DomainError(_("A member is a member or an owner."), code="invalid_role")
    if user.organization_id != tenant.pk or group.organization_id != tenant.pk:
        raise DomainError(_("Only users of this organization can join its groups."), code="invalid_member")
    with transaction.atomic():
        _membership, created = GroupMembership.objects.get_or_create(group=group, user=user, role=role)
        if created:
            audit.record(
                principal,
                action="group.member_added",
                target=group,
                organization=tenant,
                after={"user": str(user.pk), "email": user.email, "role": role},
            )


def remove_member(principal: Principal, group: Group, user: User, *, role: str = "member") -> None:
    """Remove a user's membership or ownership of a group (removing twice changes nothing)."""
    principal.require(P.GROUPS_MANAGE)
    tenant = tenant_of(principal)
    with transaction.atomic():
        removed, _detail = GroupMembership.objects.filter(group=group, user=user, role=role).delete()
        if removed:
            audit.record(
                principal,
                action="group.member_removed",
                target=group,
                organization=tenant,
                before={"user": str(user.pk), "email": user.email, "role": role},
            )
