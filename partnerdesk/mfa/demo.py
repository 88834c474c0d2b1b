"""Demo data: the demo's operator and partner users sign in with an authenticator app.

DEMO ONLY: they all share one published TOTP secret, so anyone trying the demo can compute the code
(`partnerdesk demo_totp`). Never give a real user a known secret.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model

from partnerdesk.mfa import services
from partnerdesk.mfa.models import Factor

# DEMO ONLY — published in the README; base32.
DEMO_TOTP_SECRET = "PARTNERDESKDEMOONLYNOTFORREALUSE"
DEMO_DOMAINS = ("@operator.test", "@fabrikam.test", "@litware.test")


def demo_users() -> list:
    """The demo's operator and partner users (their organizations require a second factor)."""
    users = get_user_model()._default_manager.select_related("organization")
    return [
        user
        for user in users.filter(organization__kind__in=["operator", "partner"])
        if user.email.endswith(DEMO_DOMAINS)
    ]


def load() -> None:
    for user in demo_users():
        if not Factor.objects.filter(user_id=user.pk).exists():
            services.add_confirmed_totp(user, DEMO_TOTP_SECRET, name="Demo authenticator (demo only)")
