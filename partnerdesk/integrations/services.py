"""Register, rotate and delete OAuth apps; issue and resolve their access tokens (ADR 0012)."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from partnerdesk.access.permissions import OrgKind, Permission, TokenScope, app_scopes_for
from partnerdesk.access.principal import (
    ActingApp,
    Principal,
    delegation_of,
    principal_for_app,
    with_delegation,
)
from partnerdesk.accounts.models import User, hash_token
from partnerdesk.accounts.services import clean_scopes
from partnerdesk.audit import services as audit
from partnerdesk.errors import DomainError
from partnerdesk.integrations.models import (
    ACCESS_TOKEN_PREFIX,
    CLIENT_ID_PREFIX,
    CLIENT_SECRET_PREFIX,
    OAuthAccessToken,
    OAuthApp,
)

# The stand-ins' addresses are in the reserved `.invalid` domain: no mail reaches them, no sign-in
# matches them, and no organization can verify the domain.
AGENT_DOMAIN = "apps.invalid"


@dataclass(frozen=True)
class NewSecret:
    app: OAuthApp
    secret: str


def _new_secret() -> str:
    return CLIENT_SECRET_PREFIX + secrets.token_urlsafe(32)


def register_app(principal: Principal, *, name: str, scopes: list[str]) -> NewSecret:
    """Register an app of the principal's organization; its secret is returned once, never kept.

    An app always has scopes (none would mean everything an admin may do); `entitlements` only for
    the operator's apps.
    """
    principal.require(Permission.APPS_MANAGE)
    organization = principal.organization
    cleaned = clean_scopes(scopes, app_scopes_for(OrgKind(organization.kind)))
    if not cleaned:
        raise DomainError(_("Choose at least one scope for the app."), code="invalid_scope")
    name = name.strip()[:100]
    if not name:
        raise DomainError(_("Give the app a name."), code="invalid_name")
    client_id = CLIENT_ID_PREFIX + secrets.token_urlsafe(16)
    secret = _new_secret()
    with transaction.atomic():
        agent = User(
            email=f"{client_id.lower()}@{AGENT_DOMAIN}",
            display_name=name,
            organization=organization,
            blocked=True,
            is_app=True,
        )
        agent.set_unusable_password()
        agent.save()
        app = OAuthApp.objects.create(
            organization=organization,
            name=name,
            scopes=[scope.value for scope in cleaned],
            client_id=client_id,
            secret_hash=hash_token(secret),
            secret_prefix=secret[:10],
            agent=agent,
            created_by=principal.user if principal.app is None else None,
        )
        audit.record(
            principal,
            action="oauth_app.created",
            target=app,
            organization=organization,
            after={"name": app.name, "scopes": app.scopes, "client_id": app.client_id},
        )
    return NewSecret(app=app, secret=secret)


def rotate_secret(principal: Principal, app: OAuthApp) -> NewSecret:
    """Give the app a new secret; the old one and every live access token stop at once."""
    principal.require(Permission.APPS_MANAGE)
    secret = _new_secret()
    with transaction.atomic():
        app.secret_hash = hash_token(secret)
        app.secret_prefix = secret[:10]
        app.secret_rotated_at = timezone.now()
        app.save(update_fields=["secret_hash", "secret_prefix", "secret_rotated_at", "version"])
        ended, _by_model = OAuthAccessToken.objects.filter(app=app).delete()
        audit.record(
            principal,
            action="oauth_app.secret_rotated",
            target=app,
            organization=app.organization,
            after={"secret_prefix": app.secret_prefix, "access_tokens_ended": ended},
        )
    return NewSecret(app=app, secret=secret)


def delete_app(principal: Principal, app: OAuthApp) -> None:
    """Delete the app and its access tokens. Its stand-in stays, so what the app wrote still names it."""
    principal.require(Permission.APPS_MANAGE)
    with transaction.atomic():
        audit.record(
            principal,
            action="oauth_app.deleted",
            target=app,
            organization=app.organization,
            before={"name": app.name, "scopes": app.scopes, "client_id": app.client_id},
        )
        app.delete()


# Access tokens -----------------------------------------------------------------------------------------


def new_access_token(**_context: Any) -> str:
    """A fresh access token value (Authlib's token generator): random, with a prefix that says what it is."""
    return ACCESS_TOKEN_PREFIX + secrets.token_urlsafe(32)


def access_token_lifetime(client: Any = None, grant_type: str = "") -> int:
    """Seconds an access token lives (OAUTH_ACCESS_TOKEN_SECONDS), read when each one is issued."""
    return int(settings.OAUTH_ACCESS_TOKEN_SECONDS)


def store_access_token(app: OAuthApp, token: dict[str, Any]) -> OAuthAccessToken:
    """Keep the hash of a token the endpoint is about to answer (Authlib's `save_token`)."""
    now = timezone.now()
    return OAuthAccessToken.objects.create(
        app=app,
        token_hash=hash_token(token["access_token"]),
        scopes=str(token.get("scope", "")).split(),
        issued_at=now,
        expires_at=now + timedelta(seconds=int(token["expires_in"])),
    )


def principal_for_access_token(
    raw: str, *, ip_address: str = "", acting_for: uuid.UUID | None = None
) -> Principal | None:
    """The principal of the app behind a live access token, or None (unknown, expired, ended alike).

    One query reads the token, its app, the app's organization and stand-in, and the delegation to
    `acting_for` (`X-On-Behalf-Of`) if asked. Registered with the API as the reader of `app` bearer
    tokens (`api.resolve_tokens_with`).
    """
    if not raw.startswith(ACCESS_TOKEN_PREFIX):
        return None
    tokens = OAuthAccessToken.objects.select_related("app__organization", "app__agent").filter(
        token_hash=hash_token(raw), expires_at__gt=timezone.now()
    )
    token = with_delegation(tokens, "app__organization", acting_for).first()
    if token is None:
        return None
    app = token.app
    return principal_for_app(
        ActingApp(id=app.id, name=app.name),
        app.agent,
        app.organization,
        frozenset(TokenScope(scope) for scope in token.scopes),
        delegation=delegation_of(token, acting_for),
    )


def forget_expired_tokens(*, batch: int = 1000) -> int:
    """Delete up to `batch` access tokens that expired over a day ago; return how many."""
    cutoff = timezone.now() - timedelta(days=1)
    old = OAuthAccessToken.objects.filter(expires_at__lt=cutoff).values_list("pk", flat=True)[:batch]
    deleted, _by_model = OAuthAccessToken.objects.filter(pk__in=list(old)).delete()
    return deleted
