"""What service health and Message center share: display numbers, the operator's permission, input
checks.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from partnerdesk.access.permissions import Permission
from partnerdesk.access.principal import Principal
from partnerdesk.catalog.models import Service
from partnerdesk.errors import DomainError
from partnerdesk.health.models import (
    DisplayNumber,
)

FIRST_NUMBER = 100000


def next_number(kind: str) -> int:
    """Hand out the next display number of `kind` (MC, HI, MA); call inside a transaction."""
    counter, _created = DisplayNumber.objects.select_for_update().get_or_create(
        kind=kind, defaults={"last": FIRST_NUMBER - 1}
    )  # one locking read once the counter exists
    counter.last += 1
    counter.save(update_fields=["last"])
    return counter.last


def require_health_manage(principal: Principal) -> None:
    """Refuse anyone without `health.manage` (the operator's communications people publish health)."""
    principal.require(Permission.HEALTH_MANAGE)


def required_text(value: str, field: str) -> str:
    """Return the stripped text, refusing it empty (`field_required`)."""
    value = (value or "").strip()
    if not value:
        raise DomainError(_("%(field)s is required.") % {"field": field}, code="field_required")
    return value


def services_by_id(ids: Iterable[uuid.UUID | str], *, required: bool = True) -> list[Service]:
    """The catalog services of `ids`, refusing an unknown one (and, when `required`, none at all)."""
    wanted = {str(i) for i in ids}
    try:
        found = list(Service.objects.filter(pk__in=wanted))
    except (ValueError, TypeError, ValidationError):
        raise DomainError(_("Unknown service."), code="unknown_service") from None
    if len(found) != len(wanted):
        raise DomainError(_("Unknown service."), code="unknown_service")
    if required and not found:
        raise DomainError(_("Choose at least one service."), code="services_required")
    return found
