"""Write audit events. Call inside the same transaction as the change it records."""

from __future__ import annotations

import datetime
import decimal
import uuid
from typing import TYPE_CHECKING, Any

from django.db import models, transaction

from partnerdesk.audit.models import AuditEvent

if TYPE_CHECKING:
    from partnerdesk.access.principal import Principal
    from partnerdesk.tenancy.models import Organization


def snapshot(instance: models.Model, fields: list[str]) -> dict[str, Any]:
    """Return the named fields of a model as JSON-safe values, for before/after."""
    return {name: _json_safe(getattr(instance, name)) for name in fields}


def _json_safe(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, models.Model):
        return str(value.pk)
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    return value


def _label(target: models.Model) -> str:
    """The object's own name (`str()`), unless that is only Django's "Model object (pk)"."""
    label = str(target)
    return "" if label.endswith(f"object ({target.pk})") else label[:200]


def record(
    principal: Principal | None,
    *,
    action: str,
    target: models.Model,
    organization: Organization | None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str = "",
    channel: str | None = None,
) -> AuditEvent:
    """Append one audit event for a change to `target` in `organization`'s data.

    Must run inside the transaction that makes the change, so the event and the change commit or
    roll back together. `principal` is None only for the system itself (a job with no user).
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit.record must run inside the transaction of the change it records")
    partner_id = None  # the id the row already holds: no read of the partner's row
    if organization is not None:
        partner_id = organization.pk if organization.is_partner else organization.partner_id
    app = principal.app if principal else None
    return AuditEvent.objects.create(
        actor_user=principal.user if principal else None,
        actor_email=principal.user.email if principal and app is None else "",
        actor_app_id=app.id if app else None,
        actor_app_name=app.name if app else "",
        actor_organization=principal.home_organization if principal else None,
        role=principal.role_label if principal else "system",
        on_behalf_of=principal.on_behalf_of if principal else None,
        channel=channel or (principal.channel if principal else AuditEvent.Channel.JOB),
        organization=organization,
        partner_id=partner_id,
        object_type=target._meta.label_lower,
        object_id=str(target.pk),
        object_label=_label(target),
        action=action,
        before=before,
        after=after,
        reason=reason,
    )
