"""Which users and API tokens a principal may see.

Registered into the choke point (`access.policy.scoped`) when the app is ready (`apps.py`): the choke
point holds only the mechanism and imports no domain; each domain says here who sees its rows.
"""

from __future__ import annotations

from typing import Any

from django.db import models

from partnerdesk.access.permissions import Permission
from partnerdesk.access.policy import of_organization, of_user, scoped
from partnerdesk.access.principal import Principal


@scoped("accounts.user")
def _users(principal: Principal, queryset: models.QuerySet[Any]) -> models.QuerySet[Any]:
    # Team pages list one organization's people; nobody browses another organization's users.
    # Soft-deleted users are gone everywhere but the admin center's Deleted users page. An OAuth app's
    # stand-in is nobody: it is listed with the apps, never with the people.
    return queryset.filter(organization_id=principal.organization.pk, deleted_at__isnull=True, is_app=False)


@scoped("accounts.apitoken")
def _tokens(principal: Principal, queryset: models.QuerySet[Any]) -> models.QuerySet[Any]:
    # Everyone sees their own tokens; an admin holding tokens.manage also sees those of the people of
    # the organization they act in (to revoke them), never another organization's.
    own = models.Q(user_id=principal.user.pk)
    if principal.has(Permission.TOKENS_MANAGE):
        return queryset.filter(own | models.Q(user__organization_id=principal.organization.pk))
    return queryset.filter(own)


# Roles show on the team pages of the same organization (deleted users' too, on their page).
scoped("accounts.roleassignment")(of_organization("user__organization"))
# Only one's own: nobody, not even an admin of the same organization, lists another's sessions.
scoped("accounts.usersession")(of_user())
