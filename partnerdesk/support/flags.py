"""Flags for inappropriate escalation (DOMAIN §2.6): the operator records one, with a remediation plan,
and later resolves it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from partnerdesk.access.permissions import Permission
from partnerdesk.access.principal import Principal
from partnerdesk.audit import services as audit
from partnerdesk.errors import Conflict, DomainError
from partnerdesk.support.common import clean
from partnerdesk.support.models import PartnerFlag

if TYPE_CHECKING:
    from partnerdesk.tenancy.models import Organization

P = Permission


def flag_partner(
    principal: Principal, partner: Organization, *, reason: str, remediation: str, service_request: Any = None
) -> PartnerFlag:
    """Record that a partner escalated what first-line support should have solved; it sees the flag."""
    principal.require(P.SUPPORT_OPERATOR_DESK)
    if not partner.is_partner:
        raise DomainError(_("Only partners are flagged."), code="not_a_partner")
    with transaction.atomic():
        flag = PartnerFlag.objects.create(
            partner=partner,
            service_request=service_request,
            reason=clean(reason, _("Reason")),
            remediation=clean(remediation, _("Remediation plan")),
            created_by=principal.user,
        )
        audit.record(
            principal,
            action="partner.flagged",
            target=flag,
            organization=partner,
            after={"reason": flag.reason, "remediation": flag.remediation},
        )
    return flag


def resolve_flag(principal: Principal, flag: PartnerFlag, *, note: str) -> PartnerFlag:
    """Mark a partner's flag resolved, saying why; a flag is resolved once and never reopened."""
    principal.require(P.SUPPORT_OPERATOR_DESK)
    note = clean(note, _("Note"))
    now = timezone.now()
    with transaction.atomic():
        resolved = PartnerFlag.objects.filter(pk=flag.pk, resolved_at__isnull=True).update(
            resolved_at=now, resolved_by=principal.user, resolution_note=note
        )
        if not resolved:
            raise Conflict(_("This flag is already resolved."), code="flag_already_resolved")
        flag.refresh_from_db()
        audit.record(
            principal,
            action="partner.flag_resolved",
            target=flag,
            organization=flag.partner,
            before={"resolved": False},
            after={"resolved": True, "note": note},
        )
    return flag
