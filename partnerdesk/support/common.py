"""What the support modules share: input checks, who works a desk, who wrote a timeline entry, whose
audit log a service request's event goes to.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _

from partnerdesk.access.permissions import ROLE_PERMISSIONS, Permission, Role
from partnerdesk.access.principal import Principal
from partnerdesk.accounts.models import User
from partnerdesk.errors import DomainError
from partnerdesk.support.models import ServiceRequest, Severity

if TYPE_CHECKING:
    from partnerdesk.tenancy.models import Organization


UNSET: Any = object()


def clean(text: str, field: str, *, limit: int | None = None) -> str:
    """Return the stripped text, refusing it empty (`field_required`) or past `limit` (`field_too_long`)."""
    text = (text or "").strip()
    if not text:
        raise DomainError(_("%(field)s is required.") % {"field": field}, code="field_required")
    if limit and len(text) > limit:
        raise DomainError(
            _("%(field)s is longer than %(limit)s characters.") % {"field": field, "limit": limit},
            code="field_too_long",
        )
    return text


def valid_severity(value: str) -> str:
    """Return the severity if it is one of critical, moderate, minimal (`invalid_severity` otherwise)."""
    if value not in Severity.values:
        raise DomainError(_("Severity must be critical, moderate or minimal."), code="invalid_severity")
    return value


def users_with(organization_id: Any, permission: Permission) -> list[User]:
    """The active people of an organization holding `permission` through one of their roles."""
    roles = [role for role, granted in ROLE_PERMISSIONS.items() if permission in granted]
    return list(
        User.objects.filter(
            organization_id=organization_id,
            role_assignments__role__in=roles,
            blocked=False,
            deleted_at__isnull=True,
        )
        .select_related("organization")
        .distinct()
        .order_by("email")
    )


def holds(user: User, permission: Permission) -> bool:
    """Whether one of the user's roles grants `permission`."""
    roles = {Role(r) for r in user.role_assignments.values_list("role", flat=True)}
    return any(permission in ROLE_PERMISSIONS[r] for r in roles)


def desk_assignee(organization_id: Any, user_id: Any, permission: Permission) -> User | None:
    """The person a request is assigned to: of the desk's organization and able to work it (or None)."""
    if user_id in (None, ""):
        return None
    try:
        user = User.objects.get(pk=user_id, organization_id=organization_id, deleted_at__isnull=True)
    except (User.DoesNotExist, ValueError, Exception):
        raise DomainError(_("Choose someone of your organization's desk."), code="invalid_assignee") from None
    if not holds(user, permission):
        raise DomainError(
            _("%(name)s cannot work on requests.") % {"name": user.display_name}, code="invalid_assignee"
        )
    return user


def authored_by(principal: Principal) -> dict[str, Any]:
    """The author columns of a timeline entry (a reply, a note, a system line) the principal writes:
    the person, and the name and organization kept as they were when it was written."""
    return {
        "author": principal.user,
        "author_name": principal.user.display_name,
        "author_organization": principal.home_organization,
    }


def touch(instance: Any, now: Any) -> None:
    """Stamp the change time (the caller saves)."""
    instance.updated_at = now


def operator_id() -> Any:
    """The operator's organization id: the owner of service-request SLA policies and of internal events."""
    from partnerdesk.tenancy.services import get_operator

    return get_operator().pk


def service_audit_organization(service_request: ServiceRequest, *, internal: bool = False) -> Organization:
    """Whose audit log a service request's event goes to: the partner's (its customer never sees the
    service request), or only the operator's for what is internal to the operator."""
    if internal:
        from partnerdesk.tenancy.services import get_operator

        return get_operator()
    return service_request.partner
