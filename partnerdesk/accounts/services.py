"""Users, roles, passwords and API tokens."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from partnerdesk.access.permissions import ROLES_BY_KIND, OrgKind, Role
from partnerdesk.access.principal import Principal
from partnerdesk.accounts import sessions
from partnerdesk.accounts.models import API_TOKEN_PREFIX, ApiToken, RoleAssignment, User, hash_token
from partnerdesk.audit import services as audit
from partnerdesk.directory import signins
from partnerdesk.errors import Conflict, DomainError, Forbidden
from partnerdesk.etags import next_version
from partnerdesk.tenancy.models import Organization

PROFILE_FIELDS = ["job_title", "department", "usage_location", "phone"]

_PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def generate_temporary_password() -> str:
    """Return a 16-character password without look-alike characters, to be read off a screen."""
    return "".join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(16))


@dataclass(frozen=True)
class NewUser:
    """A created user and the temporary password to show once."""

    user: User
    temporary_password: str


def _validate_roles(organization: Organization, roles: list[Role] | list[str]) -> list[Role]:
    allowed = ROLES_BY_KIND[OrgKind(organization.kind)]
    checked: list[Role] = []
    for raw in roles:
        try:
            role = Role(raw)
        except ValueError:
            raise DomainError(_("Unknown role: %(role)s.") % {"role": raw}, code="invalid_role") from None
        if role not in allowed:
            raise DomainError(
                _("The role %(role)s does not exist in this kind of organization.") % {"role": raw},
                code="invalid_role",
            )
        checked.append(role)
    if not checked:
        raise DomainError(_("Choose at least one role."), code="invalid_role")
    return sorted(set(checked))


def create_user(
    principal: Principal | None,
    *,
    organization: Organization,
    email: str,
    display_name: str,
    roles: list[Role] | list[str],
    profile: dict[str, str] | None = None,
) -> NewUser:
    """Create a user with a temporary password that must be changed at first sign-in.

    `principal` is None only for the console command that creates the first operator admin.
    `profile` sets directory fields (job_title, department, usage_location, phone).
    Runs in the caller's transaction when there is one.
    """
    profile = {k: v for k, v in (profile or {}).items() if k in PROFILE_FIELDS}
    email = User.objects.normalize_email(email.strip()).lower()
    checked_roles = _validate_roles(organization, roles)
    password = generate_temporary_password()
    with transaction.atomic():
        if User.objects.filter(email__iexact=email).exists():
            raise Conflict(_("A user with this e-mail already exists."), code="email_taken")
        user = User(
            email=email, display_name=display_name.strip() or email, organization=organization, **profile
        )
        user.set_password(password)
        user.must_change_password = True
        try:
            with transaction.atomic():
                user.save(force_insert=True)
        except IntegrityError:
            raise Conflict(_("A user with this e-mail already exists."), code="email_taken") from None
        RoleAssignment.objects.bulk_create([RoleAssignment(user=user, role=r) for r in checked_roles])
        audit.record(
            principal,
            action="user.created",
            target=user,
            organization=organization,
            after={
                "email": email,
                "display_name": user.display_name,
                "roles": list(checked_roles),
                **{k: v for k, v in profile.items() if v},
            },
            channel=None if principal else "job",
        )
    return NewUser(user=user, temporary_password=password)


def set_roles(principal: Principal, user: User, roles: list[Role] | list[str]) -> None:
    """Replace a user's roles; nobody can remove their own last admin role by accident."""
    checked = _validate_roles(user.organization, roles)
    with transaction.atomic():
        before = sorted(RoleAssignment.objects.filter(user=user).values_list("role", flat=True))
        if user.pk == principal.user.pk and not set(before) <= set(checked):
            raise Forbidden(_("You cannot remove your own roles."), code="cannot_change_own_roles")
        RoleAssignment.objects.filter(user=user).exclude(role__in=checked).delete()
        RoleAssignment.objects.bulk_create(
            [RoleAssignment(user=user, role=r) for r in checked], ignore_conflicts=True
        )
        audit.record(
            principal,
            action="user.roles_changed",
            target=user,
            organization=user.organization,
            before={"roles": before},
            after={"roles": list(checked)},
        )


def set_blocked(principal: Principal, user: User, *, blocked: bool, reason: str = "") -> None:
    """Block or unblock sign-in; a blocked user's sessions and tokens stop working at once."""
    if user.pk == principal.user.pk and blocked:
        raise Forbidden(_("You cannot block yourself."), code="cannot_block_self")
    with transaction.atomic():
        changed = (
            User.objects.filter(pk=user.pk)
            .exclude(blocked=blocked)
            .update(blocked=blocked, version=next_version())
        )
        if changed and blocked:
            sessions.end_every_session(user)
        if changed:
            audit.record(
                principal,
                action="user.blocked" if blocked else "user.unblocked",
                target=user,
                organization=user.organization,
                before={"blocked": not blocked},
                after={"blocked": blocked},
                reason=reason,
            )
    user.blocked = blocked


def validate_new_password(user: User, password: str) -> None:
    """Apply the install's password validators, then the user's organization's policy."""
    try:
        password_validation.validate_password(password, user)
    except ValidationError as error:
        raise DomainError(" ".join(error.messages), code="password_invalid") from None
    signins.check_password_policy(user, password)


def change_password(user: User, *, current_password: str, new_password: str, channel: str = "web") -> None:
    """Change a password knowing the current one; clears the temporary-password flag."""
    if not user.check_password(current_password):
        raise Forbidden(_("The current password is not correct."), code="invalid_credentials")
    if current_password == new_password:
        raise DomainError(_("Choose a password different from the current one."), code="password_invalid")
    validate_new_password(user, new_password)
    _store_password(user, new_password, action="user.password_changed", channel=channel)


def reset_password(user: User, *, new_password: str) -> None:
    """Set a password from an e-mailed reset link."""
    validate_new_password(user, new_password)
    _store_password(user, new_password, action="user.password_reset", channel="web")


def _store_password(user: User, password: str, *, action: str, channel: str) -> None:
    from partnerdesk.access.principal import principal_for

    with transaction.atomic():
        user.set_password(password)
        user.must_change_password = False
        user.password_changed_at = timezone.now()
        user.failed_sign_ins = 0
        user.locked_until = None
        user.save(
            update_fields=[
                "password",
                "must_change_password",
                "password_changed_at",
                "failed_sign_ins",
                "locked_until",
            ]
        )
        # The old password's sessions end with it; the web's password change signs in again after.
        sessions.end_every_session(user)
        audit.record(
            principal_for(user, channel=channel),
            action=action,
            target=user,
            organization=user.organization,
        )


def authenticate(email: str, password: str, *, channel: str = "web", ip_address: str = "") -> User:
    """Return the user with this e-mail and password, or raise (the same error for both mistakes).

    Applies the organization's sign-in policy (lockout after failures; a password that no longer
    meets the policy must be changed) and writes the attempt to its sign-in log.
    """
    user = (
        User.objects.select_related("organization")
        .filter(email__iexact=email.strip(), deleted_at__isnull=True)
        .first()
    )
    if user is None:
        # Hash anyway so a wrong e-mail takes as long as a wrong password.
        User().set_password(password)
        raise Forbidden(_("The e-mail or password is not correct."), code="invalid_credentials", status=401)
    signins.refuse_if_locked(user, channel=channel, ip_address=ip_address)
    if not user.check_password(password):
        signins.count_failure(user, channel=channel, ip_address=ip_address)
        raise Forbidden(_("The e-mail or password is not correct."), code="invalid_credentials", status=401)
    if user.blocked:
        signins.log(user, "blocked", reason="sign_in_blocked", channel=channel, ip_address=ip_address)
        raise Forbidden(_("Sign-in is blocked for this account."), code="account_blocked")
    signins.accept(user, password, channel=channel, ip_address=ip_address)
    return user


@dataclass(frozen=True)
class NewToken:
    token: ApiToken
    raw: str


def create_token(principal: Principal, *, name: str) -> NewToken:
    """Create an API token for the principal's own user; the raw value is shown once."""
    raw = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=principal.user,
            name=name.strip()[:100] or _("API token"),
            prefix=raw[:10],
            token_hash=hash_token(raw),
        )
        audit.record(
            principal,
            action="api_token.created",
            target=token,
            organization=principal.home_organization,
            after={"name": token.name, "prefix": token.prefix},
        )
    return NewToken(token=token, raw=raw)


def revoke_token(principal: Principal, token: ApiToken) -> None:
    with transaction.atomic():
        changed = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now(), version=next_version()
        )
        if changed:
            audit.record(
                principal,
                action="api_token.revoked",
                target=token,
                organization=principal.home_organization,
            )


def user_for_token(raw: str) -> User | None:
    """Return the active user behind a bearer token, or None; records when the token was last used."""
    if not raw.startswith(API_TOKEN_PREFIX):
        return None
    token = (
        ApiToken.objects.select_related("user__organization")
        .filter(token_hash=hash_token(raw), revoked_at__isnull=True)
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        # Written at most once a minute so a busy script does not turn every read into a write.
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
