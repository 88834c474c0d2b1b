"""Named permissions and the one table that maps roles to them.

Templates and the API ask the same question the same way: `principal.has(Permission.X)`.
A role belongs to exactly one kind of organization; a permission is only ever held through a role.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class OrgKind(StrEnum):
    OPERATOR = "operator"
    PARTNER = "partner"
    CUSTOMER = "customer"


class Role(StrEnum):
    # Operator
    OPERATOR_ADMIN = "operator_admin"
    SUPPORT_ENGINEER = "support_engineer"
    COMMUNICATIONS_MANAGER = "communications_manager"
    CATALOG_MANAGER = "catalog_manager"
    AUDITOR = "auditor"
    # Partner
    PARTNER_GLOBAL_ADMIN = "partner_global_admin"
    ADMIN_AGENT = "admin_agent"
    HELPDESK_AGENT = "helpdesk_agent"
    SALES_AGENT = "sales_agent"
    BILLING_ADMIN = "billing_admin"
    # Customer
    GLOBAL_ADMIN = "global_admin"
    USER_ADMIN = "user_admin"
    LICENCE_ADMIN = "licence_admin"
    SERVICE_SUPPORT_ADMIN = "service_support_admin"
    MESSAGE_CENTER_READER = "message_center_reader"
    PRIVACY_READER = "privacy_reader"
    USER = "user"


ROLE_LABELS: dict[Role, StrOrPromise] = {
    Role.OPERATOR_ADMIN: _("Operator admin"),
    Role.SUPPORT_ENGINEER: _("Support engineer"),
    Role.COMMUNICATIONS_MANAGER: _("Communications manager"),
    Role.CATALOG_MANAGER: _("Catalog manager"),
    Role.AUDITOR: _("Auditor"),
    Role.PARTNER_GLOBAL_ADMIN: _("Global admin"),
    Role.ADMIN_AGENT: _("Admin agent"),
    Role.HELPDESK_AGENT: _("Helpdesk agent"),
    Role.SALES_AGENT: _("Sales agent"),
    Role.BILLING_ADMIN: _("Billing admin"),
    Role.GLOBAL_ADMIN: _("Global admin"),
    Role.USER_ADMIN: _("User admin"),
    Role.LICENCE_ADMIN: _("Licence admin"),
    Role.SERVICE_SUPPORT_ADMIN: _("Service support admin"),
    Role.MESSAGE_CENTER_READER: _("Message center reader"),
    Role.PRIVACY_READER: _("Privacy reader"),
    Role.USER: _("User"),
}

ROLES_BY_KIND: dict[OrgKind, tuple[Role, ...]] = {
    OrgKind.OPERATOR: (
        Role.OPERATOR_ADMIN,
        Role.SUPPORT_ENGINEER,
        Role.COMMUNICATIONS_MANAGER,
        Role.CATALOG_MANAGER,
        Role.AUDITOR,
    ),
    OrgKind.PARTNER: (
        Role.PARTNER_GLOBAL_ADMIN,
        Role.ADMIN_AGENT,
        Role.HELPDESK_AGENT,
        Role.SALES_AGENT,
        Role.BILLING_ADMIN,
    ),
    OrgKind.CUSTOMER: (
        Role.GLOBAL_ADMIN,
        Role.USER_ADMIN,
        Role.LICENCE_ADMIN,
        Role.SERVICE_SUPPORT_ADMIN,
        Role.MESSAGE_CENTER_READER,
        Role.PRIVACY_READER,
        Role.USER,
    ),
}

# Customer roles a partner may ask for in a delegated relationship. Plain "user" is not an admin role.
DELEGABLE_ROLES: tuple[Role, ...] = tuple(r for r in ROLES_BY_KIND[OrgKind.CUSTOMER] if r != Role.USER)


class Permission(StrEnum):
    # Operator console
    OPERATOR_CONSOLE = "operator.console"
    PARTNERS_VIEW = "partners.view"
    PARTNERS_MANAGE = "partners.manage"
    # Partner center
    PARTNER_CENTER = "partner.center"
    CUSTOMERS_VIEW = "customers.view"
    CUSTOMERS_CREATE = "customers.create"
    CUSTOMERS_EDIT = "customers.edit"
    CUSTOMERS_BILLING = "customers.billing"
    RELATIONSHIPS_REQUEST = "relationships.request"
    DELEGATED_ADMINISTER = "delegated.administer"
    SUPPORT_PROFILE_EDIT = "support.profile_edit"
    SUPPORT_ESCALATE = "support.escalate"
    SUPPORT_DESK = "support.desk"
    # Release quarantined inbound mail to a request, or discard it (the desk's leads, not helpdesk)
    SUPPORT_INBOUND_QUARANTINE = "support.inbound_quarantine"
    SUBSCRIPTIONS_CHANGE = "subscriptions.change"
    SUBSCRIPTIONS_VIEW = "subscriptions.view"
    CATALOG_VIEW = "catalog.view"
    CATALOG_MANAGE = "catalog.manage"
    SUBSCRIPTIONS_REQUEST_CHANGE = "subscriptions.request_change"
    LICENSES_VIEW = "licenses.view"
    LICENSES_ASSIGN = "licenses.assign"
    # Held by no role: only the operator's own OAuth apps with the `entitlements` scope (and, until
    # they are removed, the deprecated service credentials `pds_…`).
    ENTITLEMENTS_CHECK = "entitlements.check"
    HEALTH_VIEW = "health.view"
    # Service health and Message center: publishing (operator), reading and per-admin settings
    HEALTH_MANAGE = "health.manage"
    MESSAGES_VIEW = "messages.view"
    MESSAGES_PRIVACY = "messages.privacy"
    HEALTH_FEED_MANAGE = "health.feed_manage"
    # Customer admin center
    ADMIN_CENTER = "admin.center"
    RELATIONSHIPS_VIEW = "relationships.view"
    RELATIONSHIPS_MANAGE = "relationships.manage"
    # The customer directory (users are team.view / team.manage, like every portal's team page)
    ROLES_ASSIGN = "roles.assign"
    GROUPS_MANAGE = "groups.manage"
    DOMAINS_VIEW = "domains.view"
    DOMAINS_MANAGE = "domains.manage"
    ORGANIZATION_MANAGE = "organization.manage"
    SIGNINS_VIEW = "signins.view"
    SUPPORT_REQUESTS = "support.requests"
    # Support, operator side and shared
    SUPPORT_OPERATOR_DESK = "support.operator_desk"
    SUPPORT_TOPICS_MANAGE = "support.topics_manage"
    SUPPORT_ARTICLES_WRITE = "support.articles_write"
    SUPPORT_SLA_MANAGE = "support.sla_manage"
    SUPPORT_REPORTS = "support.reports"
    # Every portal
    TEAM_VIEW = "team.view"
    TEAM_MANAGE = "team.manage"
    # The organization's API tokens: see every live one (never the secret) and revoke any of them.
    TOKENS_MANAGE = "tokens.manage"
    # The organization's OAuth apps (integrations): see them, and register, rotate and delete them.
    APPS_VIEW = "apps.view"
    APPS_MANAGE = "apps.manage"
    # The organization's webhook endpoints: register, edit, rotate, delete, see their deliveries.
    WEBHOOKS_MANAGE = "webhooks.manage"
    AUDIT_VIEW = "audit.view"
    # Partners and customers: connect the organization's own identity provider (single sign-on).
    SSO_MANAGE = "sso.manage"


P = Permission

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    # --- Operator ---
    Role.OPERATOR_ADMIN: frozenset(
        {
            P.TOKENS_MANAGE,
            P.APPS_VIEW,
            P.APPS_MANAGE,
            P.WEBHOOKS_MANAGE,
            P.SUPPORT_OPERATOR_DESK,
            P.SUPPORT_TOPICS_MANAGE,
            P.SUPPORT_ARTICLES_WRITE,
            P.SUPPORT_SLA_MANAGE,
            P.SUPPORT_REPORTS,
            P.OPERATOR_CONSOLE,
            P.PARTNERS_VIEW,
            P.PARTNERS_MANAGE,
            P.HEALTH_MANAGE,
            P.MESSAGES_VIEW,
            P.CUSTOMERS_VIEW,
            P.RELATIONSHIPS_VIEW,
            P.HEALTH_VIEW,
            P.TEAM_VIEW,
            P.TEAM_MANAGE,
            P.AUDIT_VIEW,
            P.CATALOG_VIEW,
            P.CATALOG_MANAGE,
            P.SUBSCRIPTIONS_VIEW,
        }
    ),
    Role.SUPPORT_ENGINEER: frozenset(
        {
            P.SUPPORT_OPERATOR_DESK,
            P.SUPPORT_TOPICS_MANAGE,
            P.SUPPORT_ARTICLES_WRITE,
            P.SUPPORT_REPORTS,
            P.OPERATOR_CONSOLE,
            P.PARTNERS_VIEW,
            P.CUSTOMERS_VIEW,
            P.RELATIONSHIPS_VIEW,
            P.HEALTH_VIEW,
            P.MESSAGES_VIEW,
        }
    ),
    Role.COMMUNICATIONS_MANAGER: frozenset(
        {P.OPERATOR_CONSOLE, P.HEALTH_VIEW, P.HEALTH_MANAGE, P.MESSAGES_VIEW}
    ),
    Role.CATALOG_MANAGER: frozenset({P.OPERATOR_CONSOLE, P.PARTNERS_VIEW, P.CATALOG_VIEW, P.CATALOG_MANAGE}),
    Role.AUDITOR: frozenset(
        {
            P.APPS_VIEW,
            P.SUPPORT_REPORTS,
            P.OPERATOR_CONSOLE,
            P.PARTNERS_VIEW,
            P.CUSTOMERS_VIEW,
            P.RELATIONSHIPS_VIEW,
            P.HEALTH_VIEW,
            P.MESSAGES_VIEW,
            P.TEAM_VIEW,
            P.AUDIT_VIEW,
            P.CATALOG_VIEW,
            P.SUBSCRIPTIONS_VIEW,
        }
    ),
    # --- Partner ---
    Role.PARTNER_GLOBAL_ADMIN: frozenset(
        {
            P.SSO_MANAGE,
            # The partner's own verified domains (its single sign-on covers them), never a customer's.
            P.DOMAINS_VIEW,
            P.DOMAINS_MANAGE,
            P.TOKENS_MANAGE,
            P.APPS_VIEW,
            P.APPS_MANAGE,
            P.WEBHOOKS_MANAGE,
            P.SUPPORT_DESK,
            P.SUPPORT_INBOUND_QUARANTINE,
            P.SUPPORT_ARTICLES_WRITE,
            P.SUPPORT_SLA_MANAGE,
            P.SUPPORT_REPORTS,
            P.PARTNER_CENTER,
            P.CUSTOMERS_VIEW,
            P.RELATIONSHIPS_VIEW,
            P.CUSTOMERS_CREATE,
            P.CUSTOMERS_EDIT,
            P.CUSTOMERS_BILLING,
            P.RELATIONSHIPS_REQUEST,
            P.DELEGATED_ADMINISTER,
            P.SUPPORT_PROFILE_EDIT,
            P.SUPPORT_ESCALATE,
            P.SUBSCRIPTIONS_CHANGE,
            P.HEALTH_VIEW,
            P.MESSAGES_VIEW,
            P.TEAM_VIEW,
            P.TEAM_MANAGE,
            P.AUDIT_VIEW,
            P.CATALOG_VIEW,
            P.SUBSCRIPTIONS_VIEW,
        }
    ),
    Role.ADMIN_AGENT: frozenset(
        {
            P.SUPPORT_DESK,
            P.SUPPORT_INBOUND_QUARANTINE,
            P.SUPPORT_ARTICLES_WRITE,
            P.SUPPORT_REPORTS,
            P.PARTNER_CENTER,
            P.CUSTOMERS_VIEW,
            P.RELATIONSHIPS_VIEW,
            P.CUSTOMERS_CREATE,
            P.CUSTOMERS_EDIT,
            P.CUSTOMERS_BILLING,
            P.RELATIONSHIPS_REQUEST,
            P.DELEGATED_ADMINISTER,
            P.SUPPORT_ESCALATE,
            P.SUBSCRIPTIONS_CHANGE,
            P.HEALTH_VIEW,
            P.MESSAGES_VIEW,
            P.TEAM_VIEW,
            P.CATALOG_VIEW,
            P.SUBSCRIPTIONS_VIEW,
        }
    ),
    Role.HELPDESK_AGENT: frozenset(
        {
            P.SUPPORT_DESK,
            P.SUPPORT_ARTICLES_WRITE,
            P.PARTNER_CENTER,
            P.CUSTOMERS_VIEW,
            P.RELATIONSHIPS_VIEW,
            P.CUSTOMERS_EDIT,
            P.DELEGATED_ADMINISTER,
            P.SUPPORT_ESCALATE,
            P.HEALTH_VIEW,
            P.MESSAGES_VIEW,
            P.TEAM_VIEW,
            P.SUBSCRIPTIONS_VIEW,
        }
    ),
    Role.SALES_AGENT: frozenset(
        {
            P.PARTNER_CENTER,
            P.CUSTOMERS_VIEW,
            P.RELATIONSHIPS_VIEW,
            P.CUSTOMERS_CREATE,
            P.CUSTOMERS_EDIT,
            P.CUSTOMERS_BILLING,
            P.SUBSCRIPTIONS_CHANGE,
            P.TEAM_VIEW,
            P.CATALOG_VIEW,
            P.SUBSCRIPTIONS_VIEW,
        }
    ),
    Role.BILLING_ADMIN: frozenset(
        {
            P.PARTNER_CENTER,
            P.CUSTOMERS_VIEW,
            P.RELATIONSHIPS_VIEW,
            P.CUSTOMERS_BILLING,
            P.TEAM_VIEW,
            P.SUBSCRIPTIONS_VIEW,
        }
    ),
    # --- Customer ---
    Role.GLOBAL_ADMIN: frozenset(
        {
            P.SSO_MANAGE,
            P.TOKENS_MANAGE,
            P.APPS_VIEW,
            P.APPS_MANAGE,
            P.WEBHOOKS_MANAGE,
            P.ROLES_ASSIGN,
            P.GROUPS_MANAGE,
            P.DOMAINS_VIEW,
            P.DOMAINS_MANAGE,
            P.ORGANIZATION_MANAGE,
            P.SIGNINS_VIEW,
            P.SUPPORT_REQUESTS,
            P.ADMIN_CENTER,
            P.RELATIONSHIPS_VIEW,
            P.RELATIONSHIPS_MANAGE,
            P.HEALTH_VIEW,
            P.MESSAGES_VIEW,
            P.MESSAGES_PRIVACY,
            P.HEALTH_FEED_MANAGE,
            P.TEAM_VIEW,
            P.TEAM_MANAGE,
            P.AUDIT_VIEW,
            P.SUBSCRIPTIONS_VIEW,
            P.SUBSCRIPTIONS_REQUEST_CHANGE,
            P.LICENSES_VIEW,
            P.LICENSES_ASSIGN,
        }
    ),
    Role.USER_ADMIN: frozenset(
        {
            P.GROUPS_MANAGE,
            P.DOMAINS_VIEW,
            P.SIGNINS_VIEW,
            P.ADMIN_CENTER,
            P.RELATIONSHIPS_VIEW,
            P.TEAM_VIEW,
            P.TEAM_MANAGE,
            P.SUBSCRIPTIONS_VIEW,
            P.LICENSES_VIEW,
        }
    ),
    Role.LICENCE_ADMIN: frozenset(
        {P.ADMIN_CENTER, P.TEAM_VIEW, P.SUBSCRIPTIONS_VIEW, P.LICENSES_VIEW, P.LICENSES_ASSIGN}
    ),
    Role.SERVICE_SUPPORT_ADMIN: frozenset(
        {P.SUPPORT_REQUESTS, P.ADMIN_CENTER, P.HEALTH_VIEW, P.MESSAGES_VIEW}
    ),
    Role.MESSAGE_CENTER_READER: frozenset({P.ADMIN_CENTER, P.MESSAGES_VIEW}),
    Role.PRIVACY_READER: frozenset({P.ADMIN_CENTER, P.MESSAGES_VIEW, P.MESSAGES_PRIVACY}),
    Role.USER: frozenset(),
}

# Held by a customer's own admins only, never through delegation: a partner cannot approve its own
# access, nor widen it, nor point the customer's sign-in at an identity provider it controls; nor
# register an app in the customer's tenant, which would outlive the relationship.
NOT_DELEGABLE: frozenset[Permission] = frozenset(
    {P.RELATIONSHIPS_MANAGE, P.SSO_MANAGE, P.APPS_VIEW, P.APPS_MANAGE}
)

# A suspended partner keeps read access to its customers but cannot sell.
LOST_WHILE_SUSPENDED: frozenset[Permission] = frozenset(
    {P.CUSTOMERS_CREATE, P.SUBSCRIPTIONS_CHANGE, P.RELATIONSHIPS_REQUEST}
)


def permissions_for(roles: frozenset[Role] | set[Role]) -> frozenset[Permission]:
    """Return the union of the permissions the given roles grant."""
    granted: set[Permission] = set()
    for role in roles:
        granted |= ROLE_PERMISSIONS[role]
    return frozenset(granted)


class TokenScope(StrEnum):
    """What a personal API token or an OAuth app may do; a token without scopes may do all its user may.

    `read` limits a token to reading (GET, HEAD); each area scope limits it to the operations of that
    area's API. Scopes only narrow: they never grant a permission the user's roles do not. The one
    exception is `entitlements`, for OAuth apps of the operator only (`app_permissions`).
    """

    READ = "read"
    SUPPORT = "support"
    SUBSCRIPTIONS = "subscriptions"
    DIRECTORY = "directory"
    HEALTH = "health"
    CATALOG = "catalog"
    TENANCY = "tenancy"
    AUDIT = "audit"
    # The entitlement check for the operator's services: an area of its own (ADR 0012).
    ENTITLEMENTS = "entitlements"
    WEBHOOKS = "webhooks"


TOKEN_SCOPE_LABELS: dict[TokenScope, StrOrPromise] = {
    TokenScope.READ: _("Read only"),
    TokenScope.SUPPORT: _("Support"),
    TokenScope.SUBSCRIPTIONS: _("Subscriptions and licences"),
    TokenScope.DIRECTORY: _("Directory (users, groups, domains)"),
    TokenScope.HEALTH: _("Service health and Message center"),
    TokenScope.CATALOG: _("Catalog"),
    TokenScope.TENANCY: _("Partners, customers and relationships"),
    TokenScope.AUDIT: _("Audit log"),
    TokenScope.ENTITLEMENTS: _("Entitlement checks (the operator's services)"),
    TokenScope.WEBHOOKS: _("Webhook endpoints"),
}

# The area scopes: every scope but `read` names the area whose API operations it admits.
AREA_SCOPES: frozenset[TokenScope] = frozenset(TokenScope) - {TokenScope.READ}

# What a personal token may be narrowed to: a person never holds the entitlement check.
PERSONAL_TOKEN_SCOPES: tuple[TokenScope, ...] = tuple(s for s in TokenScope if s != TokenScope.ENTITLEMENTS)

# An OAuth app has no user and no roles of its own (ADR 0012). It acts with its organization's admin
# role, narrowed by its scopes in the one wrapper, exactly as a scoped personal token of that admin.
APP_ROLES: dict[OrgKind, Role] = {
    OrgKind.OPERATOR: Role.OPERATOR_ADMIN,
    OrgKind.PARTNER: Role.PARTNER_GLOBAL_ADMIN,
    OrgKind.CUSTOMER: Role.GLOBAL_ADMIN,
}

# What an app may never do, whatever its scopes: manage apps or people's tokens (an app must not make
# a wider credential than itself).
NOT_FOR_APPS: frozenset[Permission] = frozenset({P.APPS_VIEW, P.APPS_MANAGE, P.TOKENS_MANAGE})


def app_scopes_for(kind: OrgKind) -> tuple[TokenScope, ...]:
    """The scopes an app of this kind of organization may be registered with."""
    if kind == OrgKind.OPERATOR:
        return tuple(TokenScope)
    return PERSONAL_TOKEN_SCOPES


def app_permissions(kind: OrgKind, scopes: frozenset[TokenScope]) -> frozenset[Permission]:
    """The permissions of an app of this kind of organization: its admin role's, less NOT_FOR_APPS.

    The operator's app with the `entitlements` scope also holds the entitlement check, which no role has.
    """
    granted = ROLE_PERMISSIONS[APP_ROLES[kind]] - NOT_FOR_APPS
    if kind == OrgKind.OPERATOR and TokenScope.ENTITLEMENTS in scopes:
        granted |= {P.ENTITLEMENTS_CHECK}
    return granted
