"""The OAuth 2.0 token endpoint's protocol, from Authlib: client credentials only (RFC 6749 §4.4).

Authlib parses the request, authenticates the client (HTTP Basic or form fields, §2.3.1), checks the
grant type and the scopes, and answers in the standard's shape (§5.1, §5.2). Partnerdesk supplies the
client (`OAuthApp`), where tokens are kept (`services.store_access_token`: only their hashes) and how
long they live (`OAUTH_ACCESS_TOKEN_SECONDS`).
"""

from __future__ import annotations

import os
from typing import Any

from authlib.integrations.django_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import grants
from authlib.oauth2.rfc6749.errors import InvalidClientError
from authlib.oauth2.rfc6749.util import extract_basic_authorization
from authlib.oauth2.rfc6750 import BearerTokenGenerator
from django.conf import settings
from django.http import HttpRequest, HttpResponse

from partnerdesk.access.permissions import TokenScope
from partnerdesk.integrations import services
from partnerdesk.integrations.models import AUTH_METHODS, OAuthAccessToken, OAuthApp

if not settings.HTTPS:
    # Authlib refuses a token request over plain http unless told otherwise. An install served over
    # HTTPS (HTTPS=1) redirects every http request first (SECURE_SSL_REDIRECT), so the refusal only
    # matters where the install itself says it runs without TLS: development and the tests.
    os.environ.setdefault("AUTHLIB_INSECURE_TRANSPORT", "1")


class ClientCredentialsGrant(grants.ClientCredentialsGrant):
    """The one grant: a client authenticates with its secret, by HTTP Basic or in the form."""

    TOKEN_ENDPOINT_AUTH_METHODS = sorted(AUTH_METHODS)


class TokenServer(AuthorizationServer):
    """Authlib's Django authorization server, with Partnerdesk's clients and hashed tokens."""

    def __init__(self) -> None:
        super().__init__(OAuthApp, OAuthAccessToken)
        self.scopes_supported = [scope.value for scope in TokenScope]
        self.register_grant(ClientCredentialsGrant)

    def create_bearer_token_generator(self) -> BearerTokenGenerator:
        return BearerTokenGenerator(
            access_token_generator=services.new_access_token,
            expires_generator=services.access_token_lifetime,
        )

    def query_client(self, client_id: str) -> OAuthApp | None:
        # unscoped: the token endpoint is where a client proves who it is, before there is a principal
        return OAuthApp.objects.filter(client_id=client_id).first()

    def save_token(self, token: dict[str, Any], request: Any) -> OAuthAccessToken:
        return services.store_access_token(request.client, token)

    def handle_error_response(self, request: Any, error: Any) -> HttpResponse:
        # An unknown client and a wrong secret answer alike (401, RFC 6749 §5.2), so neither the
        # status nor the words tell which client ids exist.
        if isinstance(error, InvalidClientError):
            error.status_code = 401
            error.description = "Client authentication failed."
        response: HttpResponse = super().handle_error_response(request, error)
        return response


server = TokenServer()


def token_response(request: HttpRequest) -> HttpResponse:
    """Answer a token request: a token (200) or the standard's error, e.g. 401 `invalid_client`."""
    response: HttpResponse = server.create_token_response(request)
    return response


def client_credentials_of(request: HttpRequest) -> tuple[str | None, str | None]:
    """The client id and secret a token request carries (HTTP Basic first, then the form), for the
    rate limit counted before Authlib authenticates it."""
    client_id, secret = extract_basic_authorization(request.headers)
    if client_id:
        return client_id, secret
    return request.POST.get("client_id"), request.POST.get("client_secret")
