"""Second factors (authenticator apps, security keys and passkeys), recovery codes, and each
organization's multi-factor policy (ADR 0010)."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Factor(models.Model):
    """One second factor of one user: an authenticator app (TOTP) or a WebAuthn credential.

    Only its user ever sees it; an admin of the organization can remove them all (a reset) but not
    look at them. A TOTP factor counts once confirmed with a code; its secret is kept encrypted
    (`mfa.services`), and the last time step it accepted is kept so a code works only once.
    """

    class Kind(models.TextChoices):
        TOTP = "totp", _("Authenticator app")
        WEBAUTHN = "webauthn", _("Security key or passkey")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="second_factors")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=100)
    # TOTP: the base32 secret, sealed by `partnerdesk.encryption` (a key derived from SECRET_KEY).
    secret = models.TextField(blank=True)
    last_step = models.BigIntegerField(null=True, blank=True)
    # WebAuthn: the credential's id (base64url), public key (COSE) and signature counter.
    credential_id = models.CharField(max_length=1400, blank=True)
    public_key = models.BinaryField(blank=True, default=b"")
    sign_count = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "created_at"], name="factor_user_created")]
        constraints = [
            models.UniqueConstraint(
                fields=["credential_id"],
                condition=~models.Q(credential_id=""),
                name="factor_one_credential",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_confirmed(self) -> bool:
        return self.confirmed_at is not None


class RecoveryCode(models.Model):
    """A one-time code that stands in for a lost factor; kept only as a keyed hash."""

    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="recovery_codes")
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "code_hash"], name="recovery_code_once_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.code_hash[:8]}"


class Requirement(models.TextChoices):
    """Who in an organization must sign in with a second factor."""

    NOT_REQUIRED = "not_required", _("Not required")
    ADMINS = "admins", _("Required for admins")
    EVERYONE = "everyone", _("Required for everyone")


class OrganizationPolicy(models.Model):
    """An organization's choice of who needs a second factor; without a row, the default of its kind.

    The default is a rule, not a stored value (`mfa.policy.DEFAULTS`): every operator and partner
    organization requires it of everyone (Partner Center's rule), however it was created; customers
    choose and start with "not required".
    """

    organization = models.OneToOneField(
        "tenancy.Organization", on_delete=models.CASCADE, related_name="mfa_policy"
    )
    requirement = models.CharField(
        _("multi-factor authentication"), max_length=16, choices=Requirement.choices
    )
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.organization_id}:{self.requirement}"
