"""The directory is the customer's own: its operations are named rules admitting the customer side.

One exception: a partner has domains of its own (its single sign-on covers its verified domains), which
only its own global admin manages, in the partner center (`PARTNER_DOMAINS_*`), never a customer's.

Operator and partner roles hold team permissions too (for their own people, `accounts`), so a
permission alone would let them into a customer's directory operations; each rule here admits only
the customer side and refuses the others with `customer_only` once they hold the permission (a
principal without it is refused plainly, as any missing permission is).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

from partnerdesk.access.permissions import OrgKind, Permission
from partnerdesk.access.rules import Rule, once_permitted
from partnerdesk.errors import DomainError, Forbidden

if TYPE_CHECKING:
    from partnerdesk.access.principal import Principal

P = Permission


def _customer_only(principal: Principal, what: str) -> DomainError:
    return Forbidden(_("Only a customer's admin center has a directory."), code="customer_only")


def _directory(permission: Permission) -> Rule:
    return Rule(
        f"directory:{permission.value}",
        {OrgKind.CUSTOMER: permission},
        once_permitted(permission, _customer_only),
    )


TEAM_VIEW = _directory(P.TEAM_VIEW)
TEAM_MANAGE = _directory(P.TEAM_MANAGE)
ROLES_ASSIGN = _directory(P.ROLES_ASSIGN)
GROUPS_MANAGE = _directory(P.GROUPS_MANAGE)
DOMAINS_VIEW = _directory(P.DOMAINS_VIEW)
DOMAINS_MANAGE = _directory(P.DOMAINS_MANAGE)
ORGANIZATION_MANAGE = _directory(P.ORGANIZATION_MANAGE)
SIGNINS_VIEW = _directory(P.SIGNINS_VIEW)


def _partner_only(principal: Principal, what: str) -> DomainError:
    return Forbidden(
        _("The partner center manages the partner's own domains; a customer's are in its admin center."),
        code="partner_only",
    )


def _partner_domains(permission: Permission) -> Rule:
    return Rule(
        f"partner_domains:{permission.value}",
        {OrgKind.PARTNER: permission},
        once_permitted(permission, _partner_only),
    )


PARTNER_DOMAINS_VIEW = _partner_domains(P.DOMAINS_VIEW)
PARTNER_DOMAINS_MANAGE = _partner_domains(P.DOMAINS_MANAGE)
