"""`partnerdesk demo_totp`: the current code of the demo's shared authenticator (demo users only)."""

from __future__ import annotations

from typing import Any

import pyotp
from django.core.management.base import BaseCommand

from partnerdesk.mfa.demo import DEMO_TOTP_SECRET


class Command(BaseCommand):
    help = "Print the current second-factor code of the demo's operator and partner users (demo only)."

    def handle(self, *args: Any, **options: Any) -> None:
        # It knows only the published demo secret: it cannot compute a code of anyone else's factor.
        self.stdout.write(pyotp.TOTP(DEMO_TOTP_SECRET).now())
