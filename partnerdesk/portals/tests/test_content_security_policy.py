"""No page of any portal breaks the Content-Security-Policy, in real chromium, with the demo data.

Each portal is walked from its dashboard as a demo user signed in through the form: every link in
the portal is followed once per kind of page (ids in the path count as one kind), so dashboards,
lists, details and forms are all opened, with the demo's objects in them. A page that needed inline
script or style, or loaded anything from elsewhere, would report a `securitypolicyviolation` event
(recorded by a script the browser runs before the page's own) or a console error naming the policy.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pyotp
import pytest
from django.core.management import call_command

from partnerdesk.conftest import Browsing
from partnerdesk.mfa.demo import DEMO_TOTP_SECRET
from partnerdesk.portals.management.commands.seed_demo import DEMO_PASSWORD

pytestmark = pytest.mark.browser

RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (event) => {
  const blocked = event.blockedURI || "inline";
  window.__csp.push(`${event.violatedDirective} blocked ${blocked} in ${event.sourceFile}`);
});
"""
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
# Links that answer something other than a page: attachments, the Atom feed, CSV exports.
NOT_PAGES = re.compile(r"/files/|/feed|csv|export", re.IGNORECASE)
PAGES_PER_PORTAL = 30

PORTALS = [
    ("admin@operator.test", "/operator/"),
    ("admin@fabrikam.test", "/partner/"),
    ("admin@contoso.test", "/admin/"),
]


class Watched:
    """A browser page that remembers every CSP violation and policy error its documents report."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.reports: list[str] = []
        page.add_init_script(RECORD_VIOLATIONS)
        page.on("console", self._console)

    def _console(self, message: Any) -> None:
        if message.type == "error" and "Content Security Policy" in message.text:
            self.reports.append(f"{self.path()}: console: {message.text}")

    def path(self) -> str:
        return urlsplit(self.page.url).path

    def open(self, path: str) -> None:
        response = self.page.goto(path)
        assert response is not None and response.ok, f"{path}: {response and response.status}"
        self.collect()

    def collect(self) -> None:
        for report in self.page.evaluate("window.__csp || []"):
            self.reports.append(f"{self.path()}: {report}")
        self.page.evaluate("window.__csp = []")

    def links(self, prefixes: tuple[str, ...]) -> list[str]:
        hrefs = self.page.eval_on_selector_all(
            "a[href]:not([download])", "links => links.map(link => link.getAttribute('href'))"
        )
        return [
            urlsplit(href).path for href in hrefs if href.startswith(prefixes) and not NOT_PAGES.search(href)
        ]


@pytest.fixture
def demo(browser: Any, live_server: Any, transactional_db: Any) -> Iterator[Browsing]:
    call_command("seed_demo", verbosity=0)
    session = Browsing(browser, live_server.url, world=None)  # type: ignore[arg-type]
    try:
        yield session
    finally:
        session.close()


def sign_in(demo: Browsing, watched: Watched, email: str) -> None:
    """Sign in through the form; the demo's operator and partner users then give the demo's code."""
    demo.sign_in(email, DEMO_PASSWORD, page=watched.page, otp=pyotp.TOTP(DEMO_TOTP_SECRET).now())


def walk(watched: Watched, start: str, prefixes: tuple[str, ...]) -> list[str]:
    """Open `start` and the pages its links lead to, one of each kind, breadth first."""
    queue, kinds, opened = [start], set(), []
    while queue and len(opened) < PAGES_PER_PORTAL:
        path = queue.pop(0)
        kind = UUID.sub("<id>", path)
        if kind in kinds:
            continue
        kinds.add(kind)
        watched.open(path)
        opened.append(path)
        queue.extend(watched.links(prefixes))
    return opened


@pytest.mark.parametrize(("email", "dashboard"), PORTALS, ids=["operator", "partner", "admin"])
def test_no_page_of_a_portal_reports_a_policy_violation(demo, email, dashboard):
    watched = Watched(demo.page())
    sign_in(demo, watched, email)
    watched.collect()

    opened = walk(watched, dashboard, (dashboard, "/account/"))

    assert len(opened) >= 10, opened
    assert watched.reports == []


def test_the_delegated_admin_center_and_the_public_pages_report_no_violation(demo):
    watched = Watched(demo.page())
    for path in ("/account/signin/", "/account/password/reset/", "/api/v1/docs"):
        watched.open(path)
    # The API documentation is the one page built by script (Swagger UI, served by Partnerdesk).
    # The interactive docs render every operation and webhook: on a busy machine that takes a while.
    watched.page.wait_for_selector(".swagger-ui .opblock", timeout=30_000)
    watched.collect()
    sign_in(demo, watched, "agent@fabrikam.test")
    watched.page.select_option("select#switch-org", label="Contoso")
    with watched.page.expect_navigation():
        watched.page.click("form.switcher button[type=submit]")

    opened = walk(watched, "/admin/", ("/admin/",))

    assert len(opened) >= 5, opened
    assert watched.reports == []


def test_an_inline_script_is_blocked_and_reported(demo):
    """The policy is enforced and the watch sees it: without this, an empty report proves nothing."""
    watched = Watched(demo.page())
    watched.open("/account/signin/")

    watched.page.evaluate(
        """() => {
          const script = document.createElement("script");
          script.textContent = "window.__ran = true";
          document.body.appendChild(script);
        }"""
    )
    watched.page.wait_for_function("window.__csp.length > 0")

    assert watched.page.evaluate("window.__ran") is None
    watched.collect()
    assert any("script-src" in report for report in watched.reports), watched.reports
