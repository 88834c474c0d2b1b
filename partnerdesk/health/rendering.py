"""Message center bodies are Markdown: rendered, then sanitized, so a post can never carry script.

Stored posts keep their rendered HTML (`body_html`, written with the body); `render_markdown` is
for writing it and for text that is not saved yet.
"""

from __future__ import annotations

import threading

import markdown  # type: ignore[import-untyped]
import nh3
from django.utils.safestring import SafeString, mark_safe

ALLOWED_TAGS = {
    "p", "br", "strong", "em", "code", "pre", "blockquote", "ul", "ol", "li", "a",
    "h2", "h3", "h4", "table", "thead", "tbody", "tr", "th", "td", "hr",
}  # fmt: skip

# Building a Markdown converter loads its extensions, which costs more than converting a post;
# a converter is not thread-safe, so each thread keeps its own and resets it before each use.
_converters = threading.local()


def _converter() -> markdown.Markdown:
    converter = getattr(_converters, "converter", None)
    if converter is None:
        converter = markdown.Markdown(extensions=["tables", "fenced_code"], output_format="html")
        _converters.converter = converter
    return converter


def render_markdown(text: str) -> SafeString:
    """Render Markdown to HTML that keeps only harmless tags; links open safely."""
    html = _converter().reset().convert(text or "")
    cleaned = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes={"a": {"href", "title"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
    return mark_safe(cleaned)  # noqa: S308 - sanitized by nh3 just above
