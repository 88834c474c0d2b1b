"""Sign the benchmark's users in by session, for the page scenarios, and print their cookies as JSON.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/partnerdesk_bench_small \
        .venv/bin/python -m bench.sessions --scale small

`bench/run` calls this before every run, so a session is never past its idle or absolute timeout.
Each session is what a sign-in with both factors writes: Django's session (user, backend, password
hash; the start and last-seen stamps `accounts.sessions` checks; the second factor's stamp
`mfa.services.stamp` writes) and its `UserSession` row. Operator and partner organizations require a
second factor (`mfa.policy`), so a user without one is first given an authenticator app, as
`create_operator_admin --totp-secret` does; without it the portals would send the session to enrol.
The user of each label is the owner of the API token `bench/generate` wrote for it.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STATE = ROOT / "bench" / ".state"
BENCH_TOTP_SECRET = "OBQXE5DOMVZGIZLTNMWWEZLOMNUC25LTMVZA"  # base32; the bench's users never type a code
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/partnerdesk_bench_{scale}"


def sign_in(tokens: dict[str, str]) -> dict[str, str]:
    """A fresh session for the owner of each token: {label: session key}."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.utils import timezone

    from partnerdesk.access import freshness
    from partnerdesk.accounts import sessions
    from partnerdesk.accounts.models import ApiToken, UserSession
    from partnerdesk.mfa import services as mfa

    cookies: dict[str, str] = {}
    now = timezone.now()
    for label, raw in tokens.items():
        user = ApiToken.objects.select_related("user").get(prefix=raw[:10]).user  # unscoped: bench setup
        if not mfa.has_second_factor(user):
            mfa.add_confirmed_totp(user, BENCH_TOTP_SECRET, name="bench")
        store = SessionStore()
        store[SESSION_KEY] = str(user.pk)
        store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        store[sessions.STARTED] = store[sessions.SEEN] = now.timestamp()
        store[freshness.SESSION_KEY] = now.timestamp()
        store.create()
        key = store.session_key or ""
        UserSession.objects.create(
            user=user,
            session_key=key,
            created_at=now,
            last_seen_at=now,
            ip_address="127.0.0.1",
            user_agent="bench/run",
        )
        cookies[label] = f"{settings.SESSION_COOKIE_NAME}={key}"
    return cookies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", choices=["small", "large"], default="small")
    args = parser.parse_args()
    os.environ.setdefault("DATABASE_URL", DEFAULT_URL.format(scale=args.scale))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "partnerdesk.settings")
    import django

    django.setup()
    state = json.loads((STATE / f"{args.scale}.json").read_text())
    print(json.dumps(sign_in(state["tokens"])))


if __name__ == "__main__":
    main()
