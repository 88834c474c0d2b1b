"""What every page's chrome needs: the portal, its navigation, the principal, delegated-access state."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from partnerdesk.access.permissions import OrgKind, Permission
from partnerdesk.health.navigation import message_center_label

P = Permission

# (label, url name, permission) per portal; an entry shows only when the principal holds it.
NAVIGATION: dict[str, list[tuple[Any, str, Permission]]] = {
    "operator": [
        (_("Dashboard"), "portals:operator_dashboard", P.OPERATOR_CONSOLE),
        (_("Partners"), "tenancy:partner_list", P.PARTNERS_VIEW),
        (_("Catalog"), "catalog:catalog_home", P.CATALOG_VIEW),
        (_("Service health"), "health:operator_health", P.HEALTH_VIEW),
        (_("Message center"), "health:operator_messages", P.HEALTH_VIEW),
        (_("Escalation desk"), "support:operator_queue", P.SUPPORT_OPERATOR_DESK),
        (_("Support topics"), "support:operator_topics", P.SUPPORT_TOPICS_MANAGE),
        (_("Help articles"), "support:operator_articles", P.SUPPORT_ARTICLES_WRITE),
        (_("Support reports"), "support:operator_reports", P.SUPPORT_REPORTS),
        (_("Team"), "accounts:operator_team", P.TEAM_VIEW),
        (_("Apps"), "integrations:operator_apps", P.APPS_VIEW),
        (_("Webhooks"), "webhooks:operator_endpoints", P.WEBHOOKS_MANAGE),
        (_("Audit log"), "audit:operator_log", P.AUDIT_VIEW),
    ],
    "partner": [
        (_("Dashboard"), "portals:partner_dashboard", P.PARTNER_CENTER),
        (_("Customers"), "tenancy:customer_list", P.CUSTOMERS_VIEW),
        (_("Relationships"), "tenancy:partner_relationships", P.RELATIONSHIPS_VIEW),
        (_("Subscriptions"), "subscriptions:partner_subscriptions", P.SUBSCRIPTIONS_VIEW),
        (_("Change requests"), "subscriptions:partner_change_requests", P.SUBSCRIPTIONS_VIEW),
        (_("Service health"), "health:partner_health", P.HEALTH_VIEW),
        (_("Customer requests"), "support:partner_queue", P.SUPPORT_DESK),
        (_("Service requests"), "support:partner_service_queue", P.SUPPORT_ESCALATE),
        (_("Help articles"), "support:partner_articles", P.SUPPORT_ARTICLES_WRITE),
        (_("Support profile"), "support:partner_profile", P.SUPPORT_PROFILE_EDIT),
        (_("Support reports"), "support:partner_reports", P.SUPPORT_REPORTS),
        (_("Team"), "accounts:partner_team", P.TEAM_VIEW),
        (_("Domains"), "directory:partner_domain_list", P.DOMAINS_VIEW),
        (_("Single sign-on"), "sso:partner_settings", P.SSO_MANAGE),
        (_("Apps"), "integrations:partner_apps", P.APPS_VIEW),
        (_("Webhooks"), "webhooks:partner_endpoints", P.WEBHOOKS_MANAGE),
        (_("Audit log"), "audit:partner_log", P.AUDIT_VIEW),
    ],
    "admin": [
        (_("Home"), "portals:admin_dashboard", P.ADMIN_CENTER),
        (_("Users"), "directory:user_list", P.TEAM_VIEW),
        (_("Groups"), "directory:group_list", P.TEAM_VIEW),
        (_("Licences"), "subscriptions:admin_licences", P.LICENSES_VIEW),
        (_("Subscriptions"), "subscriptions:admin_subscriptions", P.SUBSCRIPTIONS_VIEW),
        (_("Domains"), "directory:domain_list", P.DOMAINS_VIEW),
        (_("Settings"), "directory:organization_settings", P.ORGANIZATION_MANAGE),
        (_("Apps"), "integrations:admin_apps", P.APPS_VIEW),
        (_("Sign-in log"), "directory:sign_in_log", P.SIGNINS_VIEW),
        (_("Service health"), "health:admin_health", P.HEALTH_VIEW),
        # A callable label gets the principal: here it adds the caller's unread badge.
        (message_center_label, "health:admin_messages", P.MESSAGES_VIEW),
        (_("Support"), "support:admin_support", P.SUPPORT_REQUESTS),
        (_("Partner relationships"), "tenancy:admin_relationships", P.RELATIONSHIPS_VIEW),
        (_("Webhooks"), "webhooks:admin_endpoints", P.WEBHOOKS_MANAGE),
        (_("Audit log"), "audit:admin_log", P.AUDIT_VIEW),
    ],
}

PORTAL_TITLES = {
    "operator": _("Operator console"),
    "partner": _("Partner center"),
    "admin": _("Admin center"),
}

HOME_PORTAL = {OrgKind.OPERATOR: "operator", OrgKind.PARTNER: "partner", OrgKind.CUSTOMER: "admin"}


def portal(request: HttpRequest) -> dict[str, Any]:
    principal = getattr(request, "principal", None)
    current = getattr(request, "portal", None)
    if principal is None:
        return {"principal": None, "portal": current, "languages": settings.LANGUAGES}
    if current is None:
        current = HOME_PORTAL[OrgKind(principal.home_organization.kind)]
    path = request.path
    navigation = [
        {
            "label": label(principal) if callable(label) else label,
            "url": reverse(name),
            "active": path == reverse(name)
            or (reverse(name) != f"/{current}/" and path.startswith(reverse(name))),
        }
        for label, name, permission in NAVIGATION.get(current, [])
        if principal.has(permission)
    ]
    switcher: list[dict[str, Any]] = []
    if (principal.home_organization.kind == OrgKind.PARTNER and principal.has(P.DELEGATED_ADMINISTER)) or (
        principal.is_delegated
    ):
        from partnerdesk.tenancy.queries import customers_with_active_access

        switcher = [
            {"id": str(c.pk), "name": c.name}
            for c in customers_with_active_access(principal.home_organization)
        ]
    if principal.user.must_change_password:
        # Every other page sends this user back to the change page: offer no links that lead nowhere.
        navigation, switcher = [], []
    return {
        "principal": principal,
        "portal": current,
        "portal_title": PORTAL_TITLES.get(current, ""),
        "navigation": navigation,
        "switcher": switcher,
        "languages": settings.LANGUAGES,
    }
