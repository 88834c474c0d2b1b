"""The tenant's sign-in policy, applied when a user signs in or changes a password, and the sign-in log.

Called by `accounts.services` (sign-in and password changes), so every way of signing in (the web
form, the API's token exchange) is checked and logged the same way.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from partnerdesk.accounts.models import User
from partnerdesk.directory.models import Domain, SecuritySettings, SignInEvent
from partnerdesk.errors import DomainError
from partnerdesk.ratelimits.services import Throttle
from partnerdesk.tenancy.models import Organization


def security_settings(organization: Organization) -> SecuritySettings:
    """Return the tenant's security settings, or the defaults (unsaved) when it never changed them."""
    found = SecuritySettings.objects.filter(organization_id=organization.pk).first()
    return found or SecuritySettings(organization=organization)


def log(
    user: User,
    result: str,
    *,
    reason: str = "",
    channel: str = "web",
    ip_address: str = "",
    method: str = SignInEvent.Method.PASSWORD,
) -> None:
    """Append one sign-in event to the user's organization's log (customers only: it is their page)."""
    if not user.organization.is_customer:
        return
    SignInEvent.objects.create(
        method=method,
        organization_id=user.organization_id,
        user=user,
        email=user.email,
        result=result,
        reason=reason[:200],
        channel=channel,
        ip_address=ip_address[:45],
    )


def sign_in_throttle(email: str, user: User | None) -> Throttle:
    """The (account, address) throttle of the user's tenant, or of the tenant owning the e-mail's domain.

    An unknown e-mail of a tenant's domain is throttled like its users, so the number of failures
    before a 429 reveals no account (users' names are on their tenant's domains, ADR 0004).
    """
    owner = user.organization_id if user is not None else None
    if owner is None:
        domain = email.strip().lower().rpartition("@")[2]
        owner = (
            Organization.objects.filter(initial_domain__iexact=domain).values_list("pk", flat=True).first()
        )
        owner = owner or (
            Domain.objects.filter(name__iexact=domain, status=Domain.Status.VERIFIED)
            .values_list("organization_id", flat=True)
            .first()
        )
    found = SecuritySettings.objects.filter(organization_id=owner).first() if owner else None
    policy = found or SecuritySettings()
    return Throttle(threshold=policy.lockout_threshold, first_delay=timedelta(minutes=policy.lockout_minutes))


def count_failure(user: User, *, throttled: bool, channel: str, ip_address: str) -> None:
    """Log a wrong password, and whether it started a refusal of the account from that address."""
    if throttled:
        log(
            user,
            SignInEvent.Result.LOCKED,
            reason="too_many_failures",
            channel=channel,
            ip_address=ip_address,
        )
        return
    log(user, SignInEvent.Result.FAILURE, reason="wrong_password", channel=channel, ip_address=ip_address)


def accept(user: User, password: str, *, channel: str, ip_address: str) -> None:
    """Record a successful sign-in; require a new password when it no longer meets the policy."""
    policy = security_settings(user.organization)
    reason = ""
    if len(password) < policy.password_min_length:
        reason = "password_too_short"
    elif (
        policy.password_expiry_days
        and user.password_changed_at is not None
        and user.password_changed_at + timedelta(days=policy.password_expiry_days) < timezone.now()
    ):
        reason = "password_expired"
    changes: dict[str, object] = {}
    if reason and not user.must_change_password:
        changes["must_change_password"] = True
    if changes:
        User.objects.filter(pk=user.pk).update(**changes)
        for key, value in changes.items():
            setattr(user, key, value)
    # Read by the sign-in page to say why a new password is needed.
    user.password_change_reason = reason  # type: ignore[attr-defined]
    log(user, SignInEvent.Result.SUCCESS, reason=reason, channel=channel, ip_address=ip_address)


def check_password_policy(user: User, password: str) -> None:
    """Refuse a new password that the tenant's policy does not allow."""
    if user.organization_id is None:
        return
    policy = security_settings(user.organization)
    if len(password) < policy.password_min_length:
        raise DomainError(
            ngettext(
                "Your organization requires passwords of at least %(length)s character.",
                "Your organization requires passwords of at least %(length)s characters.",
                policy.password_min_length,
            )
            % {"length": policy.password_min_length},
            code="password_invalid",
        )


def change_reason_message(reason: str) -> str:
    """What the sign-in page says when the policy requires a new password."""
    if reason == "password_expired":
        return _("Your password has expired. Choose a new one to continue.")
    return _("Your organization's password policy changed. Choose a new password to continue.")
