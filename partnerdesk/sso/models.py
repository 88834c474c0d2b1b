"""An organization's own OpenID Connect identity provider, through which its people sign in."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from partnerdesk.etags import Versioned


class SsoConnection(Versioned):
    """The organization's identity provider (issuer, client), for the users of its verified domains.

    The client secret is sealed (`partnerdesk.encryption`) and never shown back. `just_in_time`
    creates a plain user the first time someone of a verified domain signs in; `require_sso` turns
    the password off for the organization's people, except one break-glass pass at a time, granted
    from the command line (`partnerdesk sso_break_glass`) to a named global admin.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.OneToOneField(
        "tenancy.Organization", on_delete=models.CASCADE, related_name="sso_connection"
    )
    issuer = models.URLField(_("issuer"), max_length=500)
    client_id = models.CharField(_("client ID"), max_length=255)
    client_secret_sealed = models.BinaryField()
    just_in_time = models.BooleanField(_("create users just in time"), default=False)
    require_sso = models.BooleanField(_("require single sign-on"), default=False)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    # One password sign-in for one named admin until a time (the break-glass procedure, README).
    break_glass_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    break_glass_until = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.issuer} for {self.organization_id}"
