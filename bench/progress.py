"""The one progress bar of the benchmark generators (Partnerdesk's and django-helpdesk's): standard
library only, so the helpdesk virtualenv's Python imports it too."""

from __future__ import annotations

import sys
import time


def progress(label: str, done: int, total: int, started: float) -> None:
    """Redraw `label`'s bar on stderr: how many of `total` are done and at what rate since `started`."""
    width = 30
    filled = int(width * done / max(total, 1))
    rate = done / max(time.monotonic() - started, 1e-6)
    sys.stderr.write(
        f"\r  {label:<24} [{'#' * filled}{'.' * (width - filled)}] {done:>9,}/{total:,} {rate:,.0f}/s"
    )
    if done >= total:
        sys.stderr.write("\n")
