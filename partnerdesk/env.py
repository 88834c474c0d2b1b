"""Typed readers for environment variables that fail loudly on bad values.

Every setting that can come from the environment is read here, so a typo in a deployment is an
error at start-up instead of a silent default.
"""

from __future__ import annotations

import os
from pathlib import Path


class EnvironmentError_(ValueError):
    """An environment variable holds a value its setting cannot use."""


def env_str(name: str, default: str = "") -> str:
    """Return a string, preferring the contents of NAME_FILE when that is set (for secrets)."""
    file_path = os.environ.get(f"{name}_FILE")
    if file_path:
        return Path(file_path).read_text().strip()
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    """Return a boolean from one of the usual spellings; anything else is an error."""
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise EnvironmentError_(f"{name} must be true or false, not {raw!r}")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    """Return an integer; a non-numeric value, or one below `minimum`, is an error."""
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise EnvironmentError_(f"{name} must be an integer, not {raw!r}") from None
    if minimum is not None and value < minimum:
        raise EnvironmentError_(f"{name} must be at least {minimum}, not {value}")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    """Return a comma-separated list with blanks removed."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_networks(name: str, default: list[str]) -> list[str]:
    """Return a comma-separated list of IP addresses or networks (CIDR); anything else is an error."""
    import ipaddress

    networks = env_list(name, default)
    for network in networks:
        try:
            ipaddress.ip_network(network, strict=False)
        except ValueError:
            raise EnvironmentError_(f"{name} must list IP addresses or networks, not {network!r}") from None
    return networks
