"""Template filters for service health and Message center pages."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString

from partnerdesk.health.models import MessagePost
from partnerdesk.health.rendering import render_markdown

register = template.Library()

TAG_LABELS = dict(MessagePost.Tag.choices)


@register.filter
def markdown(text: str) -> SafeString:
    """Markdown rendered and sanitized."""
    return render_markdown(text)


@register.filter
def tag_label(tag: str) -> str:
    return str(TAG_LABELS.get(tag, tag))
