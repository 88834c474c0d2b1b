"""Which health issues, maintenance and Message center posts a principal may see.

Registered into the choke point (`access.policy.scoped`) when the app is ready (`apps.py`): the choke
point holds only the mechanism and imports no domain; each domain says here who sees its rows. Rows
that belong to a service, an issue or a post follow what the principal sees of that parent. Which
services a principal sees is the rule of `subscriptions.scopes` (entitlements).
"""

from __future__ import annotations

from typing import Any

from django.db import models

from partnerdesk.access.policy import EVERY_ROW, by_side, following, of_organization, of_user, scoped
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


# The status history of a service follows the service's own rule (registered by subscriptions); an
# issue's posts and a message's attachments follow the issue's and the message's.
scoped("health.servicestatuschange")(following("service", Service))
scoped("health.healthissuepost")(following("issue", HealthIssue))
scoped("health.messageattachment")(following("message", MessagePost))


# The edit history of what the operator publishes (drafts included) is the operator's own.
_revisions = by_side(operator=EVERY_ROW)
scoped("health.healthissuerevision")(_revisions)
scoped("health.messagerevision")(_revisions)
# Read, archived and favourite marks, preferences and digests are each admin's own.
_own_settings = of_user()
scoped("health.messageviewstate")(_own_settings)
scoped("health.adminpreference")(_own_settings)
scoped("health.maildelivery")(_own_settings)
scoped("health.feedtoken")(of_organization())
