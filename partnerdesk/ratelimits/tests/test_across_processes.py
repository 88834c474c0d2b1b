"""Two real server processes on one database share every sign-in counter."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.hashers import Argon2PasswordHasher
from django.db import connection

from partnerdesk.accounts.models import User
from partnerdesk.conftest import free_port
from partnerdesk.testing import PASSWORD, World

ROOT = Path(__file__).resolve().parents[3]
ATTACKER, OWNER = "198.51.100.7", "203.0.113.9"


def _database_url() -> str:
    database = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{database['NAME']}"
    host = f"{database['HOST'] or '127.0.0.1'}:{database['PORT'] or 5432}"
    return f"postgres://{database['USER']}@{host}/{database['NAME']}"


@pytest.fixture
def two_servers(tmp_path: Path) -> Iterator[list[str]]:
    """Two `gunicorn` processes of the app on loopback, behind a "proxy" that names the client."""
    environment = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": _database_url(),
        "DB_CONN_MAX_AGE": "0",
        "PARTNERDESK_DATA_DIR": str(tmp_path),
        "SECRET_KEY": "shared-by-both-servers",
        "TRUSTED_PROXIES": "127.0.0.1",
        "API_REQUESTS_PER_MINUTE": "0",
    }
    ports = [free_port(), free_port()]
    servers = [
        subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "partnerdesk.wsgi", "-b", f"127.0.0.1:{port}", "-w", "1"],
            cwd=ROOT,
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for port in ports
    ]
    try:
        bases = [f"http://127.0.0.1:{port}/api/v1" for port in ports]
        for base, server in zip(bases, servers, strict=True):
            _wait_until_serving(base, server)
        yield bases
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=20)


def _wait_until_serving(base: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(server.stderr.read().decode()[-3000:] if server.stderr else "server died")
        try:
            urllib.request.urlopen(f"{base}/openapi.json", timeout=30).close()  # noqa: S310 - loopback
            return
        except (urllib.error.URLError, OSError):
            time.sleep(0.2)
    raise AssertionError("the server did not start")


def _exchange(base: str, email: str, password: str, address: str) -> tuple[int, dict[str, Any], str | None]:
    request = urllib.request.Request(  # noqa: S310 - loopback
        f"{base}/auth/tokens",
        data=json.dumps({"email": email, "password": password}).encode(),
        headers={"Content-Type": "application/json", "X-Forwarded-For": address},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback
            return response.status, json.loads(response.read()), response.headers.get("Retry-After")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read()), error.headers.get("Retry-After")


@pytest.mark.django_db(transaction=True)
def test_failures_on_two_servers_add_up_and_the_owner_still_signs_in_elsewhere(
    world: World, two_servers: list[str]
) -> None:
    owner = world.user("a1.global_admin")
    # The servers hash with Argon2, not the tests' MD5.
    hasher = Argon2PasswordHasher()
    User.objects.filter(pk=owner.pk).update(password=hasher.encode(PASSWORD, hasher.salt()))

    answers = [
        _exchange(two_servers[attempt % 2], owner.email, "Wrong-password-1", ATTACKER)
        for attempt in range(15)
    ]
    statuses = [status for status, _body, _retry in answers]
    first_refusal = statuses.index(429)
    _status, body, retry_after = answers[first_refusal]
    owners_own = _exchange(two_servers[1], owner.email, PASSWORD, OWNER)

    # The policy's default threshold is 10: neither server saw more than 5 of the first 10.
    assert statuses[:first_refusal] == [401] * 10
    assert set(statuses[first_refusal:]) == {429}
    assert body["error"]["code"] == "rate_limited"
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}
    assert retry_after is not None and int(retry_after) > 0
    assert owners_own[0] == 201
