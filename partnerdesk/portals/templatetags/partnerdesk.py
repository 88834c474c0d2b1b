"""Template helpers: ask the permission table the same question views ask."""

from __future__ import annotations

from django import template
from django.conf import settings

from partnerdesk.access.permissions import ROLE_LABELS, Role

register = template.Library()


@register.filter
def can(principal: object, permission: str) -> bool:
    """`{% if principal|can:"customers.create" %}`: whether the principal holds the permission."""
    has = getattr(principal, "has", None)
    return bool(has and has(permission))


@register.filter
def role_names(roles: object) -> str:
    """Human names of role codes, translated, comma-separated."""
    names = []
    for code in roles or []:  # type: ignore[attr-defined]
        try:
            names.append(str(ROLE_LABELS[Role(code)]))
        except ValueError:
            names.append(str(code))
    return ", ".join(sorted(names))


@register.filter
def language_name(code: object) -> str:
    """The name of a language code in that language itself (es → Español); unknown codes as given."""
    return dict(settings.LANGUAGES).get(str(code), str(code))
