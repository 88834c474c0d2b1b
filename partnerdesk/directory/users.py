"""The tenant's users: create, change, block, passwords, admin roles, soft delete, restore and purge,
and the CSV import.

The last global admin of a tenant cannot be blocked, deleted or lose the role.
"""

from __future__ import annotations

import csv
import io
import logging
import re
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import ProtectedError
from django.utils import timezone
from django.utils.translation import gettext as _

from partnerdesk.access.permissions import DELEGABLE_ROLES, Permission, Role
from partnerdesk.access.principal import Principal
from partnerdesk.accounts import services as accounts
from partnerdesk.accounts.models import RoleAssignment, User
from partnerdesk.audit import services as audit
from partnerdesk.directory.domains import clean_user_principal_name
from partnerdesk.directory.inputs import UserIn
from partnerdesk.directory.organization import tenant_of
from partnerdesk.errors import Conflict, DomainError, Forbidden
from partnerdesk.etags import next_version
from partnerdesk.notifications.services import queue_mail
from partnerdesk.subscriptions import licences
from partnerdesk.tenancy.models import Organization

P = Permission


log = logging.getLogger(__name__)


USER_FIELDS = ["display_name", "job_title", "department", "usage_location", "phone"]


def _clean_profile(changes: dict[str, Any]) -> dict[str, str]:
    cleaned = {k: str(v).strip() for k, v in changes.items() if k in USER_FIELDS and v is not None}
    if "display_name" in cleaned and not cleaned["display_name"]:
        raise DomainError(_("A display name is required."), code="display_name_required")
    location = cleaned.get("usage_location", "")
    if location:
        if not re.fullmatch(r"[A-Za-z]{2}", location):
            raise DomainError(
                _("The usage location is a two-letter country code, e.g. CN."), code="invalid_usage_location"
            )
        cleaned["usage_location"] = location.upper()
    return cleaned


def _check_roles(principal: Principal, roles: list[str] | None) -> list[Role]:
    """Admin roles asked for at creation or change; assigning any needs roles.assign."""
    wanted: list[Role] = []
    for raw in roles or []:
        try:
            role = Role(raw)
        except ValueError:
            raise DomainError(_("Unknown role: %(role)s.") % {"role": raw}, code="invalid_role") from None
        if role not in DELEGABLE_ROLES:
            raise DomainError(
                _("%(role)s is not a customer admin role.") % {"role": raw}, code="invalid_role"
            )
        wanted.append(role)
    if wanted:
        principal.require(P.ROLES_ASSIGN)
    return sorted(set(wanted))


def create_user(principal: Principal, data: UserIn) -> accounts.NewUser:
    """Create a user of the tenant with a temporary password shown once; plain users hold the `user` role."""
    principal.require(P.TEAM_MANAGE)
    tenant = tenant_of(principal)
    upn = clean_user_principal_name(tenant, data.user_principal_name)
    cleaned = _clean_profile(data.model_dump(include={*USER_FIELDS}))
    roles = _check_roles(principal, data.admin_roles) or [Role.USER]
    if User.objects.filter(email__iexact=upn, organization=tenant, deleted_at__isnull=False).exists():
        raise Conflict(
            _("A deleted user has the name %(name)s: restore it instead.") % {"name": upn},
            code="user_deleted",
        )
    return accounts.create_user(
        principal,
        organization=tenant,
        email=upn,
        display_name=cleaned.pop("display_name"),
        roles=roles,
        profile=cleaned,
    )


def update_user(principal: Principal, user: User, changes: dict[str, Any]) -> User:
    """Change a user's profile or user name; records before/after of what actually changed."""
    principal.require(P.TEAM_MANAGE)
    tenant = tenant_of(principal)
    if user.pk != principal.user.pk:
        _refuse_admin_target(principal, user)
    cleaned: dict[str, str] = _clean_profile(changes)
    if changes.get("user_principal_name") is not None:
        cleaned["email"] = clean_user_principal_name(tenant, str(changes["user_principal_name"]))
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk, organization=tenant)
        changed = {k: v for k, v in cleaned.items() if getattr(locked, k) != v}
        if not changed:
            return locked
        if (
            "email" in changed
            and User.objects.filter(email__iexact=changed["email"]).exclude(pk=user.pk).exists()
        ):
            raise Conflict(_("A user with this name already exists."), code="email_taken")
        before = audit.snapshot(locked, list(changed))
        for key, value in changed.items():
            setattr(locked, key, value)
        locked.save(update_fields=list(changed))
        audit.record(
            principal,
            action="user.updated",
            target=locked,
            organization=tenant,
            before=before,
            after=audit.snapshot(locked, list(changed)),
        )
    return locked


def _refuse_admin_target(principal: Principal, user: User) -> None:
    """Only a global admin changes an admin's sign-in, name or password: a user admin could otherwise
    reset a global admin's password and sign in as them."""
    if principal.has(P.ROLES_ASSIGN):
        return
    if RoleAssignment.objects.filter(user=user).exclude(role=Role.USER).exists():
        raise Forbidden(
            _("%(name)s is an admin: only a global admin can change their sign-in or password.")
            % {"name": user},
            code="admin_target",
        )


def _refuse_last_global_admin(user: User, message: str) -> None:
    """Keep at least one active global admin in every tenant; `message` says what was refused.

    Call inside the transaction of the change: the tenant's row is locked first, so two admins
    demoting, blocking or deleting each other at once cannot both pass the check.
    """
    Organization.objects.select_for_update().filter(pk=user.organization_id).first()
    others = (
        RoleAssignment.objects.filter(
            role=Role.GLOBAL_ADMIN,
            user__organization_id=user.organization_id,
            user__deleted_at__isnull=True,
            user__blocked=False,
        )
        .exclude(user=user)
        .exists()
    )
    is_global_admin = RoleAssignment.objects.filter(user=user, role=Role.GLOBAL_ADMIN).exists()
    if is_global_admin and not others:
        raise Conflict(
            message % {"name": user},
            code="last_global_admin",
        )


def set_blocked(principal: Principal, user: User, *, blocked: bool) -> None:
    """Block or allow sign-in; a blocked user's sessions and tokens stop working at once."""
    principal.require(P.TEAM_MANAGE)
    tenant_of(principal)
    _refuse_admin_target(principal, user)
    with transaction.atomic():
        if blocked:
            _refuse_last_global_admin(
                user, _("%(name)s is the last global admin: you cannot block their sign-in.")
            )
        accounts.set_blocked(principal, user, blocked=blocked)


@dataclass(frozen=True)
class PasswordReset:
    """A reset's outcome: the temporary password to show once, or where it was mailed."""

    user: User
    temporary_password: str
    mailed_to: str = ""


def reset_password(principal: Principal, user: User, *, send_to: str = "") -> PasswordReset:
    """Give the user a temporary password, shown once or mailed to `send_to`; to be changed at sign-in."""
    principal.require(P.TEAM_MANAGE)
    tenant = tenant_of(principal)
    if user.pk == principal.user.pk:
        raise Forbidden(_("Change your own password on your profile page."), code="cannot_reset_self")
    _refuse_admin_target(principal, user)
    password = accounts.generate_temporary_password()
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk, organization=tenant)
        locked.set_password(password)
        locked.must_change_password = True
        locked.save(update_fields=["password", "must_change_password"])
        audit.record(
            principal,
            action="user.password_reset_by_admin",
            target=locked,
            organization=tenant,
            after={"mailed_to": send_to} if send_to else None,
        )
        # The new password hash ends the user's sessions; their tokens end with it.
        accounts.revoke_all_tokens(principal, locked, reason="user.password_reset_by_admin")
        if send_to:
            queue_mail(
                to=[send_to],
                template="directory_temporary_password",
                context={"user": locked, "password": password, "organization": tenant},
                language=locked.effective_language,
                kind="temporary_password",
            )
    return PasswordReset(user=locked, temporary_password="" if send_to else password, mailed_to=send_to)


def require_password_change(principal: Principal, user: User) -> None:
    """Make the user choose a new password at their next sign-in."""
    principal.require(P.TEAM_MANAGE)
    tenant = tenant_of(principal)
    _refuse_admin_target(principal, user)
    with transaction.atomic():
        changed = User.objects.filter(pk=user.pk, must_change_password=False).update(
            must_change_password=True, version=next_version()
        )
        if changed:
            audit.record(
                principal,
                action="user.password_change_required",
                target=user,
                organization=tenant,
                after={"must_change_password": True},
            )


def set_admin_roles(principal: Principal, user: User, admin_roles: list[str]) -> None:
    """Replace a user's admin roles; a user without one keeps the plain `user` role."""
    principal.require(P.ROLES_ASSIGN)
    tenant_of(principal)
    roles = _check_roles(principal, admin_roles)
    with transaction.atomic():
        if Role.GLOBAL_ADMIN not in roles:
            _refuse_last_global_admin(
                user, _("%(name)s is the last global admin: you cannot remove that role from them.")
            )
        accounts.set_roles(principal, user, [r.value for r in roles] or [Role.USER.value])


def delete_user(principal: Principal, user: User) -> None:
    """Soft-delete: the user cannot sign in and disappears from lists; restorable until purged."""
    principal.require(P.TEAM_MANAGE)
    tenant = tenant_of(principal)
    if user.pk == principal.user.pk:
        raise Forbidden(_("You cannot delete yourself."), code="cannot_delete_self")
    _refuse_admin_target(principal, user)
    now = timezone.now()
    with transaction.atomic():
        _refuse_last_global_admin(user, _("%(name)s is the last global admin: you cannot delete them."))
        changed = User.objects.filter(pk=user.pk, organization=tenant, deleted_at__isnull=True).update(
            deleted_at=now, version=next_version()
        )
        if changed:
            audit.record(
                principal,
                action="user.deleted",
                target=user,
                organization=tenant,
                after={"deleted_at": now.isoformat(), "restorable_until": restorable_until(now).isoformat()},
            )
            user.deleted_at = now
            accounts.emit_user("user.deleted", user)
    user.deleted_at = now


def restorable_until(deleted_at: Any) -> Any:
    """When a user deleted at `deleted_at` stops being restorable (the purge job's cut-off)."""
    return deleted_at + timedelta(days=settings.DELETED_USER_RETENTION_DAYS)


def restore_user(principal: Principal, user: User) -> None:
    """Bring a soft-deleted user back with its roles, groups and password."""
    principal.require(P.TEAM_MANAGE)
    tenant = tenant_of(principal)
    with transaction.atomic():
        changed = User.objects.filter(pk=user.pk, organization=tenant, deleted_at__isnull=False).update(
            deleted_at=None, version=next_version()
        )
        if changed:
            audit.record(
                principal,
                action="user.restored",
                target=user,
                organization=tenant,
                before={"deleted_at": user.deleted_at.isoformat() if user.deleted_at else None},
            )
    user.deleted_at = None


def purge_deleted_users(*, now: Any = None, batch: int = 200) -> int:
    """Delete for good the users deleted longer ago than the retention; safe to run twice or in parallel."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.DELETED_USER_RETENTION_DAYS)
    purged = 0
    candidates = list(
        User.objects.filter(deleted_at__lt=cutoff)
        .select_related("organization")
        .order_by("deleted_at")[:batch]
    )
    for user in candidates:
        with transaction.atomic():
            # Re-checked under the delete itself: a user restored meanwhile is not purged.
            if not User.objects.select_for_update().filter(pk=user.pk, deleted_at__lt=cutoff).exists():
                continue
            audit.record(
                None,
                action="user.purged",
                target=user,
                organization=user.organization,
                before={"email": user.email, "display_name": user.display_name},
            )
            try:
                with transaction.atomic():
                    licences.release_all(user)  # each pool counts what it gives back
                    User.objects.filter(pk=user.pk).delete()
            except ProtectedError:
                # Another area still needs the row (e.g. a support request's author): stays deleted.
                log.warning("user %s is deleted but still referenced; not purged", user.pk)
                transaction.set_rollback(True)
                continue
            purged += 1
    return purged


CSV_COLUMNS = ["user_principal_name", "display_name", "job_title", "department", "usage_location", "phone"]


MAX_IMPORT_ROWS = 5000


@dataclass
class ImportRow:
    """What happened to one CSV line: created (with its temporary password), exists, or failed and why."""

    line: int
    user_principal_name: str
    status: str  # created, exists, failed
    reason: str = ""
    temporary_password: str = ""


@dataclass
class ImportReport:
    """The per-row report of one import."""

    rows: list[ImportRow] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for row in self.rows if row.status == status)

    @property
    def created(self) -> int:
        return self.count("created")

    @property
    def existing(self) -> int:
        return self.count("exists")

    @property
    def failed(self) -> int:
        return self.count("failed")


def import_users(principal: Principal, content: str) -> ImportReport:
    """Create a user per CSV row; each row is created whole or not at all, and reported.

    Re-running the same file creates nothing twice: a row whose user name already exists in the
    tenant is reported as `exists`.
    """
    principal.require(P.TEAM_MANAGE)
    tenant = tenant_of(principal)
    reader = csv.DictReader(io.StringIO(content.lstrip("\ufeff")))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in ("user_principal_name", "display_name") if c not in header]
    if missing:
        raise DomainError(
            _("The CSV file needs the columns %(columns)s; the first line must name them.")
            % {"columns": ", ".join(CSV_COLUMNS)},
            code="invalid_csv",
        )
    report = ImportReport()
    for index, raw in enumerate(reader):
        line = index + 2
        if index >= MAX_IMPORT_ROWS:
            raise DomainError(
                _("Import at most %(count)s users per file.") % {"count": MAX_IMPORT_ROWS},
                code="too_many_rows",
            )
        values = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items() if isinstance(v, str)}
        upn = values.get("user_principal_name", "")
        if not any(values.values()):
            continue
        try:
            candidate = clean_user_principal_name(tenant, upn)
        except DomainError as error:
            report.rows.append(ImportRow(line, upn, "failed", error.message))
            continue
        existing = (
            User.objects.filter(email__iexact=candidate).values_list("organization_id", "deleted_at").first()
        )
        if existing is not None and existing[0] == tenant.pk and existing[1] is None:
            report.rows.append(ImportRow(line, candidate, "exists", _("Already exists; nothing changed.")))
            continue
        try:
            with transaction.atomic():
                # A row of the file keeps the service's own checks (and their messages, per row).
                row: dict[str, Any] = {k: values.get(k, "") for k in USER_FIELDS}
                new = create_user(
                    principal,
                    UserIn.model_construct(None, user_principal_name=candidate, admin_roles=[], **row),
                )
        except DomainError as error:
            report.rows.append(ImportRow(line, candidate, "failed", error.message))
        else:
            report.rows.append(
                ImportRow(line, candidate, "created", temporary_password=new.temporary_password)
            )
    return report
