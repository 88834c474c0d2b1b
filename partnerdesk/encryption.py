"""Secrets kept encrypted at rest (platform layer: imports no domain).

Fernet keys are derived from `SECRET_KEY` and its fallbacks, one key per purpose, so a database dump
shows none of them and rotating `SECRET_KEY` (keeping the old one in `SECRET_KEY_FALLBACKS`) still
opens what was sealed before. Used by the idempotency records' kept answers, the single sign-on
connections' client secrets and the authenticator apps' TOTP secrets.
"""

from __future__ import annotations

from base64 import urlsafe_b64encode

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.utils.crypto import salted_hmac

__all__ = ["InvalidToken", "seal", "unseal"]


def seal(purpose: str, data: bytes) -> bytes:
    """Encrypt `data` for `purpose` (e.g. "sso.client_secret") under the current SECRET_KEY."""
    return _cipher(purpose).encrypt(data)


def unseal(purpose: str, token: bytes) -> bytes:
    """Decrypt what `seal` made; raises `InvalidToken` when no current or fallback key opens it."""
    return _cipher(purpose).decrypt(token)


def _cipher(purpose: str) -> MultiFernet:
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return MultiFernet([Fernet(_fernet_key(purpose, secret)) for secret in secrets])


def _fernet_key(purpose: str, secret: str) -> bytes:
    mac = salted_hmac(f"partnerdesk.{purpose}", "", secret=secret, algorithm="sha256")
    return urlsafe_b64encode(mac.digest())
