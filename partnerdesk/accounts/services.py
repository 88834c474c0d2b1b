"""Users, roles, passwords and API tokens."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import CharField, F, OuterRef, Q, QuerySet, Subquery, UUIDField
from django.utils import timezone
from django.utils.translation import gettext as _

from partnerdesk import sql
from partnerdesk.access.permissions import PERSONAL_TOKEN_SCOPES, ROLES_BY_KIND, OrgKind, Role, TokenScope
from partnerdesk.access.principal import (
    Principal,
    PrincipalRow,
    delegation_of,
    with_delegation,
)
from partnerdesk.accounts import sessions, signin_policy, single_sign_on
from partnerdesk.accounts.models import API_TOKEN_PREFIX, ApiToken, RoleAssignment, User, hash_token
from partnerdesk.audit import services as audit
from partnerdesk.errors import Conflict, DomainError, Forbidden
from partnerdesk.etags import next_version
from partnerdesk.events.services import Audience, emit
from partnerdesk.mfa import services as mfa
from partnerdesk.notifications.services import queue_mail
from partnerdesk.ratelimits import services as ratelimits
from partnerdesk.sql import PreparedFirst, Slot, json_array_of

if TYPE_CHECKING:
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
    with_password: bool = True,
    reason: str = "",
) -> NewUser:
    """Create a user with a temporary password that must be changed at first sign-in.

    `principal` is None only for the system: the console command that creates the first operator
    admin, or single sign-on creating a user just in time (`with_password=False`: the user has no
    usable password and signs in through the organization's identity provider; `reason` says so).
    `profile` sets directory fields (job_title, department, usage_location, phone).
    Runs in the caller's transaction when there is one.
    """
    profile = {k: v for k, v in (profile or {}).items() if k in PROFILE_FIELDS}
    email = User.objects.normalize_email(email.strip()).lower()
    checked_roles = _validate_roles(organization, roles)
    password = generate_temporary_password() if with_password else ""
    with transaction.atomic():
        if User.objects.filter(email__iexact=email).exists():
            raise Conflict(_("A user with this e-mail already exists."), code="email_taken")
        user = User(
            email=email, display_name=display_name.strip() or email, organization=organization, **profile
        )
        if with_password:
            user.set_password(password)
            user.must_change_password = True
        else:
            user.set_unusable_password()
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
            reason=reason,
            channel=None if principal else ("job" if with_password else "web"),
        )
        emit_user("user.created", user)
    return NewUser(user=user, temporary_password=password)


def emit_user(name: str, user: User) -> None:
    """`user.<name>` for the user's organization, its partner (for a customer's user) and the operator,
    whose services follow who may sign in."""
    organization = user.organization
    partner_id = organization.pk if organization.kind == OrgKind.PARTNER else organization.partner_id
    customer_id = organization.pk if organization.kind == OrgKind.CUSTOMER else None
    data = {
        "id": user.pk,
        "organization_id": organization.pk,
        "email": user.email,
        "blocked": user.blocked,
        "deleted": user.deleted_at is not None,
    }
    emit(name, user, data, Audience(operator=True, partner_id=partner_id, customer_id=customer_id))


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
    """Block or unblock sign-in; blocking ends the user's sessions and revokes their tokens at once.

    Ended for good, not suspended: unblocking later does not bring back a session or a token that
    someone may have stolen before the block.
    """
    if user.pk == principal.user.pk and blocked:
        raise Forbidden(_("You cannot block yourself."), code="cannot_block_self")
    with transaction.atomic():
        changes: dict[str, object] = {"blocked": blocked, "version": next_version()}
        if blocked:
            changes["session_generation"] = F("session_generation") + 1
        changed = User.objects.filter(pk=user.pk).exclude(blocked=blocked).update(**changes)
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
            emit_user("user.blocked" if blocked else "user.unblocked", user)
            if blocked:
                revoke_all_tokens(principal, user, reason="user.blocked")
    user.blocked = blocked


def reset_second_factors(principal: Principal, user: User) -> None:
    """Remove every second factor of another user of the same organization (they enrol again).

    The admin never sees the factors. Like a block, the reset ends the user's sessions and revokes
    their tokens at once: whoever used the lost factor is signed out everywhere.
    """
    if user.pk == principal.user.pk:
        raise Forbidden(
            _("Remove your own factors in your profile, not here."), code="cannot_reset_own_factors"
        )
    with transaction.atomic():
        removed = mfa.remove_every_factor(principal, user)
        User.objects.filter(pk=user.pk).update(
            session_generation=F("session_generation") + 1, version=next_version()
        )
        sessions.end_every_session(user)
        audit.record(
            principal,
            action="user.mfa_reset",
            target=user,
            organization=user.organization,
            before={"factors": removed},
        )
        revoke_all_tokens(principal, user, reason="user.mfa_reset")


def validate_new_password(user: User, password: str) -> None:
    """Apply the install's password validators, then the user's organization's policy."""
    try:
        password_validation.validate_password(password, user)
    except ValidationError as error:
        raise DomainError(" ".join(error.messages), code="password_invalid") from None
    signin_policy.current().check_password_policy(user, password)


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


def mail_password_reset(email: str) -> None:
    """Mail a reset link when the address belongs to an active user; do nothing otherwise.

    The caller says the same thing either way, so the answer does not tell whether an account exists.
    """
    from django.contrib.auth.tokens import default_token_generator
    from django.urls import reverse
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    from partnerdesk.notifications.services import queue_mail

    user = User.objects.filter(email__iexact=email, blocked=False, deleted_at__isnull=True).first()
    # Under "require SSO" nobody gets a link, and the caller says the same thing (ADR 0011).
    if user is None or not single_sign_on.current().password_allowed(user):
        return
    link = settings.SITE_URL + reverse(
        "accounts:password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    with transaction.atomic():
        queue_mail(
            to=[user.email],
            template="password_reset",
            context={"user": user, "link": link, "hours": settings.PASSWORD_RESET_TIMEOUT // 3600},
            language=user.effective_language,
            kind="password_reset",
        )


OWN_PROFILE_FIELDS = ("display_name", "language", "time_zone", "subscription_notices")


def update_own_profile(principal: Principal, changes: dict[str, Any]) -> dict[str, Any]:
    """Save the principal's own name, language, time zone and mail choices; return what changed.

    Nothing changed: nothing written, no event.
    """
    user = principal.user
    changed = {k: v for k, v in changes.items() if k in OWN_PROFILE_FIELDS and getattr(user, k) != v}
    if not changed:
        return changed
    with transaction.atomic():
        before = {k: getattr(user, k) for k in changed}
        User.objects.filter(pk=user.pk).update(**changed, version=next_version())
        audit.record(
            principal,
            action="user.profile_changed",
            target=user,
            organization=user.organization,
            before=before,
            after=changed,
        )
    for name, value in changed.items():
        setattr(user, name, value)
    return changed


def set_own_language(user: User, language: str) -> bool:
    """Keep a signed-in user's choice of interface language; return whether it changed."""
    from partnerdesk.access.principal import principal_for

    if language not in dict(settings.LANGUAGES):
        raise DomainError(_("Unknown language."), code="invalid_language")
    if user.language == language:
        return False
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(language=language, version=next_version())
        audit.record(
            principal_for(user),
            action="user.language_changed",
            target=user,
            organization=user.organization,
            after={"language": language},
        )
    user.language = language
    return True


def _store_password(user: User, password: str, *, action: str, channel: str) -> None:
    from partnerdesk.access.principal import principal_for

    with transaction.atomic():
        user.set_password(password)
        user.must_change_password = False
        user.password_changed_at = timezone.now()
        user.save(update_fields=["password", "must_change_password", "password_changed_at"])
        # The old password's sessions end with it; the web's password change signs in again after.
        sessions.end_every_session(user)
        principal = principal_for(user, channel=channel)
        audit.record(principal, action=action, target=user, organization=user.organization)
        # Tokens end with the old password too.
        revoke_all_tokens(principal, user, reason=action)


def authenticate(email: str, password: str, *, channel: str = "web", ip_address: str = "") -> User:
    """Return the user with this e-mail and password, or raise (the same error for both mistakes).

    Throttled by account and address first (429, before the account is looked up, the same for an
    unknown e-mail); the password hasher runs for an unknown e-mail too, so both mistakes take as
    long. Applies the organization's sign-in policy (a password that no longer meets it must be
    changed) and writes the attempt to its sign-in log.

    An e-mail of a domain whose organization requires single sign-on is refused before the password
    is looked at, known or not (`sso_required`); a user of such an organization with a name on another
    domain is refused as a wrong password would be (ADR 0011).
    """
    ratelimits.refuse_sign_in(email, ip_address)
    user = (
        User.objects.select_related("organization")
        .filter(email__iexact=email.strip(), deleted_at__isnull=True)
        .first()
    )
    sso = single_sign_on.current()
    sso.refuse_password(email, user)
    if user is None:
        # Hash anyway so a wrong e-mail takes as long as a wrong password.
        User().set_password(password)
    if user is None or not user.check_password(password) or not sso.password_allowed(user):
        policy = signin_policy.current()
        throttled = ratelimits.sign_in_failed(email, ip_address, pair=policy.sign_in_throttle(email, user))
        if user is not None:
            policy.count_failure(user, throttled=throttled, channel=channel, ip_address=ip_address)
        raise Forbidden(_("The e-mail or password is not correct."), code="invalid_credentials", status=401)
    if user.blocked:
        signin_policy.current().log(
            user, "blocked", reason="sign_in_blocked", channel=channel, ip_address=ip_address
        )
        raise Forbidden(_("Sign-in is blocked for this account."), code="account_blocked")
    ratelimits.sign_in_succeeded(email, ip_address)
    signin_policy.current().accept(user, password, channel=channel, ip_address=ip_address)
    sso.password_used(user)
    return user


@dataclass(frozen=True)
class NewToken:
    token: ApiToken
    raw: str


def clean_scopes(
    scopes: Iterable[str], allowed: Iterable[TokenScope] = PERSONAL_TOKEN_SCOPES
) -> list[TokenScope]:
    """Return the scopes sorted and without repeats; one unknown or not `allowed` is refused by name.

    Personal tokens by default; OAuth apps pass the scopes their kind of organization may hold.
    """
    allowed = tuple(allowed)
    cleaned: set[TokenScope] = set()
    for raw in scopes:
        if raw not in allowed:
            raise DomainError(
                _("Unknown scope: %(scope)s. Choose from %(scopes)s.")
                % {"scope": raw, "scopes": ", ".join(allowed)},
                code="invalid_scope",
            )
        cleaned.add(TokenScope(raw))
    return sorted(cleaned)


def create_token(
    principal: Principal,
    *,
    name: str,
    expires_in_days: int | None = None,
    scopes: Iterable[str] = (),
) -> NewToken:
    """Create an API token for the principal's own user; the raw value is shown once.

    It expires after `expires_in_days` (API_TOKEN_DEFAULT_DAYS when not chosen, at most
    API_TOKEN_MAX_DAYS) and is narrowed to `scopes` (none: everything the user may do). A user holds
    at most API_TOKEN_MAX_PER_USER live tokens: the user's row is locked while they are counted, so
    two creations at once cannot both take the last place.
    """
    days = settings.API_TOKEN_DEFAULT_DAYS if expires_in_days is None else expires_in_days
    if not 1 <= days <= settings.API_TOKEN_MAX_DAYS:
        raise DomainError(
            _("A token lives from 1 to %(days)s days.") % {"days": settings.API_TOKEN_MAX_DAYS},
            code="invalid_expiry",
        )
    checked_scopes = clean_scopes(scopes)
    raw = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = timezone.now()
    with transaction.atomic():
        User.objects.select_for_update().get(pk=principal.user.pk)
        if ApiToken.objects.filter(user=principal.user).live(now).count() >= settings.API_TOKEN_MAX_PER_USER:
            raise Conflict(
                _("You already have %(count)s live API tokens: revoke one you no longer use first.")
                % {"count": settings.API_TOKEN_MAX_PER_USER},
                code="too_many_tokens",
            )
        token = ApiToken.objects.create(
            user=principal.user,
            name=name.strip()[:100] or _("API token"),
            prefix=raw[:10],
            token_hash=hash_token(raw),
            created_at=now,
            expires_at=now + timedelta(days=days),
            scopes=[str(scope) for scope in checked_scopes],
            mfa_verified_at=principal.second_factor_at,
        )
        audit.record(
            principal,
            action="api_token.created",
            target=token,
            organization=principal.home_organization,
            after={
                "name": token.name,
                "prefix": token.prefix,
                "expires_at": token.expires_at.isoformat(),
                "scopes": token.scopes,
            },
        )
    return NewToken(token=token, raw=raw)


def revoke_token(principal: Principal, token: ApiToken) -> None:
    """Revoke one token: its own user's, or any of the organization's by an admin (audited as such)."""
    with transaction.atomic():
        changed = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now(), version=next_version()
        )
        if changed:
            owner = token.user
            audit.record(
                principal,
                action="api_token.revoked",
                target=token,
                organization=owner.organization,
                after=None if owner.pk == principal.user.pk else {"owner": owner.email},
            )


def revoke_all_tokens(principal: Principal | None, user: User, *, reason: str) -> int:
    """Revoke every live token of `user` in the caller's transaction, audited once with the count."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("revoke_all_tokens must run inside the transaction of the change that causes it")
    now = timezone.now()
    revoked = ApiToken.objects.filter(user=user).live(now).update(revoked_at=now, version=next_version())
    if revoked:
        audit.record(
            principal,
            action="api_token.all_revoked",
            target=user,
            organization=user.organization,
            after={"revoked": revoked},
            reason=reason,
        )
    return revoked


# A token's last use is written at most once a minute: a busy script must not turn every read into
# a write. The conditional UPDATE below lets only one of many concurrent requests write it.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def _live_token(delegated: bool) -> QuerySet[ApiToken]:
    """The live token of a hash with its user, organization, roles (and delegation): compiled once."""
    tokens = (
        ApiToken.objects.select_related("user__organization")
        .annotate(role_names=roles_of("user"))
        .live(sql.now())
        .filter(token_hash=Slot("token_hash", CharField()))
    )
    return with_delegation(
        tokens, "user__organization", Slot("acting_for", UUIDField()) if delegated else None
    )


def _active_user(delegated: bool) -> QuerySet[User]:
    """A session's user with their organization and roles (and delegation): compiled once."""
    users = User.objects.select_related("organization").annotate(role_names=roles_of("pk"))
    acting_for = Slot("acting_for", UUIDField()) if delegated else None
    return with_delegation(users, "organization", acting_for).filter(pk=Slot("user_id", UUIDField()))


# Every API call reads its token, and every page its session's user: built and compiled once.
_LIVE_TOKEN = PreparedFirst(_live_token)
_ACTIVE_USER = PreparedFirst(_active_user)


def token_for_bearer(
    raw: str, *, ip_address: str = "", acting_for: uuid.UUID | None = None
) -> PrincipalRow | None:
    """Return the principal row of the live token behind a bearer value, or None; notes its use.

    One query reads the token, its active user, their organization and roles, and the delegation to
    `acting_for` (`X-On-Behalf-Of`) if asked. Unknown, revoked and expired tokens are all None: the
    caller answers the same 401 for each.
    """
    if not raw.startswith(API_TOKEN_PREFIX):
        return None
    now = timezone.now()
    values = {"token_hash": hash_token(raw), "acting_for": acting_for}
    token = _LIVE_TOKEN.first(acting_for is not None, values=values)
    if token is None or not token.user.is_active:
        return None
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        stale = Q(last_used_at__isnull=True) | Q(last_used_at__lte=now - LAST_USED_RESOLUTION)
        ApiToken.objects.filter(stale, pk=token.pk).update(
            last_used_at=now, last_used_from=ip_address or None
        )
    return PrincipalRow(
        user=token.user,
        roles=_roles(token.role_names),
        scopes=token.scope_set,
        second_factor_at=token.mfa_verified_at,
        delegation=delegation_of(token, acting_for),
    )


def user_for_token(raw: str) -> User | None:
    """Return the active user behind a live bearer token, or None."""
    row = token_for_bearer(raw)
    return row.user if row is not None else None


def principal_row(user_id: Any, *, acting_for: uuid.UUID | None = None) -> PrincipalRow | None:
    """The active user `user_id` (a session's) with their organization, roles and delegation: one query.

    Registered into `access.principal` (apps.py); the session's user is read only this way.
    """
    user = _ACTIVE_USER.first(acting_for is not None, values={"user_id": user_id, "acting_for": acting_for})
    if user is None or not user.is_active:
        return None
    return PrincipalRow(
        user=user,
        roles=_roles(user.role_names),
        delegation=delegation_of(user, acting_for),
    )


def roles_of(user: str) -> Subquery:
    """The role names of the user at the outer row's `user` (a path), as one JSON array: a subquery."""
    return json_array_of(RoleAssignment.objects.filter(user=OuterRef(user)), "role", per="user")


def _roles(names: list[str] | None) -> frozenset[Role]:
    return frozenset(Role(name) for name in names or ())


def role_names(user: User) -> list[str]:
    """The names of the roles assigned to `user` in their own organization (read by `access.principal`
    for a principal made outside a request; a request's are read with its user, `roles_of`)."""
    return list(RoleAssignment.objects.filter(user=user).values_list("role", flat=True))


GLOBAL_ADMIN_ROLES = frozenset({Role.GLOBAL_ADMIN, Role.PARTNER_GLOBAL_ADMIN})


def notice_recipients(
    organization_ids: Iterable[Any], roles: Iterable[Role], *, critical: bool = False
) -> dict[Any, list[User]]:
    """The live users of each organization who hold one of `roles` and want subscription notices.

    One query for every organization of a batch. A critical notice (its data is about to be deleted)
    is not optional for everyone: when no global admin of an organization would get it, all of that
    organization's global admins do, opted out or not.
    """
    wanted = set(roles)
    assignments = (
        RoleAssignment.objects.filter(
            user__organization_id__in=list(organization_ids),
            user__blocked=False,
            user__deleted_at__isnull=True,
            role__in=wanted | GLOBAL_ADMIN_ROLES,
        )
        .select_related("user", "user__organization")
        .order_by("user__email")
    )
    chosen: dict[Any, dict[Any, User]] = {}
    global_admins: dict[Any, dict[Any, User]] = {}
    for assignment in assignments:
        user = assignment.user
        if assignment.role in wanted and user.subscription_notices:
            chosen.setdefault(user.organization_id, {})[user.pk] = user
        if assignment.role in GLOBAL_ADMIN_ROLES:
            global_admins.setdefault(user.organization_id, {})[user.pk] = user
    if critical:
        for organization_id, admins in global_admins.items():
            people = chosen.setdefault(organization_id, {})
            if not any(pk in people for pk in admins):
                people.update(admins)
    return {
        organization_id: sorted(people.values(), key=lambda user: user.email)
        for organization_id, people in chosen.items()
    }


def queue_notice(people: Iterable[User], *, template: str, context: dict[str, Any], kind: str) -> int:
    """Queue one mail to each person, in their language and with times in their time zone.

    Call inside the transaction that claimed the notice; return how many mails were queued.
    """
    queued = 0
    for person in people:
        queue_mail(
            to=[person.email],
            template=template,
            context={"name": person.display_name, **context},
            language=person.effective_language,
            time_zone=person.effective_time_zone,
            kind=kind,
        )
        queued += 1
    return queued
