"""The browser fixtures live in partnerdesk/conftest.py (shared by every app); names kept here for imports."""

from partnerdesk.conftest import CHROMIUM, CHROMIUM_ARGS, TIMEOUT_MS, Browsing

__all__ = ["CHROMIUM", "CHROMIUM_ARGS", "TIMEOUT_MS", "Browsing"]
