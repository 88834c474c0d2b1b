"""Which health issues, maintenance and Message center posts a principal may see.

Registered into the choke point (`access.policy.scoped`) when the app is ready (`apps.py`): the choke
point holds only the mechanism and imports no domain; each domain says here who sees its rows. Rows
that belong to a service, an issue or a post follow what the principal sees of that parent. Which
services a principal sees is the rule of `subscriptions.scopes` (entitlements).
"""

from __future__ import annotations

from typing import Any

from django.db import models

from partnerdesk.access import policy
from partnerdesk.access.permissions import OrgKind
from partnerdesk.access.policy import scoped
from partnerdesk.access.principal import Principal
from partnerdesk.catalog.models import Service
from partnerdesk.health import queries
from partnerdesk.health.models import HealthIssue, MessagePost


@scoped("health.healthissue")
def _health_issues(principal: Principal, queryset: models.QuerySet[Any]) -> models.QuerySet[Any]:
    # Operator: drafts too. Partner: every published issue. Tenant: published, on its services.
    return queries.scope_issues(principal, queryset)


@scoped("health.plannedmaintenance")
def _health_maintenance(principal: Principal, queryset: models.QuerySet[Any]) -> models.QuerySet[Any]:
    return queries.scope_maintenance(principal, queryset)


@scoped("health.messagepost")
def _health_messages(principal: Principal, queryset: models.QuerySet[Any]) -> models.QuerySet[Any]:
    # The audience is evaluated here, at read time: publishing writes no row per tenant.
    return queries.scope_messages(principal, queryset)


@scoped("health.servicestatuschange")
def _of_visible_services(principal: Principal, queryset: models.QuerySet[Any]) -> models.QuerySet[Any]:
    # The status history of a service follows the service's own rule (registered by subscriptions).
    return queryset.filter(service__in=policy.visible(principal, Service))


@scoped("health.healthissuepost")
def _issue_posts(principal: Principal, queryset: models.QuerySet[Any]) -> models.QuerySet[Any]:
    return queryset.filter(issue__in=queries.scope_issues(principal, HealthIssue.objects.all()))


@scoped("health.messageattachment")
def _message_attachments(principal: Principal, queryset: models.QuerySet[Any]) -> models.QuerySet[Any]:
    return queryset.filter(message__in=queries.scope_messages(principal, MessagePost.objects.all()))


@scoped("health.healthissuerevision")
@scoped("health.messagerevision")
def _revisions(principal: Principal, queryset: models.QuerySet[Any]) -> models.QuerySet[Any]:
    # The edit history of what the operator publishes (drafts included) is the operator's own.
    if principal.kind == OrgKind.OPERATOR:
        return queryset
    return queryset.none()


@scoped("health.messageviewstate")
@scoped("health.adminpreference")
@scoped("health.maildelivery")
def _own_settings(principal: Principal, queryset: models.QuerySet[Any]) -> models.QuerySet[Any]:
    # Read, archived and favourite marks, preferences and digests are each admin's own.
    return queryset.filter(user_id=principal.user.pk)


@scoped("health.feedtoken")
def _feed_tokens(principal: Principal, queryset: models.QuerySet[Any]) -> models.QuerySet[Any]:
    return queryset.filter(organization_id=principal.organization.pk)
