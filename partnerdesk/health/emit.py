"""The events service health and Message center emit (the catalog is `events.catalog`).

They are broadcasts: the operator and every organization, each receiving only what the object's own
scoping rule lets it see when delivered (`health.scopes`: audiences resolved when read, ADR 0006).
Drafts emit nothing; an event exists from publication on.
"""

from __future__ import annotations

from collections.abc import Iterable

from partnerdesk.catalog.models import Service
from partnerdesk.events.services import Audience, emit
from partnerdesk.health.models import CLOSED_STATUSES, HealthIssue, MessagePost, PlannedMaintenance

BROADCAST = Audience(operator=True, broadcast=True)


def _keys(
    row: HealthIssue | PlannedMaintenance | MessagePost, services: Iterable[Service] | None = None
) -> list[str]:
    """The keys of the row's services: of `services` when the caller holds them (no query)."""
    if services is not None:
        return sorted(service.key for service in services)
    return sorted(row.services.values_list("key", flat=True))


def issue(name: str, issue: HealthIssue) -> None:
    """`health_issue.<name>` for a published issue."""
    data = {
        "id": issue.pk,
        "display_id": issue.display_id,
        "title": issue.title,
        "status": issue.status,
        "services": _keys(issue),
    }
    emit(name, issue, data, BROADCAST)


def issue_posted(issue_row: HealthIssue, old_status: str) -> None:
    """`.resolved` when a post closes a published issue, else `.updated`; a draft emits nothing."""
    if not issue_row.is_published:
        return
    resolved = issue_row.status in CLOSED_STATUSES and old_status not in CLOSED_STATUSES
    issue("health_issue.resolved" if resolved else "health_issue.updated", issue_row)


def maintenance(name: str, window: PlannedMaintenance) -> None:
    """`maintenance.<name>`: scheduled, updated, started, completed, cancelled."""
    data = {
        "id": window.pk,
        "title": window.title,
        "status": window.status,
        "starts_at": window.starts_at,
        "ends_at": window.ends_at,
        "services": _keys(window),
    }
    emit(name, window, data, BROADCAST)


def message(name: str, post: MessagePost, *, services: Iterable[Service] | None = None) -> None:
    """`message.published` / `message.revised` for a published post (`services`: its own, if in hand)."""
    if post.status != MessagePost.Status.PUBLISHED:
        return
    data = {
        "id": post.pk,
        "display_id": post.display_id,
        "title": post.title,
        "category": post.category,
        "severity": post.severity,
        "services": _keys(post, services),
    }
    emit(name, post, data, BROADCAST)
