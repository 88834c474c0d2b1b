"""Shared fixtures: the tiny world, API clients per user, a real SMTP server in the test process."""

from __future__ import annotations

import json
import os
import socket
import uuid
from collections.abc import Callable, Iterator
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from partnerdesk.accounts.models import API_TOKEN_PREFIX, ApiToken, User, hash_token
from partnerdesk.testing import PASSWORD, World, build_world


def pytest_configure() -> None:
    # Argon2 is deliberately slow; tests hash hundreds of passwords.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # The per-credential count of API calls is one more write per call: the query budgets measure the
    # operations themselves; ratelimits' tests turn the count on (ADR 0009).
    settings.API_REQUESTS_PER_MINUTE = 0
    # Webhook receivers in tests are HTTP servers on loopback: the only network tests allow (ADR 0013).
    settings.WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.0/8"]


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: Any) -> Iterator[None]:
    """pytest-django's test databases; on PostgreSQL the live pages' listener (ADR 0017) holds a
    connection to it, which must close before the database is dropped."""
    yield
    from partnerdesk.live.listener import LISTENER

    LISTENER.stop()


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
            if not response.streaming
            and response.content
            and response["Content-Type"].startswith("application/json")
            else None
        )
        return response

    def get(self, path: str, **extra: Any) -> Any:
        return self._call("get", path, **extra)

    def post(self, path: str, body: Any = None, **extra: Any) -> Any:
        return self._call("post", path, body if body is not None else {}, **extra)

    def patch(self, path: str, body: Any = None, **extra: Any) -> Any:
        return self._call("patch", path, body if body is not None else {}, **extra)

    def put(self, path: str, body: Any = None, **extra: Any) -> Any:
        return self._call("put", path, body if body is not None else {}, **extra)

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


# --- Browser tests: one Debian chromium per test session (shared by every app's browser tests; only
# one Playwright may run in a thread, so never define another `browser` fixture), a fresh context per
# test, the tiny world committed to the database so the `live_server` thread sees it.

# Playwright's sync API runs an asyncio loop in this thread; Django's ORM calls made from the test
# body (building the world, checking rows) would otherwise be refused as "async unsafe".
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TIMEOUT_MS = 10_000


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api")
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is not installed (make test installs Debian's chromium)")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def live_world(transactional_db: Any) -> World:
    """The tiny world, committed (the live server runs in another thread)."""
    return build_world()


class Browsing:
    """Opens pages in fresh browser contexts (one cookie jar each) against the live server."""

    def __init__(self, browser: Any, base_url: str, world: World) -> None:
        self.browser = browser
        self.base_url = base_url
        self.world = world
        self.contexts: list[Any] = []

    def page(self) -> Any:
        context = self.browser.new_context(
            base_url=self.base_url, locale="en-US", viewport={"width": 1280, "height": 800}
        )
        context.set_default_timeout(TIMEOUT_MS)
        self.contexts.append(context)
        return context.new_page()

    def sign_in(self, email: str, password: str = PASSWORD, *, page: Any = None, otp: str = "") -> Any:
        """Sign in through the real form; return the page after the redirect that follows.

        `otp`: the second-factor code to give when the password leads to the second step (the
        demo's operator and partner users have one: `mfa.demo`).
        """
        page = page or self.page()
        page.goto("/account/signin/")
        page.fill("input[name=email]", email)
        page.fill("input[name=password]", password)
        with page.expect_navigation():
            page.click("main form button[type=submit]")
        if otp and page.url.endswith("/account/signin/verify/"):
            page.fill("input[name=code]", otp)
            with page.expect_navigation():
                page.click("main form button[type=submit]")
        return page

    def sign_in_as(self, key: str, *, page: Any = None) -> Any:
        return self.sign_in(self.world.user(key).email, page=page)

    def close(self) -> None:
        from partnerdesk.live.listener import LISTENER

        for context in self.contexts:
            context.close()
        # Live pages' streams (ADR 0017) run in the live server's threads: end them while this test
        # still owns the database, so none of them reaches into the next test's.
        LISTENER.end_streams()


@pytest.fixture
def browsing(browser: Any, live_server: Any, live_world: World) -> Iterator[Browsing]:
    session = Browsing(browser, live_server.url, live_world)
    try:
        yield session
    finally:
        session.close()


@pytest.fixture
def page(browsing: Browsing) -> Any:
    return browsing.page()


@pytest.fixture
def sign_in(browsing: Browsing) -> Callable[..., Any]:
    return browsing.sign_in_as


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Print the isolation matrix's counts (`access/tests/test_isolation_matrix.py`), even with -q."""
    lines = {  # a dict keeps the order; each phase's report of a test carries its properties
        value: None
        for reports in terminalreporter.stats.values()
        for report in reports
        for key, value in getattr(report, "user_properties", ())
        if key == "isolation_matrix"
    }
    if lines:
        terminalreporter.write_sep("-", "isolation matrix")
        for line in lines:
            terminalreporter.write_line(line)
