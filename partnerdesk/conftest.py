"""Shared fixtures: the tiny world, API clients per user, a real SMTP server in the test process."""

from __future__ import annotations

import json
import socket
import uuid
from collections.abc import Callable
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from partnerdesk.accounts.models import API_TOKEN_PREFIX, ApiToken, User, hash_token
from partnerdesk.testing import World, build_world


def pytest_configure() -> None:
    # Argon2 is deliberately slow; tests hash hundreds of passwords.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world(db: Any) -> World:
    return build_world()


class ApiClient:
    """A JSON client that signs requests with one user's bearer token."""

    def __init__(self, token: str | None, *, on_behalf_of: str | None = None) -> None:
        self.client = Client()
        self.headers: dict[str, str] = {}
        if token:
            self.headers["Authorization"] = f"Bearer {token}"
        if on_behalf_of:
            self.headers["X-On-Behalf-Of"] = on_behalf_of

    def _call(self, method: str, path: str, body: Any = None, **extra: Any) -> Any:
        kwargs: dict[str, Any] = {"headers": {**self.headers, **extra.pop("headers", {})}}
        if body is not None:
            kwargs["data"] = json.dumps(body)
            kwargs["content_type"] = "application/json"
        response = getattr(self.client, method)(f"/api/v1{path}", **kwargs, **extra)
        response.json_body = (
            response.json()
            if response.content and response["Content-Type"].startswith("application/json")
            else None
        )
        return response

    def get(self, path: str, **extra: Any) -> Any:
        return self._call("get", path, **extra)

    def post(self, path: str, body: Any = None, **extra: Any) -> Any:
        return self._call("post", path, body if body is not None else {}, **extra)

    def patch(self, path: str, body: Any = None, **extra: Any) -> Any:
        return self._call("patch", path, body if body is not None else {}, **extra)

    def delete(self, path: str, **extra: Any) -> Any:
        return self._call("delete", path, **extra)


@pytest.fixture
def api(world: World) -> Callable[..., ApiClient]:
    """`api("a.admin_agent")` → a client for that user; `api(None)` → anonymous.

    Every world user's token is made up front (directly, not through the service, so the fixture
    leaves no audit event), so "nothing changed" snapshots taken later include them.
    """
    tokens = {key: f"{API_TOKEN_PREFIX}test-{uuid.uuid4().hex}" for key in world.users}
    ApiToken.objects.bulk_create(
        ApiToken(user=world.user(key), name="tests", prefix=raw[:10], token_hash=hash_token(raw))
        for key, raw in tokens.items()
    )

    def make(key: str | None, *, on_behalf_of: Any = None) -> ApiClient:
        if key is None:
            return ApiClient(None)
        return ApiClient(tokens[key], on_behalf_of=str(on_behalf_of) if on_behalf_of else None)

    return make


@pytest.fixture
def web(world: World) -> Callable[[str | None], Client]:
    """`web("a1.global_admin")` → a browser-like client signed in as that user."""

    def make(key: str | None) -> Client:
        client = Client()
        if key is not None:
            client.force_login(world.user(key), backend="partnerdesk.accounts.backends.EmailBackend")
        return client

    return make


def fresh(user: User) -> User:
    return User.objects.get(pk=user.pk)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class _Inbox:
    """Collects what a real SMTP server (aiosmtpd, in this process) received."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.refuse = False

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.refuse:
            return "451 Try again later"
        self.messages.append(message_from_bytes(envelope.content, policy=default_policy))
        return "250 OK"


@pytest.fixture
def smtp_server(settings: Any) -> Any:
    """A real SMTP server on a free loopback port; settings point the outbox worker at it."""
    from aiosmtpd.controller import Controller

    inbox = _Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = False
    try:
        yield inbox
    finally:
        controller.stop()
