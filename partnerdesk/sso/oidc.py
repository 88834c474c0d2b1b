"""The organization's identity provider, spoken to over OpenID Connect through Authlib (ADR 0011).

Nothing here decides who may sign in: this module finds and checks the provider's discovery
document, sends the browser to the provider (authorization code flow with PKCE, state and nonce,
kept in the session by Authlib's Django client), and on the way back exchanges the code and
validates the ID token (signature against the provider's JWKS, issuer, audience, expiry, nonce).
Every failure is a `ProviderError` with a stable code; `partnerdesk.sso.signin` decides the rest.
"""

from __future__ import annotations

import ipaddress
from typing import Any
from urllib.parse import urlsplit

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.django_client import DjangoIntegration, DjangoOAuth2App
from authlib.oidc.discovery import OpenIDProviderMetadata
from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext as _
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from partnerdesk.errors import DomainError

DISCOVERY_PATH = "/.well-known/openid-configuration"
SCOPE = "openid email profile"
# The one name Authlib keeps its state under in the session (`_state_sso_<state>`); the flow's
# connection is kept beside it by `partnerdesk.sso.signin`.
CLIENT_NAME = "sso"
# What the client keeps of the discovery document: the endpoints and the signing algorithms.
METADATA_KEYS = (
    "issuer",
    "authorization_endpoint",
    "token_endpoint",
    "jwks_uri",
    "userinfo_endpoint",
    "id_token_signing_alg_values_supported",
)


class ProviderError(DomainError):
    """The identity provider cannot be used: unreachable, or it answered something invalid."""

    status = 400
    code = "sso_provider_invalid"


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_url(url: str, what: str) -> None:
    """Refuse a provider URL that is not HTTPS (plain HTTP only on loopback, and only when allowed)."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return
    loopback = parts.scheme == "http" and bool(parts.hostname) and _is_loopback(parts.hostname or "")
    if loopback and settings.SSO_ALLOW_INSECURE_LOOPBACK:
        return
    raise ProviderError(
        _("The %(what)s must be an https:// address (%(url)s is not).") % {"what": what, "url": url},
        code="sso_insecure_url",
    )


def _get_json(url: str, what: str) -> dict[str, Any]:
    try:
        response = requests.get(url, timeout=settings.SSO_HTTP_TIMEOUT_SECONDS, allow_redirects=False)
    except requests.RequestException as error:
        raise ProviderError(
            _("The %(what)s at %(url)s could not be reached (%(error)s).")
            % {"what": what, "url": url, "error": type(error).__name__},
            code="sso_provider_unreachable",
        ) from None
    if response.status_code != 200:
        raise ProviderError(
            _("The %(what)s at %(url)s answered HTTP %(status)s instead of the document.")
            % {"what": what, "url": url, "status": response.status_code},
            code="sso_provider_unreachable",
        )
    try:
        document = response.json()
    except ValueError:
        document = None
    if not isinstance(document, dict):
        raise ProviderError(
            _("The %(what)s at %(url)s is not a JSON object.") % {"what": what, "url": url},
        )
    return document


def discovery_url(issuer: str) -> str:
    """Where OpenID Connect Discovery puts an issuer's configuration."""
    return issuer.rstrip("/") + DISCOVERY_PATH


def discover(issuer: str) -> dict[str, Any]:
    """Fetch and check the issuer's discovery document and its signing keys; return what the client needs.

    The document must name the same issuer (a trailing slash aside: the document's spelling is kept),
    pass Authlib's OpenID Provider Metadata validation, use HTTPS endpoints, and its JWKS must hold
    at least one key.
    """
    check_url(issuer, _("issuer"))
    document = _get_json(discovery_url(issuer), _("discovery document"))
    named = document.get("issuer")
    if not isinstance(named, str) or named.rstrip("/") != issuer.rstrip("/"):
        raise ProviderError(
            _("The discovery document names the issuer %(named)s, not %(issuer)s.")
            % {"named": named, "issuer": issuer},
            code="sso_issuer_mismatch",
        )
    try:
        OpenIDProviderMetadata(document).validate()
    except ValueError as error:
        raise ProviderError(
            _("The discovery document is not valid OpenID Connect metadata: %(error)s.") % {"error": error},
        ) from None
    for key in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        check_url(str(document[key]), key)
    keys = _get_json(str(document["jwks_uri"]), _("key set (JWKS)"))
    try:
        if not KeySet.import_key_set(keys).keys:  # type: ignore[arg-type]
            raise ValueError("empty")
    except (ValueError, TypeError, KeyError, JoseError):
        raise ProviderError(
            _("The key set at %(url)s holds no usable signing key.") % {"url": document["jwks_uri"]},
        ) from None
    return {key: document[key] for key in METADATA_KEYS if key in document}


def _client(metadata: dict[str, Any], *, client_id: str, client_secret: str) -> DjangoOAuth2App:
    return DjangoOAuth2App(
        DjangoIntegration(CLIENT_NAME),
        name=CLIENT_NAME,
        client_id=client_id,
        client_secret=client_secret,
        client_kwargs={
            "scope": SCOPE,
            "code_challenge_method": "S256",
            "default_timeout": settings.SSO_HTTP_TIMEOUT_SECONDS,
        },
        **metadata,
    )


def authorization_url(
    request: HttpRequest,
    metadata: dict[str, Any],
    *,
    client_id: str,
    client_secret: str,
    redirect_uri: str,
    login_hint: str,
) -> tuple[str, str]:
    """The provider's authorization URL for this browser, and its state (PKCE, nonce in the session)."""
    client = _client(metadata, client_id=client_id, client_secret=client_secret)
    found = client.create_authorization_url(redirect_uri, login_hint=login_hint)
    client.save_authorize_data(request, redirect_uri=redirect_uri, **found)
    return found["url"], found["state"]


def validated_claims(
    request: HttpRequest, metadata: dict[str, Any], *, issuer: str, client_id: str, client_secret: str
) -> dict[str, Any]:
    """Exchange the code of the provider's answer and return the ID token's validated claims.

    Authlib checks the state against the session, sends the PKCE verifier, verifies the ID token's
    signature with the provider's JWKS and its nonce, expiry and authorized party; the issuer and
    the audience are required to be this connection's exactly.
    """
    client = _client(metadata, client_id=client_id, client_secret=client_secret)
    options = {
        "iss": {"essential": True, "value": issuer},
        "aud": {"essential": True, "value": client_id},
    }
    try:
        token = client.authorize_access_token(request, claims_options=options)
    except AuthlibBaseError as error:
        raise ProviderError(
            _("The identity provider refused the sign-in (%(error)s).")
            % {"error": getattr(error, "error", None) or error},
            code="sso_provider_refused",
        ) from None
    except (JoseError, ValueError) as error:
        raise ProviderError(
            _("The identity provider's ID token is not valid (%(error)s).") % {"error": error},
            code="sso_id_token_invalid",
        ) from None
    except requests.RequestException as error:
        raise ProviderError(
            _("The identity provider could not be reached (%(error)s).") % {"error": type(error).__name__},
            code="sso_provider_unreachable",
        ) from None
    claims = token.get("userinfo")
    if not claims:
        raise ProviderError(
            _("The identity provider answered without an ID token."), code="sso_id_token_invalid"
        )
    return dict(claims)
