"""OAuth 2.0 apps of an organization (client credentials) and the short-lived access tokens they get."""

from __future__ import annotations

import hmac
import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from partnerdesk.accounts.models import User, hash_token
from partnerdesk.etags import Versioned

CLIENT_ID_PREFIX = "pdc_"
CLIENT_SECRET_PREFIX = "pdcs_"
ACCESS_TOKEN_PREFIX = "pdo_"
GRANT_TYPE = "client_credentials"
# How a client may authenticate at the token endpoint (RFC 6749 §2.3.1): HTTP Basic, or form fields.
AUTH_METHODS = frozenset({"client_secret_basic", "client_secret_post"})


class OAuthApp(Versioned):
    """An integration of one organization (a partner's PSA or billing tool, the operator's services).

    It gets access tokens with its client id and secret (the secret is shown once and kept only as a
    hash) and acts for its organization within its scopes (ADR 0012). What it writes names its stand-in
    `agent`, a user that is nobody (`User.is_app`), so every row that records a person still has one.
    It also answers Authlib's questions about a client (`ClientMixin`'s methods, duck-typed).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(
        "tenancy.Organization", on_delete=models.PROTECT, related_name="oauth_apps"
    )
    name = models.CharField(_("name"), max_length=100)
    scopes = models.JSONField(_("scopes"), default=list)
    client_id = models.CharField(max_length=40, unique=True)
    secret_hash = models.CharField(max_length=64)
    # The first characters of the secret, kept in clear so an admin can tell which one a tool holds.
    secret_prefix = models.CharField(max_length=16)
    agent = models.OneToOneField(User, on_delete=models.PROTECT, related_name="oauth_app")
    created_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    secret_rotated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["organization", "-created_at", "-id"], name="oauthapp_org_created")]

    def __str__(self) -> str:
        return self.name

    # Authlib's client (authlib.oauth2.rfc6749.ClientMixin) ---------------------------------------------

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> None:
        return None

    def get_allowed_scope(self, scope: str | None) -> str | None:
        """The scopes of a token asked for `scope` (all of the app's when left out); None: refused.

        A token may be narrower than its app, never wider: it keeps `read` if the app is read-only, and
        names an area if the app does (no area scope means every area).
        """
        own = set(self.scopes)
        if not scope:
            return " ".join(sorted(own))
        asked = set(scope.split())
        own_areas, asked_areas = own - {"read"}, asked - {"read"}
        if not asked_areas <= own_areas or (own_areas and not asked_areas):
            return None
        if "read" in own and "read" not in asked:
            return None
        return " ".join(sorted(asked))

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return False

    def check_client_secret(self, client_secret: str) -> bool:
        return hmac.compare_digest(self.secret_hash, hash_token(client_secret))

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return endpoint == "token" and method in AUTH_METHODS

    def check_response_type(self, response_type: str) -> bool:
        return False

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == GRANT_TYPE


class OAuthAccessToken(models.Model):
    """A short-lived access token an app got at the token endpoint, kept only as a hash.

    Rotating the app's secret or deleting the app deletes its tokens, so they stop at once.
    """

    id = models.BigAutoField(primary_key=True)
    app = models.ForeignKey(OAuthApp, on_delete=models.CASCADE, related_name="access_tokens")
    token_hash = models.CharField(max_length=64, unique=True)
    scopes = models.JSONField(default=list)
    issued_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["expires_at"], name="oauthtoken_expires")]

    def __str__(self) -> str:
        return f"{self.app_id}:{self.issued_at:%Y-%m-%d %H:%M}"
