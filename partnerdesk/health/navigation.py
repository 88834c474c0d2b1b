"""The admin center's "Message center" navigation entry, with the caller's unread count as a badge."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from partnerdesk.access.principal import Principal


def message_center_label(principal: Principal) -> SafeString:
    """ "Message center" plus the unread badge ("99+" beyond 99): one bounded counting query."""
    from partnerdesk.health.queries import unread_count

    counted = unread_count(principal, shown_only=True)
    if not counted.unread:
        return format_html("{}", _("Message center"))
    shown = f"{counted.unread}+" if counted.more else str(counted.unread)
    return format_html(
        '{} <span class="badge" data-testid="unread-badge" aria-label="{}">{}</span>',
        _("Message center"),
        _("%(count)s unread") % {"count": shown},
        shown,
    )
