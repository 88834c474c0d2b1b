"""Sentences the product writes into records are stored as a code with parameters, read in the
reader's language.

"Escalated to the operator." in a support request's timeline is stored as `support.escalated`; a
status change as `support.status_changed` with `{"status": "waiting_on_customer"}`. Each app
registers how its codes read (`register`, from its `texts.py`, imported by its AppConfig), and
`render` translates at read time in the active language. The English sentence is still stored beside
the code: it is what search, mail already sent and rows written before codes existed use, and what
is shown when a code is unknown.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.utils import formats, timezone

Renderer = Callable[[dict[str, Any]], str]

_RENDERERS: dict[str, Renderer] = {}


def register(code: str, renderer: Renderer) -> None:
    """How the sentence `code` reads, given its parameters (translated when called)."""
    _RENDERERS[code] = renderer


def render(code: str, params: dict[str, Any] | None, fallback: str) -> str:
    """The sentence in the active language, or `fallback` (the stored English) for no or unknown codes."""
    renderer = _RENDERERS.get(code) if code else None
    if renderer is None:
        return fallback
    try:
        return renderer(params or {})
    except (KeyError, ValueError, TypeError):
        return fallback


def known(code: str) -> bool:
    return code in _RENDERERS


def when(moment: datetime) -> str:
    """A moment in the viewer's time zone and language, as lists and sentences show it."""
    return formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT")


def sentence(text: str) -> str:
    """A sentence whose last word brought its own period ("… 9:13 a.m.") ends in one period."""
    return text[:-1] if text.endswith("..") else text
