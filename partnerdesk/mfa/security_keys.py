"""Security keys and passkeys (WebAuthn) as second factors, through py_webauthn.

py_webauthn builds the options the browser's `navigator.credentials` takes and verifies what the
authenticator signed (attestation at registration, assertion at sign-in: challenge, origin, relying
party, user presence and verification, the signature counter). This module keeps the challenge in
the session between the two requests, stores the credential as a `Factor`, and counts failures
like wrong codes (`ratelimits`).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import webauthn
from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from webauthn.helpers import bytes_to_base64url
from webauthn.helpers.exceptions import InvalidAuthenticationResponse, InvalidRegistrationResponse
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from partnerdesk.access.principal import Principal
from partnerdesk.audit import services as audit
from partnerdesk.errors import DomainError
from partnerdesk.mfa import services
from partnerdesk.mfa.models import Factor, RecoveryCode
from partnerdesk.ratelimits import services as ratelimits

if TYPE_CHECKING:
    from partnerdesk.accounts.models import User

_CHALLENGE_KEY = "partnerdesk_webauthn_challenge"


def _rp_id(request: HttpRequest) -> str:
    return settings.WEBAUTHN_RP_ID or request.get_host().rsplit(":", 1)[0]


def _origin(request: HttpRequest) -> str:
    return f"{request.scheme}://{request.get_host()}"


def _descriptors(user: User) -> list[PublicKeyCredentialDescriptor]:
    keys = Factor.objects.filter(user_id=user.pk, kind=Factor.Kind.WEBAUTHN).values_list(
        "credential_id", flat=True
    )
    return [PublicKeyCredentialDescriptor(id=webauthn.base64url_to_bytes(key)) for key in keys]


def _take_challenge(request: HttpRequest) -> bytes:
    challenge = request.session.pop(_CHALLENGE_KEY, None)
    if not challenge:
        raise DomainError(_("Start again: the security key's challenge expired."), code="no_challenge")
    return webauthn.base64url_to_bytes(challenge)


def registration_options(request: HttpRequest, user: User) -> str:
    """The options (JSON) for `navigator.credentials.create`; the challenge waits in the session."""
    options = webauthn.generate_registration_options(
        rp_id=_rp_id(request),
        rp_name=settings.WEBAUTHN_RP_NAME,
        user_id=user.pk.bytes,
        user_name=user.email,
        user_display_name=user.display_name,
        exclude_credentials=_descriptors(user),
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.PREFERRED,
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
    )
    request.session[_CHALLENGE_KEY] = bytes_to_base64url(options.challenge)
    return webauthn.options_to_json(options)


def register(request: HttpRequest, principal: Principal, credential: Any, *, name: str = "") -> list[str]:
    """Verify and keep a new security key; return new recovery codes when the user had none."""
    user = principal.user
    try:
        verified = webauthn.verify_registration_response(
            credential=credential,
            expected_challenge=_take_challenge(request),
            expected_rp_id=_rp_id(request),
            expected_origin=_origin(request),
        )
    except (InvalidRegistrationResponse, ValueError, KeyError, TypeError) as error:
        raise DomainError(
            _("The security key could not be registered: %(reason)s") % {"reason": error},
            code="invalid_credential",
        ) from None
    with transaction.atomic():
        Factor.objects.create(
            user_id=user.pk,
            kind=Factor.Kind.WEBAUTHN,
            name=name.strip()[:100] or _("Security key"),
            credential_id=bytes_to_base64url(verified.credential_id),
            public_key=verified.credential_public_key,
            sign_count=verified.sign_count,
            confirmed_at=timezone.now(),
        )
        audit.record(
            principal,
            action="user.mfa_factor_added",
            target=user,
            organization=user.organization,
            after={"kind": Factor.Kind.WEBAUTHN, "name": name or "Security key"},
        )
        if not RecoveryCode.objects.filter(user_id=user.pk, used_at__isnull=True).exists():
            return services.new_recovery_codes(principal, user)
    return []


def authentication_options(request: HttpRequest, user: User) -> str:
    """The options (JSON) for `navigator.credentials.get` with the user's keys."""
    options = webauthn.generate_authentication_options(
        rp_id=_rp_id(request),
        allow_credentials=_descriptors(user),
        user_verification=UserVerificationRequirement.PREFERRED,
    )
    request.session[_CHALLENGE_KEY] = bytes_to_base64url(options.challenge)
    return webauthn.options_to_json(options)


def authenticate(request: HttpRequest, user: User, credential: Any, *, address: str) -> bool:
    """Verify a security key's assertion for `user` (rate limited like codes); True when it is theirs."""
    account = str(user.pk)
    ratelimits.refuse_second_factor(account, address)
    challenge = _take_challenge(request)
    raw = credential if isinstance(credential, dict) else json.loads(credential)
    factor = Factor.objects.filter(
        user_id=user.pk, kind=Factor.Kind.WEBAUTHN, credential_id=str(raw.get("id", ""))
    ).first()
    try:
        if factor is None:
            raise InvalidAuthenticationResponse("unknown credential")
        verified = webauthn.verify_authentication_response(
            credential=raw,
            expected_challenge=challenge,
            expected_rp_id=_rp_id(request),
            expected_origin=_origin(request),
            credential_public_key=bytes(factor.public_key),
            credential_current_sign_count=factor.sign_count,
        )
    except (InvalidAuthenticationResponse, ValueError, KeyError, TypeError):
        ratelimits.second_factor_failed(account, address)
        return False
    # A counter that did not grow is a cloned key (authenticators that count); 0 means it does not.
    moved = Factor.objects.filter(pk=factor.pk, sign_count=factor.sign_count).update(
        sign_count=verified.new_sign_count, last_used_at=timezone.now()
    )
    if not moved:
        ratelimits.second_factor_failed(account, address)
        return False
    ratelimits.second_factor_succeeded(account)
    return True
