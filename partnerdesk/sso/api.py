"""API: the organization's single sign-on connection, one resource per organization."""

from datetime import datetime

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Router, Status
from pydantic import Field

from partnerdesk import etags
from partnerdesk.access import policy
from partnerdesk.access.permissions import Permission
from partnerdesk.access.principal import Principal
from partnerdesk.api import Out, principal_of, requires
from partnerdesk.api import errors as api_errors
from partnerdesk.errors import NotFound
from partnerdesk.sso import services
from partnerdesk.sso.inputs import SsoConnectionIn
from partnerdesk.sso.models import SsoConnection

router = Router(tags=["single sign-on"])

ERRORS = api_errors(400, 403, 404, 412)


class SsoConnectionOut(Out):
    issuer: str
    client_id: str
    client_secret_set: bool = Field(description="Always true: the secret is never shown back")
    just_in_time: bool
    require_sso: bool
    domains: list[str] = Field(description="The verified domains whose people sign in through it")
    redirect_uri: str = Field(description="The callback to register at the provider")
    created_at: datetime
    updated_at: datetime


def _connection(principal: Principal) -> SsoConnection:
    found = policy.visible(principal, SsoConnection).filter(organization_id=principal.organization.pk).first()
    if found is None:
        raise NotFound(_("No identity provider is connected."), code="sso_not_connected")
    return found


def _out(principal: Principal, connection: SsoConnection, response: HttpResponse) -> SsoConnectionOut:
    etags.tag(response, connection)
    return SsoConnectionOut(
        issuer=connection.issuer,
        client_id=connection.client_id,
        client_secret_set=True,
        just_in_time=connection.just_in_time,
        require_sso=connection.require_sso,
        domains=services.covered_domains(principal.organization),
        redirect_uri=services.redirect_uri(),
        created_at=connection.created_at,
        updated_at=connection.updated_at,
    )


@router.get(
    "/sso-connection",
    response={200: SsoConnectionOut, **ERRORS},
    summary="Your organization's identity provider (global admins)",
)
@requires(Permission.SSO_MANAGE)
def get_connection(request: HttpRequest, response: HttpResponse) -> SsoConnectionOut:
    principal = principal_of(request)
    return _out(principal, _connection(principal), response)


@router.put(
    "/sso-connection",
    response={200: SsoConnectionOut, **ERRORS},
    summary="Connect or change your organization's identity provider (a new issuer is checked first)",
)
@requires(Permission.SSO_MANAGE)
def put_connection(
    request: HttpRequest, payload: SsoConnectionIn, response: HttpResponse
) -> SsoConnectionOut:
    principal = principal_of(request)
    connection = services.save_connection(
        principal,
        issuer=payload.issuer,
        client_id=payload.client_id,
        client_secret=payload.client_secret,
        just_in_time=payload.just_in_time,
        require_sso=payload.require_sso,
        expected_etag=etags.if_match(request),
    )
    return _out(principal, connection, response)


@router.delete(
    "/sso-connection",
    response={204: None, **ERRORS},
    summary="Disconnect your organization's identity provider",
)
@requires(Permission.SSO_MANAGE)
def delete_connection(request: HttpRequest) -> Status:
    principal = principal_of(request)
    services.remove_connection(principal, _connection(principal), expected_etag=etags.if_match(request))
    return Status(204, None)
