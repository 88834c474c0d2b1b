"""API of the customer directory: users, groups, domains, organization settings, sign-ins.

Every operation acts in the caller's tenant. A partner agent administers a customer by sending
`X-On-Behalf-Of: <customer id>` with its own token; the delegated roles of the active relationship
decide what it may do, and the audit log records it as on behalf of the customer.
"""

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import File, Router, Status
from ninja.files import UploadedFile
from pydantic import Field

from partnerdesk import etags
from partnerdesk.access import policy
from partnerdesk.access.permissions import Permission, Role
from partnerdesk.access.principal import Principal
from partnerdesk.accounts.models import RoleAssignment, User
from partnerdesk.api import ERRORS, ErrorOut, Out, PageOut, principal_of, requires
from partnerdesk.directory import domains, groups, organization, queries, signins, users
from partnerdesk.directory import rules as directory_rules
from partnerdesk.directory.inputs import (
    DomainIn,
    GroupIn,
    MemberIn,
    OrganizationPatch,
    ResetIn,
    RolesIn,
    UserIn,
    UserPatch,
)
from partnerdesk.directory.models import (
    DeletedUser,
    Domain,
    Group,
    GroupMembership,
    SecuritySettings,
    SignInEvent,
)
from partnerdesk.edge import FORM_CONTENT_TYPES, invalid
from partnerdesk.errors import DomainError
from partnerdesk.pagination import paginate
from partnerdesk.tenancy.models import Organization

router = Router(tags=["directory"])
P = Permission


# --- Schemas ---------------------------------------------------------------------------------


class UserOut(Out):
    id: uuid.UUID
    user_principal_name: str
    display_name: str
    job_title: str
    department: str
    usage_location: str
    phone: str
    blocked: bool
    must_change_password: bool
    admin_roles: list[str]
    created_at: datetime
    deleted_at: datetime | None


class UserCreatedOut(UserOut):
    temporary_password: str


class ResetOut(Out):
    temporary_password: str = Field(description="Empty when the password was e-mailed")
    mailed_to: str


class ImportRowOut(Out):
    line: int
    user_principal_name: str
    status: str = Field(description="created, exists or failed")
    reason: str
    temporary_password: str


class ImportOut(Out):
    created: int
    existing: int
    failed: int
    rows: list[ImportRowOut]


class GroupOut(Out):
    id: uuid.UUID
    name: str
    description: str
    created_at: datetime


class MemberOut(Out):
    user_id: uuid.UUID
    user_principal_name: str
    display_name: str
    role: str


class DnsRecord(Out):
    type: str
    name: str
    value: str
    ttl: int


class DomainOut(Out):
    name: str
    status: str = Field(description="unverified or verified")
    is_default: bool
    is_initial: bool
    verification_record: DnsRecord | None = Field(description="The TXT record to publish (unverified only)")
    verified_at: datetime | None


class OrganizationOut(Out):
    id: uuid.UUID
    name: str
    initial_domain: str
    default_domain: str
    address: str
    country: str
    contact_email: str
    phone: str
    language: str
    time_zone: str
    technical_contact_name: str
    password_min_length: int
    password_expiry_days: int
    lockout_threshold: int
    lockout_minutes: int
    release_preference: str


class SignInOut(Out):
    id: int
    at: datetime
    user_principal_name: str
    result: str = Field(description="success, failure, blocked or locked")
    reason: str
    channel: str
    ip_address: str
    method: str = Field(description="password, or sso (the organization's identity provider)")


# --- Helpers ---------------------------------------------------------------------------------


def _admin_roles(users: Sequence[User] | Sequence[Any]) -> dict[Any, list[str]]:
    """The admin roles of `users` (or of their ids), one query."""
    roles: dict[Any, list[str]] = {}
    ids = [getattr(u, "pk", u) for u in users]
    rows = RoleAssignment.objects.filter(user__in=ids)  # unscoped: users already visible
    for user_id, role in rows.values_list("user_id", "role"):
        if role != Role.USER:
            roles.setdefault(user_id, []).append(role)
    return roles


def _user_out(user: User, roles: list[str] | None = None) -> dict[str, Any]:
    if roles is None:
        roles = _admin_roles([user]).get(user.pk, [])
    return {
        **{f: getattr(user, f) for f in ["id", "display_name", *users.USER_FIELDS[1:]]},
        "user_principal_name": user.email,
        "blocked": user.blocked,
        "must_change_password": user.must_change_password,
        "admin_roles": sorted(roles),
        "created_at": user.created_at,
        "deleted_at": user.deleted_at,
    }


def _user_row_out(row: dict[str, Any], roles: list[str]) -> dict[str, Any]:
    """`_user_out` of a users-list row (`queries.user_rows`)."""
    return {
        **{f: row[f] for f in ["id", "display_name", *users.USER_FIELDS[1:]]},
        "user_principal_name": row["email"],
        "blocked": row["blocked"],
        "must_change_password": row["must_change_password"],
        "admin_roles": sorted(roles),
        "created_at": row["created_at"],
        "deleted_at": row["deleted_at"],
    }


def _tenant_principal(request: HttpRequest) -> Principal:
    principal = principal_of(request)
    organization.tenant_of(principal)
    return principal


def _user(principal: Principal, user_id: str) -> User:
    return policy.get_visible(principal, User, pk=user_id)


def _domain_out(domain: Domain) -> dict[str, Any]:
    return {
        "name": domain.name,
        "status": domain.status,
        "is_default": domain.is_default,
        "is_initial": False,
        "verification_record": None
        if domain.is_verified
        else {"type": "TXT", "name": domain.name, "value": domain.txt_record, "ttl": 3600},
        "verified_at": domain.verified_at,
    }


def _organization_out(principal: Principal) -> dict[str, Any]:
    tenant = principal.organization
    security = signins.security_settings(tenant)
    return {
        "id": tenant.pk,
        "name": tenant.name,
        "initial_domain": tenant.initial_domain or "",
        "default_domain": domains.default_domain(tenant),
        **{f: getattr(tenant, f) for f in organization.PROFILE_FIELDS if f != "name"},
        **{f: getattr(security, f) for f in organization.SECURITY_FIELDS},
    }


# --- Users -----------------------------------------------------------------------------------


@router.get(
    "/users",
    response={200: PageOut[UserOut], 403: ErrorOut},
    summary="List the tenant's users",
    description=(
        "Every directory operation acts in the caller's tenant. A partner agent acts for a customer "
        "by sending `X-On-Behalf-Of: <customer id>`; its delegated roles decide what it may do and "
        "the customer's audit log records it as on behalf."
    ),
)
@requires(directory_rules.TEAM_VIEW)
def list_users(
    request: HttpRequest,
    q: str = "",
    role: str = "",
    blocked: Literal["", "yes", "no"] = "",
    licensed: Literal["", "yes", "no"] = "",
    domain: str = "",
    group: str = "",
    limit: int | None = None,
    cursor: str | None = None,
) -> dict[str, Any]:
    principal = _tenant_principal(request)
    filters = queries.UserFilters(
        q=q, role=role, blocked=blocked, licensed=licensed, domain=domain, group=group
    )
    page = queries.user_rows(principal, filters, cursor=cursor, limit=limit)
    roles = _admin_roles([row["id"] for row in page.items])
    return page.answer(lambda row: _user_row_out(row, roles.get(row["id"], [])))


@router.post(
    "/users", response={201: UserCreatedOut, **ERRORS}, summary="Create a user (temporary password once)"
)
@requires(directory_rules.TEAM_MANAGE)
def create_user(request: HttpRequest, payload: UserIn) -> Status:
    principal = _tenant_principal(request)
    new = users.create_user(principal, payload)
    return Status(201, {**_user_out(new.user), "temporary_password": new.temporary_password})


@router.post(
    "/users/import",
    response={200: ImportOut, **ERRORS},
    summary="Create users from CSV (text/csv body or a multipart `file`); safe to re-run",
    description="Columns: "
    + ", ".join(users.CSV_COLUMNS)
    + ". A row whose user exists is reported as `exists`.",
)
@requires(directory_rules.TEAM_MANAGE)
def import_users(request: HttpRequest, file: UploadedFile | None = File(None)) -> dict[str, Any]:  # noqa: B008
    principal = _tenant_principal(request)
    if file is None and request.content_type in FORM_CONTENT_TYPES:
        # A form without a file part (a plain field named `file`): its body was read as the form.
        raise invalid("file", _("expected a file upload"))
    raw = file.read() if file is not None else request.body
    try:
        content = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DomainError(_("The file is not UTF-8 text."), code="invalid_csv") from None
    report = users.import_users(principal, content)
    return {
        "created": report.created,
        "existing": report.existing,
        "failed": report.failed,
        "rows": [row.__dict__ for row in report.rows],
    }


@router.get("/deleted-users", response={200: PageOut[UserOut], 403: ErrorOut}, summary="Soft-deleted users")
@requires(directory_rules.TEAM_VIEW)
def list_deleted_users(
    request: HttpRequest, limit: int | None = None, cursor: str | None = None
) -> dict[str, Any]:
    principal = _tenant_principal(request)
    page = paginate(
        policy.visible(principal, DeletedUser), ordering=["-deleted_at", "id"], cursor=cursor, limit=limit
    )
    roles = _admin_roles(page.items)
    return page.answer(lambda u: _user_out(u, roles.get(u.pk, [])))


@router.get("/users/{user_id}", response={200: UserOut, **ERRORS}, summary="One user")
@requires(directory_rules.TEAM_VIEW)
def get_user(request: HttpRequest, user_id: str, response: HttpResponse) -> dict[str, Any]:
    principal = _tenant_principal(request)
    user = _user(principal, user_id)
    etags.tag(response, user)
    return _user_out(user)


@router.patch("/users/{user_id}", response={200: UserOut, **ERRORS}, summary="Edit, block or unblock a user")
@requires(directory_rules.TEAM_MANAGE)
def update_user(
    request: HttpRequest, user_id: str, payload: UserPatch, response: HttpResponse
) -> dict[str, Any]:
    principal = _tenant_principal(request)
    user = _user(principal, user_id)
    changes = payload.model_dump(exclude_unset=True, exclude={"blocked", "must_change_password"})
    # One PATCH: all of it or, when a part is refused (or If-Match is stale), none of it.
    with etags.guarded(etags.if_match(request), user):
        user = users.update_user(principal, user, changes)
        if payload.blocked is not None:
            users.set_blocked(principal, user, blocked=payload.blocked)
        if payload.must_change_password:
            users.require_password_change(principal, user)
    fresh = _user(principal, user_id)
    etags.tag(response, fresh)
    return _user_out(fresh)


@router.delete(
    "/users/{user_id}", response={204: None, **ERRORS}, summary="Delete a user (restorable for 30 days)"
)
@requires(directory_rules.TEAM_MANAGE)
def delete_user(request: HttpRequest, user_id: str) -> Status:
    principal = _tenant_principal(request)
    user = _user(principal, user_id)
    with etags.guarded(etags.if_match(request), user):
        users.delete_user(principal, user)
    return Status(204, None)


@router.post("/users/{user_id}/restore", response={200: UserOut, **ERRORS}, summary="Restore a deleted user")
@requires(directory_rules.TEAM_MANAGE)
def restore_user(request: HttpRequest, user_id: str) -> dict[str, Any]:
    principal = _tenant_principal(request)
    user = policy.get_visible(principal, DeletedUser, pk=user_id)
    users.restore_user(principal, user)
    return _user_out(_user(principal, user_id))


@router.post(
    "/users/{user_id}/reset-password",
    response={200: ResetOut, **ERRORS},
    summary="Give a user a temporary password (returned once, or e-mailed)",
)
@requires(directory_rules.TEAM_MANAGE)
def reset_password(request: HttpRequest, user_id: str, payload: ResetIn) -> dict[str, Any]:
    principal = _tenant_principal(request)
    reset = users.reset_password(principal, _user(principal, user_id), send_to=payload.send_to or "")
    return {"temporary_password": reset.temporary_password, "mailed_to": reset.mailed_to}


@router.post("/users/{user_id}/roles", response={200: UserOut, **ERRORS}, summary="Set a user's admin roles")
@requires(directory_rules.ROLES_ASSIGN)
def set_roles(request: HttpRequest, user_id: str, payload: RolesIn) -> dict[str, Any]:
    principal = _tenant_principal(request)
    user = _user(principal, user_id)
    users.set_admin_roles(principal, user, payload.admin_roles)
    return _user_out(user)


# --- Groups ----------------------------------------------------------------------------------


@router.get("/groups", response={200: PageOut[GroupOut], 403: ErrorOut}, summary="Security groups")
@requires(directory_rules.TEAM_VIEW)
def list_groups(request: HttpRequest, limit: int | None = None, cursor: str | None = None) -> dict[str, Any]:
    principal = _tenant_principal(request)
    return paginate(
        policy.visible(principal, Group), ordering=["name", "id"], cursor=cursor, limit=limit
    ).answer()


@router.post("/groups", response={201: GroupOut, **ERRORS}, summary="Create a security group")
@requires(directory_rules.GROUPS_MANAGE)
def create_group(request: HttpRequest, payload: GroupIn) -> Status:
    group = groups.create_group(
        _tenant_principal(request), name=payload.name, description=payload.description
    )
    return Status(201, group)


@router.get("/groups/{group_id}", response={200: GroupOut, **ERRORS}, summary="One group")
@requires(directory_rules.TEAM_VIEW)
def get_group(request: HttpRequest, group_id: str, response: HttpResponse) -> Group:
    group = policy.get_visible(_tenant_principal(request), Group, pk=group_id)
    etags.tag(response, group)
    return group


@router.delete("/groups/{group_id}", response={204: None, **ERRORS}, summary="Delete a group")
@requires(directory_rules.GROUPS_MANAGE)
def delete_group(request: HttpRequest, group_id: str) -> Status:
    principal = _tenant_principal(request)
    group = policy.get_visible(principal, Group, pk=group_id)
    with etags.guarded(etags.if_match(request), group):
        groups.delete_group(principal, group)
    return Status(204, None)


def _member_out(membership: GroupMembership) -> dict[str, Any]:
    return {
        "user_id": membership.user.pk,
        "user_principal_name": membership.user.email,
        "display_name": membership.user.display_name,
        "role": membership.role,
    }


@router.get(
    "/groups/{group_id}/members",
    response={200: PageOut[MemberOut], **ERRORS},
    summary="Members and owners (members first, then owners; each in the order added)",
)
@requires(directory_rules.TEAM_VIEW)
def list_members(
    request: HttpRequest, group_id: str, limit: int | None = None, cursor: str | None = None
) -> dict[str, Any]:
    principal = _tenant_principal(request)
    group = policy.get_visible(principal, Group, pk=group_id)
    memberships = (
        policy.visible(principal, GroupMembership)
        .filter(group=group, user__deleted_at__isnull=True)
        .select_related("user")
    )
    # In the order of the index membership_group_role: a group of 100,000 users pages as fast.
    return paginate(memberships, ordering=["role", "id"], cursor=cursor, limit=limit).answer(_member_out)


@router.post(
    "/groups/{group_id}/members", response={201: MemberOut, **ERRORS}, summary="Add a member or owner"
)
@requires(directory_rules.GROUPS_MANAGE)
def add_member(request: HttpRequest, group_id: str, payload: MemberIn, response: HttpResponse) -> Status:
    principal = _tenant_principal(request)
    group = policy.get_visible(principal, Group, pk=group_id)
    user = _user(principal, str(payload.user_id))
    groups.add_member(principal, group, user, role=payload.role)
    etags.tag(response, _membership(principal, group, user, payload.role))
    return Status(
        201,
        {
            "user_id": user.pk,
            "user_principal_name": user.email,
            "display_name": user.display_name,
            "role": payload.role,
        },
    )


@router.delete(
    "/groups/{group_id}/members/{user_id}", response={204: None, **ERRORS}, summary="Remove a member or owner"
)
@requires(directory_rules.GROUPS_MANAGE)
def remove_member(
    request: HttpRequest, group_id: str, user_id: str, role: Literal["member", "owner"] = "member"
) -> Status:
    principal = _tenant_principal(request)
    group = policy.get_visible(principal, Group, pk=group_id)
    user = _user(principal, user_id)
    with etags.guarded(etags.if_match(request), _membership(principal, group, user, role)):
        groups.remove_member(principal, group, user, role=role)
    return Status(204, None)


def _membership(principal: Principal, group: Group, user: User, role: str) -> GroupMembership | None:
    """The membership a member's ETag is of (None when there is none: removing it changes nothing)."""
    return policy.visible(principal, GroupMembership).filter(group=group, user=user, role=role).first()


# --- Domains ---------------------------------------------------------------------------------


@router.get(
    "/domains",
    response={200: PageOut[DomainOut], **ERRORS},
    summary="The initial domain (first on the first page), then the custom domains by name",
)
@requires(directory_rules.DOMAINS_VIEW)
def list_domains(request: HttpRequest, limit: int | None = None, cursor: str | None = None) -> dict[str, Any]:
    principal = _tenant_principal(request)
    domains = policy.visible(principal, Domain)
    answer = paginate(domains, ordering=["name", "id"], cursor=cursor, limit=limit).answer(_domain_out)
    if not cursor:
        # The initial domain is not a row; it leads the first page, over the limit.
        initial = {
            "name": principal.organization.initial_domain,
            "status": "verified",
            "is_default": not domains.filter(is_default=True).exists(),
            "is_initial": True,
            "verification_record": None,
            "verified_at": principal.organization.created_at,
        }
        answer["items"].insert(0, initial)
    return answer


@router.post(
    "/domains",
    response={201: DomainOut, **ERRORS},
    summary="Add a domain; the answer has the TXT record to publish",
)
@requires(directory_rules.DOMAINS_MANAGE)
def add_domain(request: HttpRequest, payload: DomainIn) -> Status:
    return Status(201, _domain_out(domains.add_domain(_tenant_principal(request), payload.name)))


def _domain(principal: Principal, name: str) -> Domain:
    return policy.get_visible(principal, Domain, name=name.strip().lower().rstrip("."))


@router.get("/domains/{name}", response={200: DomainOut, **ERRORS}, summary="One custom domain")
@requires(directory_rules.DOMAINS_VIEW)
def get_domain(request: HttpRequest, name: str, response: HttpResponse) -> dict[str, Any]:
    domain = _domain(_tenant_principal(request), name)
    etags.tag(response, domain)
    return _domain_out(domain)


@router.post(
    "/domains/{name}/verify",
    response={200: DomainOut, **ERRORS},
    summary="Look the TXT record up in DNS; 400 domain_not_verified says what was found",
)
@requires(directory_rules.DOMAINS_MANAGE)
def verify_domain(request: HttpRequest, name: str) -> dict[str, Any]:
    principal = _tenant_principal(request)
    return _domain_out(domains.verify_domain(principal, _domain(principal, name)))


@router.post(
    "/domains/{name}/default", response={200: DomainOut, **ERRORS}, summary="Make a domain the default"
)
@requires(directory_rules.DOMAINS_MANAGE)
def make_default(request: HttpRequest, name: str) -> dict[str, Any]:
    principal = _tenant_principal(request)
    domain = _domain(principal, name)
    domains.set_default_domain(principal, domain)
    domain.refresh_from_db()
    return _domain_out(domain)


@router.delete("/domains/{name}", response={204: None, **ERRORS}, summary="Remove a domain no user name uses")
@requires(directory_rules.DOMAINS_MANAGE)
def remove_domain(request: HttpRequest, name: str) -> Status:
    principal = _tenant_principal(request)
    domain = _domain(principal, name)
    with etags.guarded(etags.if_match(request), domain):
        domains.remove_domain(principal, domain)
    return Status(204, None)


# --- Organization ----------------------------------------------------------------------------


@router.get(
    "/organization", response={200: OrganizationOut, 403: ErrorOut}, summary="Profile and security policy"
)
@requires(P.ADMIN_CENTER)
def get_organization(request: HttpRequest, response: HttpResponse) -> dict[str, Any]:
    principal = _tenant_principal(request)
    etags.tag(response, *_organization_rows(principal))
    return _organization_out(principal)


def _organization_rows(principal: Principal) -> tuple[Organization, SecuritySettings]:
    """The two rows the organization resource is made of: its profile and its security policy."""
    tenant = principal.organization
    return tenant, signins.security_settings(tenant)


@router.patch("/organization", response={200: OrganizationOut, **ERRORS}, summary="Change profile or policy")
@requires(directory_rules.ORGANIZATION_MANAGE)
def update_organization(
    request: HttpRequest, payload: OrganizationPatch, response: HttpResponse
) -> dict[str, Any]:
    principal = _tenant_principal(request)
    with etags.guarded(etags.if_match(request), *_organization_rows(principal)):
        organization.update_settings(principal, payload)
    principal.organization.refresh_from_db()
    etags.tag(response, *_organization_rows(principal))
    return _organization_out(principal)


# --- Sign-ins --------------------------------------------------------------------------------


@router.get(
    "/sign-ins", response={200: PageOut[SignInOut], 403: ErrorOut}, summary="The tenant's sign-in log"
)
@requires(directory_rules.SIGNINS_VIEW)
def list_sign_ins(
    request: HttpRequest,
    result: Literal["", "success", "failure", "blocked", "locked"] = "",
    user: str = "",
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int | None = None,
    cursor: str | None = None,
) -> dict[str, Any]:
    principal = _tenant_principal(request)
    events = queries.sign_ins(principal, result=result, email=user, since=since, until=until)
    return paginate(events, ordering=["-id"], cursor=cursor, limit=limit).answer(_sign_in_out)


def _sign_in_out(event: SignInEvent) -> dict[str, Any]:
    return {
        "id": event.id,
        "at": event.at,
        "user_principal_name": event.email,
        "result": event.result,
        "reason": event.reason,
        "channel": event.channel,
        "ip_address": event.ip_address,
        "method": event.method,
    }
