"""API: tokens, passwords, and who am I."""

import uuid
from datetime import datetime
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from pydantic import Field

from partnerdesk import etags
from partnerdesk.access import policy
from partnerdesk.access.permissions import Permission
from partnerdesk.access.principal import Principal, principal_for
from partnerdesk.accounts import services
from partnerdesk.accounts.inputs import PasswordChange, TokenChoices, TokenCreate
from partnerdesk.accounts.models import ApiToken, User
from partnerdesk.api import ErrorDetail, ErrorOut, Out, PageOut, principal_of, public, requires, signed_in
from partnerdesk.errors import Forbidden
from partnerdesk.mfa import enrolment
from partnerdesk.mfa import policy as mfa_policy
from partnerdesk.mfa import services as mfa
from partnerdesk.pagination import paginate
from partnerdesk.ratelimits.services import client_address

router = Router(tags=["identity"])


class TokenRequest(TokenChoices):
    email: str = Field(max_length=254)
    password: str = Field(max_length=1024)
    otp: str | None = Field(
        default=None,
        max_length=40,
        description="A code of the user's authenticator app, or a recovery code: required once the "
        "user has a second factor (403 `mfa_required` without it, 401 with a wrong one).",
    )
    name: str = Field(default="", max_length=100)


class MfaRefusalOut(ErrorOut):
    """403: a second factor is missing; `enrollment_token` when the user must first enrol one."""

    enrollment_token: str | None = None
    enrollment_expires_in: int | None = None


class NewTokenOut(Out):
    id: uuid.UUID
    name: str
    prefix: str
    token: str
    expires_at: datetime
    scopes: list[str]


class TokenOut(Out):
    id: uuid.UUID
    name: str
    prefix: str
    scopes: list[str]
    created_at: datetime
    expires_at: datetime
    last_used_at: datetime | None
    last_used_from: str | None
    revoked_at: datetime | None


class TokenOwnerOut(Out):
    id: uuid.UUID
    email: str
    display_name: str


class OrganizationTokenOut(Out):
    """A live token of someone in the organization, as its admins see it: never the secret."""

    id: uuid.UUID
    owner: TokenOwnerOut
    name: str
    prefix: str
    scopes: list[str]
    created_at: datetime
    expires_at: datetime
    last_used_at: datetime | None
    last_used_from: str | None


def _new_token_out(new: services.NewToken) -> NewTokenOut:
    token = new.token
    return NewTokenOut(
        id=token.id,
        name=token.name,
        prefix=token.prefix,
        token=new.raw,
        expires_at=token.expires_at,
        scopes=token.scopes,
    )


def _own_tokens(principal: Principal) -> Any:
    """The caller's own tokens: an admin's wider view is the organization's list, not this one."""
    return policy.visible(principal, ApiToken).filter(user_id=principal.user.pk)


class PasswordChanged(Schema):
    status: str


class OrganizationRef(Out):
    id: uuid.UUID
    name: str
    kind: str


class MeUser(Out):
    id: uuid.UUID
    email: str
    display_name: str
    language: str
    time_zone: str


class MeOut(Out):
    user: MeUser
    organization: OrganizationRef
    home_organization: OrganizationRef
    roles: list[str]
    permissions: list[str]
    acting_on_behalf: bool


_EXCHANGE = (
    "Once the user has a second factor, send `otp` too: without it the answer is 403 `mfa_required`, "
    "with a wrong one 401 `invalid_credentials` (like a wrong password; wrong codes are rate limited "
    "per account and address, 429). A user whose organization requires a second factor they do not "
    "have gets 403 `mfa_enrollment_required` with an `enrollment_token`, a bearer token for "
    "`POST /auth/mfa/totp` and `POST /auth/mfa/totp/confirm` only, for MFA_ENROLLMENT_TOKEN_SECONDS. "
    "A token exchanged with a code counts as a fresh second factor for MFA_FRESHNESS_SECONDS "
    "(sensitive operations answer 403 `mfa_fresh_required` after that)."
)


@router.post(
    "/auth/tokens",
    auth=None,
    response={201: NewTokenOut, 401: ErrorOut, 403: MfaRefusalOut, 409: ErrorOut, 429: ErrorOut},
    summary="Exchange an e-mail and password (and a second-factor code) for an API token",
    description=_EXCHANGE,
)
@public
def create_token_with_password(request: HttpRequest, payload: TokenRequest) -> Status:
    address = client_address(request)
    user = services.authenticate(payload.email, payload.password, channel="api", ip_address=address)
    if user.must_change_password:
        raise Forbidden(
            _("Your password is temporary: change it first (POST /api/v1/auth/password)."),
            code="password_change_required",
        )
    second_factor_at = None
    if mfa.has_second_factor(user):
        if not payload.otp:
            raise Forbidden(
                _("Send a code of your authenticator app (or a recovery code) as otp."), code="mfa_required"
            )
        if not mfa.verify(user, payload.otp, address=address):
            raise Forbidden(
                _("The e-mail, password or code is not correct."), code="invalid_credentials", status=401
            )
        second_factor_at = timezone.now()
    elif mfa_policy.is_required(user):
        return Status(
            403,
            MfaRefusalOut(
                error=ErrorDetail(
                    code="mfa_enrollment_required",
                    message=_(
                        "Your organization requires a second factor. Enrol one with the enrollment_token "
                        "(POST /api/v1/auth/mfa/totp), then exchange again with otp."
                    ),
                ),
                enrollment_token=enrolment.enrolment_token(user),
                enrollment_expires_in=settings.MFA_ENROLLMENT_TOKEN_SECONDS,
            ),
        )
    new = services.create_token(
        principal_for(user, channel="api", second_factor_at=second_factor_at),
        name=payload.name or _("API token"),
        expires_in_days=payload.expires_in_days,
        scopes=payload.scopes,
    )
    return Status(201, _new_token_out(new))


@router.post(
    "/auth/password",
    auth=None,
    response={200: PasswordChanged, 401: ErrorOut, 403: ErrorOut, 400: ErrorOut, 429: ErrorOut},
    summary="Change a password knowing the current one (also the way out of a temporary password)",
)
@public
def change_password(request: HttpRequest, payload: PasswordChange) -> PasswordChanged:
    user = services.authenticate(
        payload.email, payload.current_password, channel="api", ip_address=client_address(request)
    )
    services.change_password(
        user, current_password=payload.current_password, new_password=payload.new_password, channel="api"
    )
    return PasswordChanged(status="changed")


@router.get("/me", response=MeOut, summary="The caller, the organization they act in, and their permissions")
@signed_in
def me(request: HttpRequest) -> MeOut:
    principal = principal_of(request)
    user = principal.user
    return MeOut(
        user=MeUser(
            id=user.id,
            email=user.email,
            display_name=user.display_name,
            language=user.effective_language,
            time_zone=user.effective_time_zone,
        ),
        organization=OrganizationRef.model_validate(principal.organization, from_attributes=True),
        home_organization=OrganizationRef.model_validate(principal.home_organization, from_attributes=True),
        roles=sorted(principal.roles),
        permissions=sorted(p for p in principal.granted if principal.has(p)),
        acting_on_behalf=principal.is_delegated,
    )


@router.get("/tokens", response={200: PageOut[TokenOut], 400: ErrorOut}, summary="Your API tokens")
@signed_in
def list_tokens(request: HttpRequest, cursor: str | None = None, limit: int | None = None) -> dict[str, Any]:
    tokens = _own_tokens(principal_of(request))
    return paginate(tokens, ordering=["-created_at", "-id"], cursor=cursor, limit=limit).answer()


@router.post(
    "/tokens",
    response={201: NewTokenOut, 409: ErrorOut},
    summary="Create an API token for yourself",
    description=f"At most API_TOKEN_MAX_PER_USER live tokens each ({settings.API_TOKEN_MAX_PER_USER} "
    "here): one more is 409 `too_many_tokens`. Needs a fresh second factor when you have one "
    "(403 `mfa_fresh_required`).",
)
@signed_in(fresh_mfa=True)
def create_token(request: HttpRequest, payload: TokenCreate, response: HttpResponse) -> Status:
    new = services.create_token(
        principal_of(request),
        name=payload.name,
        expires_in_days=payload.expires_in_days,
        scopes=payload.scopes,
    )
    etags.tag(response, new.token)
    return Status(201, _new_token_out(new))


@router.delete("/tokens/{token_id}", response={204: None, 404: ErrorOut}, summary="Revoke one of your tokens")
@signed_in
def revoke_token(request: HttpRequest, token_id: str) -> Status:
    principal = principal_of(request)
    token = policy.get_visible(principal, _own_tokens(principal), pk=token_id)
    with etags.guarded(etags.if_match(request), token):
        services.revoke_token(principal, token)
    return Status(204, None)


def _organization_tokens(principal: Principal) -> Any:
    """The tokens of the people of the organization the admin acts in (their own among them)."""
    return (
        policy.visible(principal, ApiToken)
        .filter(user__organization_id=principal.organization.pk)
        .select_related("user")
    )


@router.get(
    "/organization/tokens",
    response={200: PageOut[OrganizationTokenOut], 400: ErrorOut},
    summary="Your organization's live API tokens (admins)",
)
@requires(Permission.TOKENS_MANAGE)
def list_organization_tokens(
    request: HttpRequest, cursor: str | None = None, limit: int | None = None
) -> dict[str, Any]:
    tokens = _organization_tokens(principal_of(request)).live()
    return paginate(tokens, ordering=["-created_at", "-id"], cursor=cursor, limit=limit).answer(
        _organization_token_out
    )


def _organization_token_out(token: ApiToken) -> OrganizationTokenOut:
    return OrganizationTokenOut(
        id=token.id,
        owner=TokenOwnerOut.model_validate(token.user),
        name=token.name,
        prefix=token.prefix,
        scopes=token.scopes,
        created_at=token.created_at,
        expires_at=token.expires_at,
        last_used_at=token.last_used_at,
        last_used_from=token.last_used_from,
    )


@router.delete(
    "/organization/tokens/{token_id}",
    response={204: None, 404: ErrorOut},
    summary="Revoke a token of someone in your organization (admins; audited)",
)
@requires(Permission.TOKENS_MANAGE)
def revoke_organization_token(request: HttpRequest, token_id: str) -> Status:
    principal = principal_of(request)
    token = policy.get_visible(principal, _organization_tokens(principal), pk=token_id)
    with etags.guarded(etags.if_match(request), token):
        services.revoke_token(principal, token)
    return Status(204, None)


@router.post(
    "/users/{user_id}/mfa/reset",
    response={204: None, 403: ErrorOut, 404: ErrorOut},
    summary="Reset another user's second factors (admins of their organization; audited)",
    description="Removes their factors and recovery codes (never shown), ends their sessions and "
    "revokes their tokens. Needs a fresh second factor (403 `mfa_fresh_required`).",
)
@requires(Permission.TEAM_MANAGE, fresh_mfa=True)
def reset_second_factors(request: HttpRequest, user_id: str) -> Status:
    principal = principal_of(request)
    # Only the people of one's own organization: never through delegated access.
    person = policy.get_visible(
        principal, User.objects.filter(organization_id=principal.home_organization.pk), pk=user_id
    )
    services.reset_second_factors(principal, person)
    return Status(204, None)
