"""API: enrol an authenticator app without a browser (with an enrolment token, or any own token)."""

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from ninja.security import HttpBearer
from pydantic import Field

from partnerdesk.access.principal import Principal
from partnerdesk.api import ErrorOut, Out, SessionAuth, TokenAuth, principal_of, signed_in
from partnerdesk.errors import Conflict
from partnerdesk.mfa import enrolment, services
from partnerdesk.ratelimits.services import client_address

router = Router(tags=["identity"])


class EnrolmentTokenAuth(HttpBearer):
    """`Authorization: Bearer pde_…`: the enrolment token of `POST /auth/tokens`, for these two only."""

    openapi_description = (
        "The `enrollment_token` answered by `POST /api/v1/auth/tokens` (403 `mfa_enrollment_required`) "
        "to a user who must enrol a second factor: it authenticates only the enrolment operations, "
        "until the first factor is confirmed or it expires."
    )

    def authenticate(self, request: HttpRequest, token: str) -> Principal | None:
        from partnerdesk.access.principal import principal_for

        user = enrolment.user_for_enrolment_token(token)
        return principal_for(user, channel="api") if user is not None else None


# An own API token or browser session may enrol another factor too (with a fresh second factor).
_ENROLMENT_AUTH = [EnrolmentTokenAuth(), TokenAuth(), SessionAuth()]


class NewTotpOut(Out):
    secret: str
    otpauth_uri: str


class TotpConfirm(Schema):
    code: str = Field(max_length=40, description="The six digits the authenticator app shows now.")


class RecoveryCodesOut(Out):
    recovery_codes: list[str]


@router.post(
    "/auth/mfa/totp",
    auth=_ENROLMENT_AUTH,
    response={201: NewTotpOut, 403: ErrorOut},
    summary="Begin enrolling an authenticator app: its secret and otpauth URI, shown once",
)
@signed_in(fresh_mfa=True)
def start_totp(request: HttpRequest) -> Status:
    new = services.start_totp(principal_of(request))
    return Status(201, NewTotpOut(secret=new.secret, otpauth_uri=new.otpauth_uri))


@router.post(
    "/auth/mfa/totp/confirm",
    auth=_ENROLMENT_AUTH,
    response={200: RecoveryCodesOut, 400: ErrorOut, 409: ErrorOut, 429: ErrorOut},
    summary="Confirm the authenticator app with a code; answers the recovery codes, shown once",
)
@signed_in
def confirm_totp(request: HttpRequest, payload: TotpConfirm) -> RecoveryCodesOut:
    principal = principal_of(request)
    factor = services.pending_totp(principal.user)
    if factor is None:
        raise Conflict(_("Begin with POST /api/v1/auth/mfa/totp."), code="no_enrolment_pending")
    codes = services.confirm_totp(principal, factor, payload.code, address=client_address(request))
    return RecoveryCodesOut(recovery_codes=codes)
