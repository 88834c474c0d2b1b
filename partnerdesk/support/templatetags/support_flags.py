"""The partner's flags on the operator's partner page.

The page belongs to tenancy, which sits below support and may not import it; the template asks
support for this section by name (`{% load support_flags %}`), so the dependency points downwards.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import template
from django.utils import timezone

from partnerdesk.access import policy
from partnerdesk.support import forms
from partnerdesk.support.models import PartnerFlag

register = template.Library()

# How long a resolved flag is still worth showing next to the open ones.
RECENTLY_RESOLVED = timedelta(days=90)


@register.inclusion_tag("support/_partner_flags.html", takes_context=True)
def partner_flags(context: dict[str, Any], partner: Any) -> dict[str, Any]:
    """The partner's open flags and those resolved in the last 90 days, newest first."""
    principal = context["principal"]
    flags = (
        policy.visible(principal, PartnerFlag)
        .filter(partner=partner)
        .select_related("created_by", "resolved_by", "service_request")
        .order_by("-created_at", "-id")
    )
    since = timezone.now() - RECENTLY_RESOLVED
    return {
        "principal": principal,
        "csrf_token": context.get("csrf_token"),
        "open_flags": list(flags.filter(resolved_at__isnull=True)[:50]),
        "resolved_flags": list(flags.filter(resolved_at__gte=since).order_by("-resolved_at", "-id")[:10]),
        "resolve_form": forms.FlagResolveForm(),
    }
