"""People who sign in, the roles they hold, and their API tokens."""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.db import models
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from partnerdesk.access.permissions import ROLE_LABELS, TokenScope
from partnerdesk.etags import Versioned


class UserManager(BaseUserManager["User"]):
    def get_by_natural_key(self, username: str | None) -> User:
        return self.get(email__iexact=username or "")


class User(Versioned, AbstractBaseUser):
    """A person who signs in by e-mail and password; belongs to exactly one organization."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    email = models.EmailField(_("e-mail"), unique=True)
    display_name = models.CharField(_("display name"), max_length=200)
    organization = models.ForeignKey("tenancy.Organization", on_delete=models.PROTECT, related_name="users")
    blocked = models.BooleanField(_("sign-in blocked"), default=False)
    must_change_password = models.BooleanField(default=False)
    language = models.CharField(_("language"), max_length=10, blank=True)
    time_zone = models.CharField(_("time zone"), max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # Customer directory profile (the admin center's user page).
    job_title = models.CharField(_("job title"), max_length=100, blank=True)
    department = models.CharField(_("department"), max_length=100, blank=True)
    usage_location = models.CharField(
        _("usage location"), max_length=2, blank=True, help_text=_("Two-letter country code")
    )
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    # Soft delete: the user cannot sign in, is hidden from lists, and is purged after the restore window.
    deleted_at = models.DateTimeField(null=True, blank=True)
    # Security policy bookkeeping: password age for expiry.
    password_changed_at = models.DateTimeField(null=True, blank=True)
    # Unused since sign-in is throttled by account and address (`ratelimits`, ADR 0009); the columns
    # go in a later migration of this app, so branches that add accounts migrations meanwhile merge.
    failed_sign_ins = models.PositiveIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)
    # Raised to end every session of the user at once (blocking): it is part of the session hash.
    session_generation = models.PositiveIntegerField(default=0)
    # The stand-in of an OAuth app (integrations, ADR 0012): what the app writes names it, but it is
    # nobody. It never signs in (blocked, no usable password) and no list of people shows it.
    is_app = models.BooleanField(default=False, editable=False)
    # Lifecycle mails: renewals, expiries, suspensions, data deletion, expiring partner relationships.
    # Data deletion warnings still reach an organization's global admins if all of them opted out.
    subscription_notices = models.BooleanField(_("subscription notices by e-mail"), default=True)

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["display_name"]

    objects = UserManager()
    bookkeeping_fields = frozenset({"last_login"})

    class Meta:
        indexes = [
            models.Index(fields=["organization", "display_name", "id"], name="user_org_name"),
            # The admin center's user list: live users of one tenant by name, keyset-paginated.
            models.Index(
                fields=["organization", "display_name", "id"],
                condition=models.Q(deleted_at__isnull=True),
                name="user_org_live_name",
            ),
            models.Index(
                fields=["organization", "deleted_at"],
                condition=models.Q(deleted_at__isnull=False),
                name="user_org_deleted",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name or self.email

    def _get_session_auth_hash(self, secret: str | None = None) -> str:
        """Django's hash of the password, which a session must match; a new generation ends them all.

        Generation 0 (every user until their first block) hashes the password alone, exactly as
        Django does, so sessions opened before the generation existed stay valid.
        """
        value = f"{self.password}:{self.session_generation}" if self.session_generation else self.password
        key_salt = "django.contrib.auth.models.AbstractBaseUser.get_session_auth_hash"
        return salted_hmac(key_salt, value, secret=secret, algorithm="sha256").hexdigest()

    @property
    def is_active(self) -> bool:  # type: ignore[override]
        """Django's auth treats inactive users as unable to sign in; blocked is our word for it."""
        return not self.blocked and self.deleted_at is None

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def user_principal_name(self) -> str:
        """The sign-in name, `local@domain`; in Partnerdesk it is the e-mail address."""
        return self.email

    @property
    def effective_time_zone(self) -> str:
        return self.time_zone or self.organization.time_zone or "UTC"

    @property
    def effective_language(self) -> str:
        return self.language or self.organization.language or "en"


class RoleAssignment(models.Model):
    """One role held by one user; the role must belong to the user's kind of organization."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="role_assignments")
    role = models.CharField(max_length=40, choices=[(r.value, label) for r, label in ROLE_LABELS.items()])

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "role"], name="one_assignment_per_role")]
        indexes = [models.Index(fields=["role", "user"], name="role_user")]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.role}"


API_TOKEN_PREFIX = "pd_"


def hash_token(raw: str) -> str:
    """Tokens are long random strings, so one round of SHA-256 is enough to make a leaked table useless."""
    return hashlib.sha256(raw.encode()).hexdigest()


def default_token_expiry() -> datetime:
    """When a token made now expires unless its creator chose: API_TOKEN_DEFAULT_DAYS from now."""
    return timezone.now() + timedelta(days=settings.API_TOKEN_DEFAULT_DAYS)


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def live(self, now: datetime | None = None) -> ApiTokenQuerySet:
        """Tokens that still authenticate: not revoked and not expired."""
        return self.filter(revoked_at__isnull=True, expires_at__gt=now or timezone.now())


class ApiToken(Versioned):
    """A bearer token for the API, shown once and kept only as a hash; acts as its user.

    It expires (`expires_at`, chosen at creation up to API_TOKEN_MAX_DAYS) and may be narrowed by
    `scopes` (`access.permissions.TokenScope`; none: everything its user may do).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    # The first characters, kept in clear so people can tell their tokens apart.
    prefix = models.CharField(max_length=16)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(_("expires"), default=default_token_expiry)
    scopes = models.JSONField(_("scopes"), default=list, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    last_used_from = models.GenericIPAddressField(_("last used from"), null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # When its user last verified a second factor for it (exchanged with a code, or made in a session
    # that had): sensitive operations want this within MFA_FRESHNESS_SECONDS (`access.freshness`).
    mfa_verified_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()
    bookkeeping_fields = frozenset({"last_used_at", "last_used_from"})

    class Meta:
        indexes = [
            models.Index(fields=["user", "-created_at", "-id"], name="token_user_created"),
            # The organization's live tokens (admins' list) and the per-user cap count them.
            models.Index(
                fields=["user", "expires_at"],
                condition=models.Q(revoked_at__isnull=True),
                name="token_user_live",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.prefix}…"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()

    @property
    def scope_set(self) -> frozenset[TokenScope] | None:
        """The token's scopes for the principal, or None for a token that may do everything."""
        return frozenset(TokenScope(s) for s in self.scopes) or None


class UserSession(models.Model):
    """One browser signed in as a user: where, since when, last seen; so its user can end it.

    Django's session table is not indexed by user. This row is written at sign-in, its `last_seen_at`
    moved at most once a minute, and it is deleted with its session (sign-out, timeout, ended).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="sessions")
    session_key = models.CharField(max_length=40, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)
    ip_address = models.GenericIPAddressField(_("address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=300, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "-last_seen_at"], name="session_user_seen")]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.created_at:%Y-%m-%d %H:%M}"
