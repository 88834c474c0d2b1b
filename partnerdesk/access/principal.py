"""Who is asking: a user, the organization they act in, and the permissions that grants."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from django.utils.translation import gettext as _

from partnerdesk.access.permissions import (
    APP_ROLES,
    LOST_WHILE_SUSPENDED,
    NOT_DELEGABLE,
    NOT_FOR_APPS,
    OrgKind,
    Permission,
    Role,
    TokenScope,
    app_permissions,
    permissions_for,
)
from partnerdesk.access.rules import Need, Rule
from partnerdesk.errors import Forbidden

if TYPE_CHECKING:
    from django.db.models import QuerySet
    from django.http import HttpRequest

    from partnerdesk.accounts.models import User
    from partnerdesk.tenancy.models import Organization


@dataclass(frozen=True)
class ActingApp:
    """The OAuth app a principal is (integrations, ADR 0012): named in the audit log by its name."""

    id: uuid.UUID
    name: str


@dataclass(frozen=True)
class Delegation:
    """The customer a partner user asked to act for, read in the same query as the user (or after).

    `customer` is None when the id is not one of the partner's customers; `roles` are those of the
    active, unexpired relationships between them (none: no delegated access).
    """

    customer_id: uuid.UUID
    customer: Organization | None
    roles: frozenset[Role]


@dataclass(frozen=True)
class Principal:
    """A user acting in one organization: their own, or a customer's through delegated access.

    When acting on behalf, `organization` is the customer, `roles` are the delegated customer roles,
    and `home_roles` are the partner roles that allowed the user in. An OAuth app's principal has
    `app` set: its `user` is the app's stand-in (`User.is_app`), never a person.
    """

    user: User
    organization: Organization
    home_organization: Organization
    roles: frozenset[Role]
    home_roles: frozenset[Role]
    channel: str = "web"
    granted: frozenset[Permission] = field(default=frozenset())
    # The scopes of the API token the caller signed in with; None: a session, or a token without
    # scopes, which may do everything the roles allow.
    scopes: frozenset[TokenScope] | None = None
    # When the caller last verified a second factor (this browser session, or the exchange of the API
    # token with a code); None: not in this session or token (`access.freshness`).
    second_factor_at: datetime | None = None
    # The OAuth app calling (integrations, ADR 0012); None: a person.
    app: ActingApp | None = None
    # The customer the request asked to act for (`X-On-Behalf-Of`, the organization switcher), read with
    # the principal; `delegated_principal` switches to it without another query.
    delegation: Delegation | None = None

    @property
    def on_behalf_of(self) -> Organization | None:
        return self.organization if self.is_delegated else None

    @property
    def is_delegated(self) -> bool:
        return self.organization.pk != self.home_organization.pk

    @property
    def kind(self) -> OrgKind:
        return OrgKind(self.organization.kind)

    @property
    def role_label(self) -> str:
        """How the audit log names the roles used: `admin_agent as global_admin` when delegated."""
        home = "app" if self.app is not None else ",".join(sorted(self.home_roles))
        if self.is_delegated:
            return f"{home} as {','.join(sorted(self.roles))}"
        return home

    def has(self, permission: Permission | str) -> bool:
        permission = Permission(permission)
        if permission not in self.granted:
            return False
        return not (permission in LOST_WHILE_SUSPENDED and self.home_organization.is_suspended)

    def require(self, permission: Need | str, *, what: str = "service call") -> None:
        """Raise Forbidden unless this principal holds `permission` (or satisfies the named rule).

        `what` says what was attempted, for a rule whose refusal is audited.
        """
        if isinstance(permission, Rule):
            permission.require(self, what)
            return
        permission = Permission(permission)
        if permission in self.granted and permission in LOST_WHILE_SUSPENDED and not self.has(permission):
            raise Forbidden(
                _("%(partner)s is suspended: it can see its customers but cannot create customers or orders.")
                % {"partner": self.home_organization.name},
                code="partner_suspended",
            )
        if not self.has(permission):
            raise Forbidden(_("You do not have permission to do this."), code="permission_denied")

    def require_scope(self, area: str, *, writes: bool) -> None:
        """Raise Forbidden unless the token's scopes admit an operation of `area` that reads or writes.

        `area` is the app the operation belongs to (`support`, `directory`, …). A scoped token with no
        area scope reads or writes every area; with area scopes, only those. `read` refuses writes.
        """
        if self.scopes is None:
            return
        if writes and TokenScope.READ in self.scopes:
            raise Forbidden(
                _("This API token is read-only: it cannot change anything."), code="insufficient_scope"
            )
        areas = self.scopes - {TokenScope.READ}
        if areas and area not in areas:
            raise Forbidden(
                _("This API token's scopes (%(scopes)s) do not include %(area)s.")
                % {"scopes": ", ".join(sorted(areas)), "area": area},
                code="insufficient_scope",
            )


@runtime_checkable
class Caller(Protocol):
    """Whoever an API wrapper can ask: a person's Principal, or a service credential of the operator."""

    def require(self, permission: Need, *, what: str = ...) -> None: ...


def principal_of(request: HttpRequest) -> Principal:
    """The principal the route's enforcing wrapper resolved for this request (web, API and Graph).

    The wrappers set `request.principal` (the delegated one when acting for a customer); a request
    that reached a view without one is refused rather than served as nobody.
    """
    principal = getattr(request, "principal", None)
    if principal is None:
        raise Forbidden(_("You do not have permission to do this."), code="permission_denied")
    return principal


# Where principals are read from. The choke point imports no domain (ADR 0008): accounts (users and
# their role assignments) and tenancy (delegated relationships) register their readers here from their
# `AppConfig.ready`. Until they have, nobody is anybody: every principal is refused.
#
# The one query of a request (`PrincipalRow`): accounts reads the signed-in user (or a personal token's),
# their organization and roles together (`read_principals_with`; tokens through `api.resolve_tokens_with`),
# and asks tenancy's join (`read_delegations_with(..., join=)`, through `with_delegation`) to add the
# customer the request acts for and its delegated roles to the same query; integrations does the same
# for an OAuth app's access token. The plain readers (`read_roles_with`, and the delegations reader)
# serve principals made outside a request (a job, a mail, a test) or for another customer than asked.
RoleReader = Callable[["User"], Iterable[str]]
# (partner, customer id) -> the customer and the role lists of the active, unexpired relationships
# between them, or None when the id is not one of that partner's customers.
DelegationReader = Callable[
    ["Organization", "uuid.UUID | str"], "tuple[Organization, list[list[str]]] | None"
]
# (queryset, the path from its rows to the acting organization, customer id) -> the queryset, its rows
# annotated with DELEGATED_CUSTOMER (the customer, joined; None when not one of that organization's
# customers) and DELEGATED_ROLES (the role lists of their active, unexpired relationships, or None).
DelegationJoin = Callable[["QuerySet[Any]", str, uuid.UUID], "QuerySet[Any]"]
DELEGATED_CUSTOMER = "delegated_customer"
DELEGATED_ROLES = "delegated_roles"
_readers: dict[str, Any] = {}

# The header an API caller names the customer it acts for with (the web uses the switcher's session key).
ON_BEHALF_OF_HEADER = "X-On-Behalf-Of"


@dataclass(frozen=True)
class PrincipalRow:
    """What one query read of a caller: the user (their organization joined), roles, and delegation.

    `scopes` and `second_factor_at` are the credential's (a personal token's); a session has neither.
    """

    user: User
    roles: frozenset[Role]
    scopes: frozenset[TokenScope] | None = None
    second_factor_at: datetime | None = None
    delegation: Delegation | None = None


# (user id, the customer asked for or None) -> that active user's row, or None.
PrincipalReader = Callable[..., "PrincipalRow | None"]


def read_roles_with(reader: RoleReader) -> None:
    """Register how a user's own role assignments are read (accounts does, from its AppConfig)."""
    _readers["roles"] = reader


def read_delegations_with(reader: DelegationReader, *, join: DelegationJoin) -> None:
    """Register how delegated relationships are read, alone and joined to a principal's query (tenancy)."""
    _readers["delegations"] = reader
    _readers["delegation_join"] = join


def read_principals_with(reader: PrincipalReader) -> None:
    """Register how a signed-in user's principal row is read in one query (accounts does)."""
    _readers["principals"] = reader


def _reader(name: str) -> Any:
    try:
        return _readers[name]
    except KeyError:
        raise RuntimeError(
            f"no {name} reader registered with access.principal (is its app installed?)"
        ) from None


def load_roles(user: User) -> frozenset[Role]:
    roles: RoleReader = _reader("roles")
    return frozenset(Role(r) for r in roles(user))


def read_principal_row(user_id: Any, *, acting_for: uuid.UUID | None = None) -> PrincipalRow | None:
    """The row of an active user (a session's), with the delegation to `acting_for` if asked: one query."""
    reader: PrincipalReader = _reader("principals")
    return reader(user_id, acting_for=acting_for)


def customer_id_or_none(value: Any) -> uuid.UUID | None:
    """The customer id a header or the session names, or None for anything that is not a UUID."""
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value)) if value else None
    except ValueError:
        return None


def with_delegation(queryset: QuerySet[Any], organization: str, customer_id: Any) -> QuerySet[Any]:
    """Add the delegation to `customer_id` (if any) to the one query of a principal (tenancy's join).

    `organization` is the path from the queryset's rows to the acting user's or app's organization.
    """
    if customer_id is None:
        return queryset
    join: DelegationJoin = _reader("delegation_join")
    return join(queryset, organization, customer_id)


def delegation_of(row: Any, customer_id: uuid.UUID | None) -> Delegation | None:
    """The delegation `with_delegation` joined to `row`, or None when none was asked for."""
    if customer_id is None:
        return None
    customer = getattr(row, DELEGATED_CUSTOMER, None)
    role_lists = getattr(row, DELEGATED_ROLES, None) or []
    roles = frozenset(Role(r) for role_list in role_lists for r in role_list) if customer else frozenset()
    return Delegation(customer_id=customer_id, customer=customer, roles=roles)


def principal_from_row(row: PrincipalRow, *, channel: str = "web") -> Principal:
    """Return the principal of the user a query read (`PrincipalRow`), without another query."""
    return principal_for(
        row.user,
        channel=channel,
        roles=row.roles,
        second_factor_at=row.second_factor_at,
        scopes=row.scopes,
        delegation=row.delegation,
    )


def principal_for(
    user: User,
    *,
    channel: str = "web",
    roles: frozenset[Role] | None = None,
    second_factor_at: datetime | None = None,
    scopes: frozenset[TokenScope] | None = None,
    delegation: Delegation | None = None,
) -> Principal:
    """Return the principal of a user acting in their own organization (its roles read unless given)."""
    own_roles = load_roles(user) if roles is None else roles
    return Principal(
        user=user,
        organization=user.organization,
        home_organization=user.organization,
        roles=own_roles,
        home_roles=own_roles,
        channel=channel,
        granted=permissions_for(own_roles),
        scopes=scopes,
        second_factor_at=second_factor_at,
        delegation=delegation,
    )


def principal_for_app(
    app: ActingApp,
    agent: User,
    organization: Organization,
    scopes: frozenset[TokenScope],
    *,
    delegation: Delegation | None = None,
) -> Principal:
    """Return the principal of an OAuth app acting for its organization (ADR 0012).

    No roles of a person: the organization's admin role (`APP_ROLES`), its permissions less what no app
    may do (`app_permissions`), narrowed by the app's scopes in the one wrapper like a scoped token.
    """
    kind = OrgKind(organization.kind)
    roles = frozenset({APP_ROLES[kind]})
    return Principal(
        user=agent,
        organization=organization,
        home_organization=organization,
        roles=roles,
        home_roles=roles,
        channel="api",
        granted=app_permissions(kind, scopes),
        scopes=scopes,
        app=app,
        delegation=delegation,
    )


# The role an organization "as a whole" holds: what its top admins see, and no more.
TOP_ADMIN_ROLES: dict[OrgKind, Role] = {
    OrgKind.OPERATOR: Role.OPERATOR_ADMIN,
    OrgKind.PARTNER: Role.PARTNER_GLOBAL_ADMIN,
    OrgKind.CUSTOMER: Role.GLOBAL_ADMIN,
}


def organization_principal(organization: Organization) -> Principal:
    """The principal of an organization itself, as its top admin sees it, for deliveries to it.

    What an organization's webhook endpoint may receive is what this principal may see through the
    scoping rules (`access.policy`). It has no user: use it only for reading what the organization
    may see, never for a rule about a person's own rows.
    """
    roles = frozenset({TOP_ADMIN_ROLES[OrgKind(organization.kind)]})
    return Principal(
        user=None,  # type: ignore[arg-type]
        organization=organization,
        home_organization=organization,
        roles=roles,
        home_roles=roles,
        channel="webhook",
        granted=permissions_for(roles),
    )


class NoDelegatedAccess(Forbidden):
    code = "no_delegated_access"


def read_delegation(partner: Organization, customer_id: uuid.UUID | str) -> Delegation:
    """Read the delegation from `partner` to `customer_id` alone (a principal made without it)."""
    asked = customer_id_or_none(customer_id)
    delegations: DelegationReader = _reader("delegations")
    found = delegations(partner, asked) if asked is not None else None
    if found is None:
        return Delegation(customer_id=asked or uuid.UUID(int=0), customer=None, roles=frozenset())
    customer, relationships = found
    roles = frozenset(Role(r) for role_list in relationships for r in role_list)
    return Delegation(customer_id=customer.pk, customer=customer, roles=roles)


def delegated_principal(home: Principal, customer_id: uuid.UUID | str) -> Principal:
    """Return the principal of a partner user acting for a customer, from its active relationships.

    Read fresh on every request (with the principal itself when the request named the customer, else
    here), so an ended or expired relationship stops access at once.
    """
    if home.organization.kind != OrgKind.PARTNER or not home.has(Permission.DELEGATED_ADMINISTER):
        raise NoDelegatedAccess(_("Your role does not allow administering on behalf of customers."))
    asked = customer_id_or_none(customer_id)
    delegation = home.delegation
    if delegation is None or asked is None or delegation.customer_id != asked:
        delegation = read_delegation(home.organization, customer_id)
    if delegation.customer is None or not delegation.roles:
        # not one of this partner's customers (or not an id at all), or no active relationship
        raise NoDelegatedAccess(_("There is no active delegated relationship with this customer."))
    roles = delegation.roles
    return Principal(
        user=home.user,
        organization=delegation.customer,
        home_organization=home.organization,
        roles=roles,
        home_roles=home.roles,
        channel=home.channel,
        granted=permissions_for(roles) - NOT_DELEGABLE - (NOT_FOR_APPS if home.app else frozenset()),
        scopes=home.scopes,
        second_factor_at=home.second_factor_at,
        app=home.app,
    )
