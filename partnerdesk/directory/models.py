"""A customer's directory: domains, groups, organization settings and the sign-in log."""

from __future__ import annotations

import secrets
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from partnerdesk.accounts.models import User
from partnerdesk.etags import Versioned

VERIFICATION_PREFIX = "pd-verify="


def new_verification_code() -> str:
    return secrets.token_hex(12)


class Domain(Versioned):
    """A custom domain a tenant added; user names may use it once a DNS TXT record proved ownership.

    The tenant's initial domain (Organization.initial_domain) is not a row: it is always verified.
    A name may be pending in several tenants, but verified in one only.
    """

    class Status(models.TextChoices):
        UNVERIFIED = "unverified", _("Unverified")
        VERIFIED = "verified", _("Verified")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey("tenancy.Organization", on_delete=models.CASCADE, related_name="domains")
    name = models.CharField(_("domain name"), max_length=253)
    verification_code = models.CharField(max_length=64, default=new_verification_code)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.UNVERIFIED)
    is_default = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    verified_at = models.DateTimeField(null=True, blank=True)
    last_checked_at = models.DateTimeField(null=True, blank=True)
    last_check_result = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="domain_once_per_tenant"),
            models.UniqueConstraint(
                fields=["name"], condition=Q(status="verified"), name="domain_verified_once"
            ),
            models.UniqueConstraint(
                fields=["organization"], condition=Q(is_default=True), name="one_default_domain"
            ),
        ]
        indexes = [models.Index(fields=["organization", "name"], name="domain_org_name")]

    def __str__(self) -> str:
        return self.name

    @property
    def is_verified(self) -> bool:
        return self.status == self.Status.VERIFIED

    @property
    def txt_record(self) -> str:
        """The value of the TXT record to publish at the domain's apex."""
        return f"{VERIFICATION_PREFIX}{self.verification_code}"


class Group(Versioned):
    """A security group of one tenant's users, with owners who may manage it."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey("tenancy.Organization", on_delete=models.CASCADE, related_name="groups")
    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization", "name"], name="group_name_per_tenant")]
        indexes = [models.Index(fields=["organization", "name", "id"], name="group_org_name")]

    def __str__(self) -> str:
        return self.name


class GroupMembership(Versioned):
    """One user in one group, as a member or as an owner."""

    class Role(models.TextChoices):
        MEMBER = "member", _("Member")
        OWNER = "owner", _("Owner")

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=8, choices=Role.choices, default=Role.MEMBER)
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["group", "user", "role"], name="membership_once")]
        indexes = [
            models.Index(fields=["user", "group"], name="membership_user"),
            # The API's member list: one group's rows in (role, id) order.
            models.Index(fields=["group", "role", "id"], name="membership_group_role"),
        ]

    def __str__(self) -> str:
        return f"{self.group_id}:{self.user_id}:{self.role}"


class SecuritySettings(Versioned):
    """A tenant's password and sign-in policy, and its Message center release preference.

    A tenant without a row uses the defaults below.
    """

    class Release(models.TextChoices):
        STANDARD = "standard", _("Standard release: posts for everyone when generally available")
        TARGETED_ADMINS = "targeted_admins", _("Targeted release for admins: admins see posts early")
        TARGETED_ALL = "targeted_all", _("Targeted release for everyone")

    organization = models.OneToOneField(
        "tenancy.Organization", on_delete=models.CASCADE, primary_key=True, related_name="security_settings"
    )
    password_min_length = models.PositiveSmallIntegerField(_("minimum password length"), default=10)
    password_expiry_days = models.PositiveSmallIntegerField(
        _("password expires after (days)"), default=0, help_text=_("0: passwords never expire")
    )
    lockout_threshold = models.PositiveSmallIntegerField(
        _("lock after failed sign-ins"), default=10, help_text=_("0: never lock")
    )
    lockout_minutes = models.PositiveSmallIntegerField(_("lockout duration (minutes)"), default=15)
    release_preference = models.CharField(
        _("Message center release"), max_length=20, choices=Release.choices, default=Release.STANDARD
    )
    technical_contact_name = models.CharField(_("technical contact"), max_length=200, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"security settings of {self.organization_id}"


class SignInEvent(models.Model):
    """One sign-in attempt of a known user: success, or failure and why (append-only)."""

    class Result(models.TextChoices):
        SUCCESS = "success", _("Success")
        FAILURE = "failure", _("Failure")
        BLOCKED = "blocked", _("Blocked")
        LOCKED = "locked", _("Locked")

    class Method(models.TextChoices):
        PASSWORD = "password", _("Password")
        SSO = "sso", _("Single sign-on")

    at = models.DateTimeField(default=timezone.now)
    organization = models.ForeignKey("tenancy.Organization", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    email = models.CharField(max_length=254)
    result = models.CharField(max_length=8, choices=Result.choices)
    reason = models.CharField(max_length=200, blank=True)
    channel = models.CharField(max_length=8, default="web")
    ip_address = models.CharField(max_length=45, blank=True)
    # How the person proved who they are: their Partnerdesk password, or the organization's
    # identity provider (single sign-on, ADR 0011).
    method = models.CharField(max_length=8, choices=Method.choices, default=Method.PASSWORD)

    class Meta:
        indexes = [
            models.Index(fields=["organization", "-id"], name="signin_org_id"),
            models.Index(fields=["organization", "result", "-id"], name="signin_org_result"),
        ]

    def __str__(self) -> str:
        return f"{self.email} {self.result} {self.at:%Y-%m-%d %H:%M}"

    @property
    def reason_label(self) -> str:
        """The reason code in words, for pages (CSV and API keep the stable code)."""
        return str(SIGN_IN_REASONS.get(self.reason, self.reason))


SIGN_IN_REASONS = {
    "wrong_password": _("Wrong password"),
    "too_many_failures": _("Too many failed sign-ins: locked"),
    "locked": _("Account locked"),
    "sign_in_blocked": _("Sign-in blocked by an admin"),
    "password_too_short": _("Password shorter than the policy: must change it"),
    "password_expired": _("Password expired: must change it"),
    "sso_required": _("Password refused: the organization requires single sign-on"),
    "sso_refused": _("Refused after the identity provider's answer"),
    "sso_no_account": _("No account, and just-in-time creation is off"),
    "sso_just_in_time": _("Signed in through single sign-on for the first time: account created"),
    "sso_break_glass": _("Password allowed once for recovery (break-glass)"),
}


class DeletedUser(User):
    """A soft-deleted user, restorable until the worker purges it; scoped apart from live users."""

    class Meta:
        proxy = True
