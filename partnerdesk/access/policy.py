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
    # Soft-deleted users are gone everywhere but the admin center's Deleted users page.
    return queryset.filter(organization_id=principal.organization.pk, deleted_at__isnull=True)


@scoped("directory.deleteduser")
def _deleted_users(principal: Principal, queryset: models.QuerySet[Any]) -> models.QuerySet[Any]:
    return queryset.filter(organization_id=principal.organization.pk, deleted_at__isnull=False)


def _own_tenant(principal: Principal, queryset: models.QuerySet[Any]) -> models.QuerySet[Any]:
    """A customer's directory data: its own admins, and partner agents acting on its behalf, only."""
    if principal.kind != OrgKind.CUSTOMER:
        return queryset.none()
    return queryset.filter(organization_id=principal.organization.pk)


scoped("directory.domain")(_own_tenant)
scoped("directory.group")(_own_tenant)
scoped("directory.signinevent")(_own_tenant)
scoped("directory.securitysettings")(_own_tenant)


@scoped("directory.groupmembership")
def _memberships(principal: Principal, queryset: models.QuerySet[Any]) -> models.QuerySet[Any]:
    if principal.kind != OrgKind.CUSTOMER:
        return queryset.none()
    return queryset.filter(group__organization_id=principal.organization.pk)


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


@scoped("catalog.product")
@scoped("catalog.sku")
@scoped("catalog.offer")
def _catalog(principal: Principal, queryset: models.QuerySet[Any]) -> models.QuerySet[Any]:
    # The commercial catalog is the operator's price list: every signed-in organization may read it.
    return queryset


def _subscription_q(principal: Principal, prefix: str = "") -> Q:
    """Subscriptions (or rows tied to them by `prefix`): operator all, partner its sales, customer its own."""
    org = principal.organization
    if principal.kind == OrgKind.OPERATOR:
        return Q()
    if principal.kind == OrgKind.PARTNER:
        return Q(**{f"{prefix}partner_id": org.pk})
    return Q(**{f"{prefix}customer_id": org.pk})


@scoped("subscriptions.subscription")
@scoped("subscriptions.changerequest")
def _subscriptions(principal: Principal, queryset: models.QuerySet[Any]) -> models.QuerySet[Any]:
    return queryset.filter(_subscription_q(principal))


@scoped("subscriptions.seatlot")
@scoped("subscriptions.scheduledchange")
def _subscription_parts(principal: Principal, queryset: models.QuerySet[Any]) -> models.QuerySet[Any]:
    return queryset.filter(_subscription_q(principal, "subscription__"))


@scoped("subscriptions.licensepool")
@scoped("subscriptions.licenseassignment")
def _licences(principal: Principal, queryset: models.QuerySet[Any]) -> models.QuerySet[Any]:
    # Licences are the tenant's own business; its partner sees them only through delegated access.
    if principal.kind == OrgKind.OPERATOR:
        return queryset
    if principal.kind == OrgKind.PARTNER:
        return queryset.filter(customer__partner_id=principal.organization.pk)
    return queryset.filter(customer_id=principal.organization.pk)


# --- Support (DOMAIN §5): the customer never sees the operator's side; the operator sees the service
# request and what the partner chose to share, never the customer's request itself.


@scoped("support.supportrequest")
def _support_requests(principal: Principal, queryset: models.QuerySet[Any]) -> models.QuerySet[Any]:
    org = principal.organization
    if principal.kind == OrgKind.PARTNER:
        return queryset.filter(partner_id=org.pk)
    if principal.kind == OrgKind.CUSTOMER:
        return queryset.filter(customer_id=org.pk)
    return queryset.none()


@scoped("support.message")
def _support_messages(principal: Principal, queryset: models.QuerySet[Any]) -> models.QuerySet[Any]:
    org = principal.organization
    if principal.kind == OrgKind.PARTNER:
        return queryset.filter(support_request__partner_id=org.pk)
    if principal.kind == OrgKind.CUSTOMER:
        return queryset.filter(support_request__customer_id=org.pk, visibility="public")
    return queryset.none()


@scoped("support.servicerequest")
def _service_requests(principal: Principal, queryset: models.QuerySet[Any]) -> models.QuerySet[Any]:
    if principal.kind == OrgKind.OPERATOR:
        return queryset
    if principal.kind == OrgKind.PARTNER:
        return queryset.filter(partner_id=principal.organization.pk)
    return queryset.none()


@scoped("support.note")
def _service_request_notes(principal: Principal, queryset: models.QuerySet[Any]) -> models.QuerySet[Any]:
    if principal.kind == OrgKind.OPERATOR:
        return queryset
    if principal.kind == OrgKind.PARTNER:
        return queryset.filter(service_request__partner_id=principal.organization.pk).exclude(
            kind="operator_internal"
        )
    return queryset.none()


@scoped("support.attachment")
def _support_attachments(principal: Principal, queryset: models.QuerySet[Any]) -> models.QuerySet[Any]:
    org = principal.organization
    if principal.kind == OrgKind.OPERATOR:
        return queryset.filter(service_request__isnull=False)
    if principal.kind == OrgKind.PARTNER:
        return queryset.filter(
            Q(support_request__partner_id=org.pk) | Q(service_request__partner_id=org.pk, internal=False)
        )
    return queryset.filter(support_request__customer_id=org.pk, internal=False)


@scoped("support.helparticle")
def _help_articles(principal: Principal, queryset: models.QuerySet[Any]) -> models.QuerySet[Any]:
    org = principal.organization
    if principal.kind == OrgKind.OPERATOR:
        return queryset
    by_operator = Q(author_organization__kind=OrgKind.OPERATOR, published=True)
    if principal.kind == OrgKind.PARTNER:
        return queryset.filter(by_operator | Q(author_organization_id=org.pk))
    return queryset.filter(by_operator | Q(author_organization_id=org.partner_id, published=True))


@scoped("support.supporttopic")
def _support_topics(principal: Principal, queryset: models.QuerySet[Any]) -> models.QuerySet[Any]:
    if principal.kind == OrgKind.CUSTOMER:
        return queryset.none()
    return queryset


@scoped("support.cannedreply")
def _canned_replies(principal: Principal, queryset: models.QuerySet[Any]) -> models.QuerySet[Any]:
    return queryset.filter(partner_id=principal.organization.pk)


@scoped("support.savedview")
def _saved_views(principal: Principal, queryset: models.QuerySet[Any]) -> models.QuerySet[Any]:
    return queryset.filter(user_id=principal.user.pk)


@scoped("support.partnerflag")
def _partner_flags(principal: Principal, queryset: models.QuerySet[Any]) -> models.QuerySet[Any]:
    if principal.kind == OrgKind.OPERATOR:
        return queryset
    if principal.kind == OrgKind.PARTNER:
        return queryset.filter(partner_id=principal.organization.pk)
    return queryset.none()


@scoped("support.slapolicy")
def _sla_policies(principal: Principal, queryset: models.QuerySet[Any]) -> models.QuerySet[Any]:
    return queryset.filter(organization_id=principal.organization.pk)


@scoped("support.deflection")
def _deflections(principal: Principal, queryset: models.QuerySet[Any]) -> models.QuerySet[Any]:
    org = principal.organization
    if principal.kind == OrgKind.OPERATOR:
        return queryset
    if principal.kind == OrgKind.PARTNER:
        return queryset.filter(partner_id=org.pk)
    return queryset.filter(customer_id=org.pk)


@scoped("support.supportprofile")
def _support_profiles(principal: Principal, queryset: models.QuerySet[Any]) -> models.QuerySet[Any]:
    org = principal.organization
    if principal.kind == OrgKind.OPERATOR:
        return queryset
    if principal.kind == OrgKind.PARTNER:
        return queryset.filter(partner_id=org.pk)
    return queryset.filter(partner_id=org.partner_id)


@scoped("health.service")
def _health_services(principal: Principal, queryset: models.QuerySet[Any]) -> models.QuerySet[Any]:
    # A tenant sees the services it is entitled to; operator and partners see the whole catalog.
    from partnerdesk.health.queries import scope_services

    return scope_services(principal, queryset)


@scoped("health.healthissue")
def _health_issues(principal: Principal, queryset: models.QuerySet[Any]) -> models.QuerySet[Any]:
    # Operator: drafts too. Partner: every published issue. Tenant: published, on its services.
    from partnerdesk.health.queries import scope_issues

    return scope_issues(principal, queryset)


@scoped("health.plannedmaintenance")
def _health_maintenance(principal: Principal, queryset: models.QuerySet[Any]) -> models.QuerySet[Any]:
    from partnerdesk.health.queries import scope_maintenance

    return scope_maintenance(principal, queryset)


@scoped("health.messagepost")
def _health_messages(principal: Principal, queryset: models.QuerySet[Any]) -> models.QuerySet[Any]:
    # The audience is evaluated here, at read time: publishing writes no row per tenant.
    from partnerdesk.health.queries import scope_messages

    return scope_messages(principal, queryset)


@scoped("support.subscriptionsupportcontact")
def _subscription_contacts(principal: Principal, queryset: models.QuerySet[Any]) -> models.QuerySet[Any]:
    org = principal.organization
    if principal.kind == OrgKind.OPERATOR:
        return queryset
    if principal.kind == OrgKind.PARTNER:
        return queryset.filter(subscription__partner_id=org.pk)
    return queryset.filter(subscription__customer_id=org.pk)
