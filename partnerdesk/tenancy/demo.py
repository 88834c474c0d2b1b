"""Demo delegated relationships beyond the first two (`seed_demo` creates those): one Contoso has not
answered yet, and one that expires within the partner center's "expiring soon" window.

Idempotent: each relationship is looked up by its name first.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from partnerdesk.access.permissions import OrgKind, Role
from partnerdesk.tenancy.models import DelegatedRelationship, Organization


def load() -> None:
    contoso = Organization.objects.filter(kind=OrgKind.CUSTOMER, name="Contoso").first()
    if contoso is None or contoso.partner is None:
        return
    now = timezone.now()
    if not DelegatedRelationship.objects.filter(customer=contoso, name="Fabrikam security review").exists():
        DelegatedRelationship.objects.create(
            partner=contoso.partner,
            customer=contoso,
            name="Fabrikam security review",
            roles=[Role.SERVICE_SUPPORT_ADMIN],
            duration_days=30,
        )
    if not DelegatedRelationship.objects.filter(customer=contoso, name="Fabrikam mail migration").exists():
        DelegatedRelationship.objects.create(
            partner=contoso.partner,
            customer=contoso,
            name="Fabrikam mail migration",
            roles=[Role.USER_ADMIN],
            duration_days=90,
            status=DelegatedRelationship.Status.ACTIVE,
            requested_at=now - timedelta(days=78),
            decided_at=now - timedelta(days=78),
            expires_at=now + timedelta(days=12),
        )
