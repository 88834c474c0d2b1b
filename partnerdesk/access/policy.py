"""Which rows a principal may see, and the object look-up every view and API operation uses.

Deny by default: a model with no scoping rule here cannot be looked up through this module at all.
Another organization's object is NotFound (404); a visible object the principal may not change is
Forbidden (403), raised by `Principal.require`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext as _

from partnerdesk.access.permissions import OrgKind
from partnerdesk.access.principal import Principal
from partnerdesk.errors import NotFound

M = TypeVar("M", bound=models.Model)

_Scoper = Callable[[Principal, models.QuerySet[Any]], models.QuerySet[Any]]
_SCOPES: dict[str, _Scoper] = {}


def scoped(label: str) -> Callable[[_Scoper], _Scoper]:
    def register(function: _Scoper) -> _Scoper:
        _SCOPES[label] = function
        return function

    return register


def visible(principal: Principal, queryset: models.QuerySet[M] | type[M]) -> models.QuerySet[M]:
    """Narrow `queryset` to the rows `principal` may see."""
    if isinstance(queryset, type):
        queryset = queryset._default_manager.all()
    label = queryset.model._meta.label_lower
    try:
        scope = _SCOPES[label]
    except KeyError:
        raise LookupError(f"no scoping rule for {label}: add one to partnerdesk.access.policy") from None
    return scope(principal, queryset)


def get_visible(principal: Principal, queryset: models.QuerySet[M] | type[M], **lookup: Any) -> M:
    """Return the one visible row matching `lookup`, or raise NotFound (also for malformed ids)."""
    scoped_queryset = visible(principal, queryset)
    try:
        return scoped_queryset.get(**lookup)
    except (ObjectDoesNotExist, ValueError, ValidationError):
        raise NotFound(_("Not found.")) from None


def _org_q(principal: Principal) -> Q:
    """Organizations visible to the principal: operator all; partner itself and its customers."""
    org = principal.organization
    if principal.kind == OrgKind.OPERATOR:
        return Q()
    if principal.kind == OrgKind.PARTNER:
        return Q(pk=org.pk) | Q(partner_id=org.pk)
    # A customer sees itself, and its partner's name on its pages.
    return Q(pk=org.pk) | Q(pk=org.partner_id)


@scoped("tenancy.organization")
def _organizations(principal: Principal, queryset: models.QuerySet[Any]) -> models.QuerySet[Any]:
    return queryset.filter(_org_q(principal))


@scoped("tenancy.delegatedrelationship")
def _relationships(principal: Principal, queryset: models.QuerySet[Any]) -> models.QuerySet[Any]:
    org = principal.organization
    if principal.kind == OrgKind.OPERATOR:
        return queryset
    if principal.kind == OrgKind.PARTNER:
        return queryset.filter(partner_id=org.pk)
    return queryset.filter(customer_id=org.pk)


@scoped("accounts.user")
def _users(principal: Principal, queryset: models.QuerySet[Any]) -> models.QuerySet[Any]:
    # Team pages list one organization's people; nobody browses another organization's users.
    return queryset.filter(organization_id=principal.organization.pk)


@scoped("accounts.apitoken")
def _tokens(principal: Principal, queryset: models.QuerySet[Any]) -> models.QuerySet[Any]:
    return queryset.filter(user_id=principal.user.pk)


@scoped("audit.auditevent")
def _audit_events(principal: Principal, queryset: models.QuerySet[Any]) -> models.QuerySet[Any]:
    org = principal.organization
    if principal.kind == OrgKind.OPERATOR:
        return queryset
    if principal.kind == OrgKind.PARTNER:
        return queryset.filter(partner_id=org.pk)
    return queryset.filter(organization_id=org.pk)
