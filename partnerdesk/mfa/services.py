"""Second factors: enrolling an authenticator app, recovery codes, verifying a code, removing factors.

The one-time-password arithmetic is pyotp's (RFC 6238, 30-second steps, six digits); this module keeps
what pyotp leaves to its caller: the secret encrypted at rest, each time step accepted once (a seen
code cannot be replayed), and every attempt counted by `ratelimits` per account and address.
Recovery codes are random, shown once, kept as keyed hashes and spent by one conditional UPDATE.
"""

from __future__ import annotations

import hmac
import secrets
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pyotp
from django.conf import settings
from django.contrib.auth import login
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from partnerdesk import encryption
from partnerdesk.access import freshness
from partnerdesk.access.permissions import Role
from partnerdesk.access.principal import Principal, principal_for
from partnerdesk.audit import services as audit
from partnerdesk.errors import DomainError, Forbidden
from partnerdesk.mfa import policy
from partnerdesk.mfa.models import Factor, RecoveryCode
from partnerdesk.ratelimits import services as ratelimits

if TYPE_CHECKING:
    from partnerdesk.accounts.models import User

TOTP_DIGITS = 6
# A code of the step before or after the current one is accepted too: phones' clocks drift.
TOTP_DRIFT_STEPS = 1
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


# --- Reading ------------------------------------------------------------------------------------------


def confirmed_factors(user: User) -> QuerySet[Factor]:
    return Factor.objects.filter(user_id=user.pk, confirmed_at__isnull=False)


def has_second_factor(user: User) -> bool:
    """Whether the user has a confirmed second factor (and so gets a second step at sign-in)."""
    return confirmed_factors(user).exists()


def must_enrol(user: User, *, roles: frozenset[Role] | None = None) -> bool:
    """Whether the user's organization requires a second factor the user does not have yet.

    `roles`: the user's, when the caller has them (a request's principal), so they are not read again.
    """
    return policy.is_required(user, roles=roles) and not has_second_factor(user)


def unused_recovery_codes(user: User) -> int:
    return RecoveryCode.objects.filter(user_id=user.pk, used_at__isnull=True).count()


# --- Authenticator apps (TOTP) -------------------------------------------------------------------------


TOTP_PURPOSE = "mfa.totp"  # the platform's sealing (`partnerdesk.encryption`): a dump shows no secret


def _secret_of(factor: Factor) -> str:
    try:
        return encryption.unseal(TOTP_PURPOSE, factor.secret.encode()).decode()
    except encryption.InvalidToken:  # SECRET_KEY changed without a fallback: the factor cannot be used
        return ""


def otpauth_uri(user: User, secret: str) -> str:
    """The `otpauth://totp/…` URI an authenticator app reads (from a QR code, or pasted)."""
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=settings.MFA_ISSUER)


@dataclass(frozen=True)
class NewTotp:
    """An authenticator app being enrolled: the secret to show once, until confirmed with a code."""

    factor: Factor
    secret: str
    otpauth_uri: str


def start_totp(principal: Principal, *, name: str = "") -> NewTotp:
    """Begin enrolling an authenticator app for the principal's user; it counts once confirmed.

    An earlier enrolment never confirmed is replaced.
    """
    user = principal.user
    secret = pyotp.random_base32()
    with transaction.atomic():
        Factor.objects.filter(user_id=user.pk, kind=Factor.Kind.TOTP, confirmed_at__isnull=True).delete()
        factor = Factor.objects.create(
            user_id=user.pk,
            kind=Factor.Kind.TOTP,
            name=name.strip()[:100] or _("Authenticator app"),
            secret=encryption.seal(TOTP_PURPOSE, secret.encode()).decode(),
        )
    return NewTotp(factor=factor, secret=secret, otpauth_uri=otpauth_uri(user, secret))


def pending_totp(user: User) -> Factor | None:
    """The user's authenticator app awaiting its first code, if any."""
    return (
        Factor.objects.filter(user_id=user.pk, kind=Factor.Kind.TOTP, confirmed_at__isnull=True)
        .order_by("-created_at")
        .first()
    )


def secret_and_uri(factor: Factor) -> tuple[str, str]:
    """The secret of an authenticator app still being enrolled (shown until it is confirmed)."""
    secret = _secret_of(factor)
    return secret, otpauth_uri(factor.user, secret)


def _matching_step(factor: Factor, code: str) -> int | None:
    """The time step whose code `code` is, within the drift, later than the last one used; or None."""
    secret = _secret_of(factor)
    if not secret or len(code) != TOTP_DIGITS or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    now = totp.timecode(timezone.now())
    for step in range(now - TOTP_DRIFT_STEPS, now + TOTP_DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step if factor.last_step is None or step > factor.last_step else None
    return None


def _spend_step(factor: Factor, step: int) -> bool:
    """Accept `step` for the factor once: one conditional UPDATE, so a replayed code loses the race."""
    unused = Q(last_step__isnull=True) | Q(last_step__lt=step)
    now = timezone.now()
    return bool(Factor.objects.filter(unused, pk=factor.pk).update(last_step=step, last_used_at=now))


def confirm_totp(principal: Principal, factor: Factor, code: str, *, address: str) -> list[str]:
    """Confirm an authenticator app with its first code; return a new set of recovery codes.

    The codes replace any earlier set (they are shown once, here).
    """
    user = principal.user
    account = str(user.pk)
    ratelimits.refuse_second_factor(account, address)
    step = _matching_step(factor, _clean(code))
    if factor.is_confirmed or step is None or not _spend_step(factor, step):
        ratelimits.second_factor_failed(account, address)
        raise DomainError(
            _("That code is not right. Check the time on your phone and try the newest code."),
            code="invalid_code",
        )
    ratelimits.second_factor_succeeded(account)
    with transaction.atomic():
        Factor.objects.filter(pk=factor.pk).update(confirmed_at=timezone.now())
        audit.record(
            principal,
            action="user.mfa_factor_added",
            target=user,
            organization=user.organization,
            after={"kind": factor.kind, "name": factor.name},
        )
        return new_recovery_codes(principal, user)


def add_confirmed_totp(user: User, secret: str, *, name: str = "") -> Factor:
    """Give a user an authenticator app with a known secret (the bootstrap of an install, the demo)."""
    secret = secret.strip().replace(" ", "").upper()
    try:
        pyotp.TOTP(secret).now()
    except Exception:  # pyotp raises binascii.Error or ValueError for what is not base32
        raise DomainError(_("The TOTP secret must be base32."), code="invalid_secret") from None
    with transaction.atomic():
        factor = Factor.objects.create(
            user_id=user.pk,
            kind=Factor.Kind.TOTP,
            name=name or _("Authenticator app"),
            secret=encryption.seal(TOTP_PURPOSE, secret.encode()).decode(),
            confirmed_at=timezone.now(),
        )
        audit.record(
            None,
            action="user.mfa_factor_added",
            target=user,
            organization=user.organization,
            after={"kind": factor.kind, "name": factor.name},
            channel="job",
        )
    return factor


# --- Recovery codes ---------------------------------------------------------------------------------------


def _clean(code: str) -> str:
    return "".join(code.split()).replace("-", "").lower()


def _recovery_hash(user: User, code: str) -> str:
    return salted_hmac(
        "partnerdesk.mfa.recovery", f"{user.pk}:{_clean(code)}", algorithm="sha256"
    ).hexdigest()


def new_recovery_codes(principal: Principal, user: User) -> list[str]:
    """Replace the user's recovery codes with MFA_RECOVERY_CODES new ones; return them (shown once)."""
    codes = [
        "-".join("".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(5)) for _ in range(2))
        for _ in range(settings.MFA_RECOVERY_CODES)
    ]
    with transaction.atomic():
        RecoveryCode.objects.filter(user_id=user.pk).delete()
        RecoveryCode.objects.bulk_create(
            RecoveryCode(user_id=user.pk, code_hash=_recovery_hash(user, code)) for code in codes
        )
        audit.record(
            principal,
            action="user.mfa_recovery_codes_created",
            target=user,
            organization=user.organization,
            after={"count": len(codes)},
        )
    return codes


def _spend_recovery_code(user: User, code: str) -> bool:
    now = timezone.now()
    with transaction.atomic():
        spent = RecoveryCode.objects.filter(
            user_id=user.pk, code_hash=_recovery_hash(user, code), used_at__isnull=True
        ).update(used_at=now)
        if spent:
            audit.record(
                None,
                action="user.mfa_recovery_code_used",
                target=user,
                organization=user.organization,
                after={"left": unused_recovery_codes(user)},
                channel="web",
            )
    return bool(spent)


# --- Verifying a second factor ---------------------------------------------------------------


def verify(user: User, code: str, *, address: str) -> bool:
    """Check a code from one of the user's authenticator apps, or one of their recovery codes.

    Refused first (429, `RateLimited`) while the account or address is held back; a wrong code
    counts against both. A code is accepted once.
    """
    account = str(user.pk)
    ratelimits.refuse_second_factor(account, address)
    cleaned = _clean(code)
    accepted = False
    if cleaned.isdigit():
        for factor in confirmed_factors(user).filter(kind=Factor.Kind.TOTP):
            step = _matching_step(factor, cleaned)
            if step is not None and _spend_step(factor, step):
                accepted = True
                break
    elif cleaned:
        accepted = _spend_recovery_code(user, cleaned)
    if not accepted:
        ratelimits.second_factor_failed(account, address)
        return False
    ratelimits.second_factor_succeeded(account)
    return True


def sign_in(request: HttpRequest, user: User) -> None:
    """Sign the browser in now that both factors were given, audited; its second factor is fresh.

    As `accounts.sessions.sign_in` does for a password alone (this layer sits below accounts).
    """
    with transaction.atomic():
        login(request, user, backend="partnerdesk.accounts.backends.EmailBackend")
        stamp(request)
        audit.record(
            principal_for(user),
            action="user.signed_in",
            target=user,
            organization=user.organization,
            after={"second_factor": True},
        )


def stamp(request: HttpRequest) -> None:
    """Note in the browser's session that its user just verified a second factor."""
    request.session[freshness.SESSION_KEY] = time.time()


def verify_fresh(request: HttpRequest, user: User, code: str) -> None:
    """Verify a code for a sensitive action and stamp the session (`access.freshness` asks this)."""
    from partnerdesk.ratelimits.services import client_address

    if not verify(user, code, address=client_address(request)):
        raise Forbidden(_("That code is not right."), code="invalid_code", status=400)
    stamp(request)


# --- Managing one's factors ------------------------------------------------------------------


def rename_factor(principal: Principal, factor: Factor, name: str) -> None:
    name = name.strip()[:100]
    if not name:
        raise DomainError(_("Give the factor a name."), code="invalid_field")
    with transaction.atomic():
        Factor.objects.filter(pk=factor.pk, user_id=principal.user.pk).update(name=name)
        audit.record(
            principal,
            action="user.mfa_factor_renamed",
            target=principal.user,
            organization=principal.home_organization,
            before={"name": factor.name},
            after={"name": name},
        )


def remove_factor(principal: Principal, factor: Factor) -> None:
    """Remove one of one's factors; the last one cannot go while the organization requires one."""
    user = principal.user
    with transaction.atomic():
        others = confirmed_factors(user).exclude(pk=factor.pk).select_for_update()
        if factor.is_confirmed and not others.exists() and policy.is_required(user):
            raise Forbidden(
                _("Your organization requires a second factor: add another before removing this one."),
                code="mfa_required_by_policy",
            )
        Factor.objects.filter(pk=factor.pk, user_id=user.pk).delete()
        if not others.exists():
            RecoveryCode.objects.filter(user_id=user.pk).delete()
        audit.record(
            principal,
            action="user.mfa_factor_removed",
            target=user,
            organization=principal.home_organization,
            before={"kind": factor.kind, "name": factor.name},
        )


def remove_every_factor(principal: Principal, user: User) -> int:
    """Delete all of `user`'s factors and recovery codes in the caller's transaction; return how many.

    `accounts.services.reset_second_factors` calls this and ends the user's sessions and tokens.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("remove_every_factor must run inside the transaction of the reset")
    removed, _by_model = Factor.objects.filter(user_id=user.pk).delete()
    RecoveryCode.objects.filter(user_id=user.pk).delete()
    return removed
