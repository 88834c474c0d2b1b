"""Template filters for service health and Message center pages."""

from __future__ import annotations

from django import template

from partnerdesk.health.models import MessagePost

register = template.Library()

TAG_LABELS = dict(MessagePost.Tag.choices)


@register.filter
def tag_label(tag: str) -> str:
    return str(TAG_LABELS.get(tag, tag))
