"""API: the organization's OAuth apps (register, list, rotate the secret, delete), for its admins.

The token endpoint itself is not here: it speaks the OAuth protocol (`views.token`, ADR 0012).
"""

import uuid
from datetime import datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Router, Status

from partnerdesk import etags
from partnerdesk.access import policy
from partnerdesk.access.permissions import Permission
from partnerdesk.api import OAUTH_TOKEN_URL, ErrorOut, Out, PageOut, principal_of, requires
from partnerdesk.api import errors as api_errors
from partnerdesk.integrations import services
from partnerdesk.integrations.inputs import OAuthAppIn
from partnerdesk.integrations.models import OAuthApp
from partnerdesk.pagination import paginate

router = Router(tags=["integrations"])

ERRORS = api_errors(400, 404, 409, 412)


class OAuthAppOut(Out):
    id: uuid.UUID
    name: str
    client_id: str
    secret_prefix: str
    scopes: list[str]
    created_at: datetime
    secret_rotated_at: datetime | None


class OAuthAppSecretOut(OAuthAppOut):
    """An app with its client secret: answered once, when it is registered or its secret rotated."""

    client_secret: str
    token_url: str


def _secret_out(new: services.NewSecret) -> OAuthAppSecretOut:
    return OAuthAppSecretOut(
        **OAuthAppOut.model_validate(new.app).model_dump(),
        client_secret=new.secret,
        token_url=OAUTH_TOKEN_URL,
    )


@router.get(
    "/oauth-apps",
    response={200: PageOut[OAuthAppOut], 400: ErrorOut},
    summary="Your organization's OAuth apps",
)
@requires(Permission.APPS_VIEW)
def list_apps(request: HttpRequest, cursor: str | None = None, limit: int | None = None) -> dict[str, Any]:
    apps = policy.visible(principal_of(request), OAuthApp)
    return paginate(apps, ordering=["-created_at", "-id"], cursor=cursor, limit=limit).answer()


@router.post(
    "/oauth-apps",
    response={201: OAuthAppSecretOut, **ERRORS},
    summary="Register an OAuth app (its client secret is answered once)",
)
@requires(Permission.APPS_MANAGE)
def register_app(request: HttpRequest, payload: OAuthAppIn, response: HttpResponse) -> Status:
    new = services.register_app(principal_of(request), name=payload.name, scopes=list(payload.scopes))
    etags.tag(response, new.app)
    return Status(201, _secret_out(new))


@router.get("/oauth-apps/{app_id}", response={200: OAuthAppOut, 404: ErrorOut}, summary="One OAuth app")
@requires(Permission.APPS_VIEW)
def get_app(request: HttpRequest, app_id: uuid.UUID, response: HttpResponse) -> OAuthApp:
    app = policy.get_visible(principal_of(request), OAuthApp, pk=app_id)
    etags.tag(response, app)
    return app


@router.post(
    "/oauth-apps/{app_id}/rotate-secret",
    response={200: OAuthAppSecretOut, **ERRORS},
    summary="Give an OAuth app a new secret; the old one and its access tokens stop at once",
)
@requires(Permission.APPS_MANAGE)
def rotate_secret(request: HttpRequest, app_id: uuid.UUID, response: HttpResponse) -> OAuthAppSecretOut:
    principal = principal_of(request)
    app = policy.get_visible(principal, OAuthApp, pk=app_id)
    with etags.guarded(etags.if_match(request), app):
        new = services.rotate_secret(principal, app)
    etags.tag(response, new.app)
    return _secret_out(new)


@router.delete(
    "/oauth-apps/{app_id}",
    response={204: None, **ERRORS},
    summary="Delete an OAuth app; its access tokens stop at once",
)
@requires(Permission.APPS_MANAGE)
def delete_app(request: HttpRequest, app_id: uuid.UUID) -> Status:
    principal = principal_of(request)
    app = policy.get_visible(principal, OAuthApp, pk=app_id)
    with etags.guarded(etags.if_match(request), app):
        services.delete_app(principal, app)
    return Status(204, None)
