"""Which support rows a principal may see.

Registered into the choke point (`access.policy.scoped`) when the app is ready (`apps.py`): the choke
point holds only the mechanism and imports no domain; each domain says here who sees its rows.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Q

from partnerdesk.access.permissions import OrgKind
from partnerdesk.access.policy import EVERY_ROW, by_side, of_organization, of_user, scoped
from partnerdesk.access.principal import Principal

# --- Support (DOMAIN §5): the customer never sees the operator's side; the operator sees the service
# request and what the partner chose to share, never the customer's request itself.


scoped("support.supportrequest")(by_side(partner="partner", customer="customer"))


@scoped("support.message")
def _support_messages(principal: Principal, queryset: models.QuerySet[Any]) -> models.QuerySet[Any]:
    org = principal.organization
    if principal.kind == OrgKind.PARTNER:
        return queryset.filter(support_request__partner_id=org.pk)
    if principal.kind == OrgKind.CUSTOMER:
        return queryset.filter(support_request__customer_id=org.pk, visibility="public")
    return queryset.none()


scoped("support.servicerequest")(by_side(operator=EVERY_ROW, partner="partner"))


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


scoped("support.supporttopic")(by_side(operator=EVERY_ROW, partner=EVERY_ROW))
scoped("support.cannedreply")(of_organization("partner"))
scoped("support.savedview")(of_user())
scoped("support.partnerflag")(by_side(operator=EVERY_ROW, partner="partner"))
scoped("support.slapolicy")(of_organization())
scoped("support.deflection")(by_side(operator=EVERY_ROW, partner="partner", customer="customer"))


@scoped("support.supportprofile")
def _support_profiles(principal: Principal, queryset: models.QuerySet[Any]) -> models.QuerySet[Any]:
    org = principal.organization
    if principal.kind == OrgKind.OPERATOR:
        return queryset
    if principal.kind == OrgKind.PARTNER:
        return queryset.filter(partner_id=org.pk)
    return queryset.filter(partner_id=org.partner_id)


scoped("support.subscriptionsupportcontact")(
    by_side(operator=EVERY_ROW, partner="subscription__partner", customer="subscription__customer")
)
# Mail received for a partner's desk (appended or quarantined) is that desk's, like its internal
# notes; mail that names no desk is seen by no one.
scoped("support.inboundmail")(by_side(partner="partner"))
