"""Browser fixtures: one Debian chromium per test session, a fresh context per test, the tiny world
committed to the database so the `live_server` thread sees it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from partnerdesk.testing import PASSWORD, World, build_world

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

    def sign_in(self, email: str, password: str = PASSWORD, *, page: Any = None) -> Any:
        """Sign in through the real form; return the page after the redirect that follows."""
        page = page or self.page()
        page.goto("/account/signin/")
        page.fill("input[name=email]", email)
        page.fill("input[name=password]", password)
        with page.expect_navigation():
            page.click("main form button[type=submit]")
        return page

    def sign_in_as(self, key: str, *, page: Any = None) -> Any:
        return self.sign_in(self.world.user(key).email, page=page)

    def close(self) -> None:
        for context in self.contexts:
            context.close()


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
