"""Partners, customers and delegated relationships: the rules for creating and changing them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from partnerdesk.access import rules
from partnerdesk.access.permissions import DELEGABLE_ROLES, OrgKind, Permission, Role
from partnerdesk.access.principal import Principal
from partnerdesk.accounts.services import NewUser, create_user
from partnerdesk.audit import services as audit
from partnerdesk.errors import Conflict, DomainError, Forbidden
from partnerdesk.etags import next_version
from partnerdesk.events.services import Audience, emit
from partnerdesk.tenancy.models import DelegatedRelationship, Organization

PARTNER_FIELDS = ["name", "contact_email", "phone", "website", "country", "address"]
CUSTOMER_FIELDS = ["name", "contact_email", "phone", "country", "address", "language", "time_zone"]
BILLING_FIELDS = ["billing_contact", "billing_email", "billing_phone", "billing_address"]


@dataclass(frozen=True)
class NewOrganization:
    organization: Organization
    admin: NewUser


def _clean_name(name: str) -> str:
    name = name.strip()
    if not name:
        raise DomainError(_("A name is required."), code="name_required")
    return name


def _validate(organization: Organization, *, exclude: list[str]) -> None:
    """Run the model's field validators and report the first problem as a domain error."""
    try:
        organization.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        field, messages = next(iter(error.message_dict.items()))
        raise DomainError(f"{field}: {' '.join(messages)}", code="invalid_field") from None


def get_operator() -> Organization:
    return Organization.objects.get(kind=OrgKind.OPERATOR)


def create_partner(
    principal: Principal, *, name: str, admin_email: str, admin_name: str, **profile: Any
) -> NewOrganization:
    """Create a partner and its first global admin (temporary password shown once)."""
    principal.require(Permission.PARTNERS_MANAGE)
    with transaction.atomic():
        partner = Organization.objects.create(
            kind=OrgKind.PARTNER,
            name=_clean_name(name),
            **{k: v for k, v in profile.items() if k in PARTNER_FIELDS and k != "name"},
        )
        audit.record(
            principal,
            action="partner.created",
            target=partner,
            organization=partner,
            after=audit.snapshot(partner, PARTNER_FIELDS),
        )
        admin = create_user(
            principal,
            organization=partner,
            email=admin_email,
            display_name=admin_name,
            roles=[Role.PARTNER_GLOBAL_ADMIN],
        )
    return NewOrganization(organization=partner, admin=admin)


def update_organization(
    principal: Principal, organization: Organization, changes: dict[str, Any], *, allowed: list[str]
) -> Organization:
    """Apply field changes under a row lock and record before/after of what actually changed."""
    unknown = set(changes) - set(allowed)
    if unknown:
        raise Forbidden(
            _("You may not change: %(fields)s.") % {"fields": ", ".join(sorted(unknown))},
            code="field_not_allowed",
        )
    if "name" in changes:
        changes["name"] = _clean_name(changes["name"])
    with transaction.atomic():
        locked = Organization.objects.select_for_update().get(pk=organization.pk)
        changed = {k: v for k, v in changes.items() if getattr(locked, k) != v}
        if not changed:
            return locked
        before = audit.snapshot(locked, list(changed))
        for key, value in changed.items():
            setattr(locked, key, value)
        _validate(locked, exclude=["partner", "initial_domain"])
        locked.save(update_fields=list(changed))
        audit.record(
            principal,
            action=f"{locked.kind}.updated",
            target=locked,
            organization=locked,
            before=before,
            after=audit.snapshot(locked, list(changed)),
        )
    return locked


def update_partner(principal: Principal, partner: Organization, changes: dict[str, Any]) -> Organization:
    principal.require(Permission.PARTNERS_MANAGE)
    return update_organization(principal, partner, changes, allowed=PARTNER_FIELDS)


def set_partner_suspended(
    principal: Principal, partner: Organization, *, suspended: bool, reason: str = ""
) -> Organization:
    """Suspend a partner (it keeps reading its customers, but cannot sell) or reactivate it."""
    principal.require(Permission.PARTNERS_MANAGE)
    if suspended and not reason.strip():
        raise DomainError(_("Say why the partner is suspended."), code="reason_required")
    new_status = Organization.Status.SUSPENDED if suspended else Organization.Status.ACTIVE
    with transaction.atomic():
        changed = (
            Organization.objects.filter(pk=partner.pk, kind=OrgKind.PARTNER)
            .exclude(status=new_status)
            .update(
                status=new_status,
                suspension_reason=reason.strip() if suspended else "",
                version=next_version(),
            )
        )
        if not changed:
            raise Conflict(
                _("The partner is already suspended.") if suspended else _("The partner is already active."),
                code="already_in_state",
            )
        audit.record(
            principal,
            action="partner.suspended" if suspended else "partner.reactivated",
            target=partner,
            organization=partner,
            before={"status": partner.status},
            after={"status": new_status},
            reason=reason.strip(),
        )
    partner.refresh_from_db()
    return partner


def initial_domain_for(prefix: str, *, from_name: bool = False) -> str:
    """`<prefix>.<install suffix>`. A prefix the partner typed is taken as typed (case aside) or
    refused with a suggestion, never silently changed ("north wind!" is not quietly `northwind`);
    only a prefix derived from the customer's name is simplified."""
    simplified = slugify(prefix).replace("-", "")[:40]
    label = simplified if from_name else prefix.strip().lower()
    if not re.fullmatch(r"[a-z0-9]{1,40}", label):
        if simplified and not from_name:
            message = _(
                "The domain prefix may use only unaccented letters and digits, without spaces or "
                "punctuation: for example %(suggestion)s."
            ) % {"suggestion": simplified}
        else:
            message = _("The domain prefix may use only unaccented letters and digits.")
        raise DomainError(message, code="invalid_domain_prefix")
    return f"{label}.{settings.INITIAL_DOMAIN_SUFFIX}"


def create_customer(
    principal: Principal,
    *,
    name: str,
    domain_prefix: str,
    admin_email: str,
    admin_name: str,
    profile: dict[str, Any] | None = None,
    billing: dict[str, Any] | None = None,
) -> NewOrganization:
    """Create a customer of the principal's partner, with its first global admin.

    The initial domain (prefix + the install's suffix) is unique across the install.
    """
    principal.require(Permission.CUSTOMERS_CREATE)
    if billing and any(billing.values()):
        principal.require(Permission.CUSTOMERS_BILLING)
    partner = principal.organization
    domain = initial_domain_for(domain_prefix) if domain_prefix else initial_domain_for(name, from_name=True)
    with transaction.atomic():
        if Organization.objects.filter(initial_domain=domain).exists():
            raise Conflict(
                _("The domain %(domain)s is already taken; choose another prefix.") % {"domain": domain},
                code="domain_taken",
            )
        customer = Organization(
            kind=OrgKind.CUSTOMER,
            name=_clean_name(name),
            partner=partner,
            initial_domain=domain,
            **{k: v for k, v in (profile or {}).items() if k in CUSTOMER_FIELDS and k != "name"},
            **{k: v for k, v in (billing or {}).items() if k in BILLING_FIELDS},
        )
        _validate(customer, exclude=["partner"])
        customer.save(force_insert=True)
        audit.record(
            principal,
            action="customer.created",
            target=customer,
            organization=customer,
            after=audit.snapshot(customer, ["name", "initial_domain", *CUSTOMER_FIELDS[1:]]),
        )
        admin = create_user(
            principal,
            organization=customer,
            email=admin_email,
            display_name=admin_name,
            roles=[Role.GLOBAL_ADMIN],
        )
    return NewOrganization(organization=customer, admin=admin)


def update_customer(principal: Principal, customer: Organization, changes: dict[str, Any]) -> Organization:
    """Edit a customer's profile; billing fields need customers.billing."""
    touches_billing = bool(set(changes) & set(BILLING_FIELDS))
    touches_profile = bool(set(changes) - set(BILLING_FIELDS))
    if touches_profile or not touches_billing:
        principal.require(Permission.CUSTOMERS_EDIT)
    if touches_billing:
        principal.require(Permission.CUSTOMERS_BILLING)
    allowed = CUSTOMER_FIELDS + (BILLING_FIELDS if principal.has(Permission.CUSTOMERS_BILLING) else [])
    return update_organization(principal, customer, changes, allowed=allowed)


def _clean_roles(roles: list[str]) -> list[str]:
    checked: set[str] = set()
    for raw in roles:
        if raw not in DELEGABLE_ROLES:
            raise DomainError(_("%(role)s cannot be delegated.") % {"role": raw}, code="invalid_role")
        checked.add(raw)
    if not checked:
        raise DomainError(_("Choose at least one role to delegate."), code="invalid_role")
    return sorted(checked)


def request_relationship(
    principal: Principal, customer: Organization, *, name: str, roles: list[str], duration_days: int
) -> DelegatedRelationship:
    """Ask a customer for delegated admin roles for a number of days (counted from acceptance)."""
    principal.require(Permission.RELATIONSHIPS_REQUEST)
    if customer.partner_id != principal.organization.pk:
        raise Forbidden(_("Only the customer's own partner can ask for delegated access."))
    if not 1 <= duration_days <= settings.RELATIONSHIP_MAX_DAYS:
        raise DomainError(
            _("The duration must be between 1 and %(max)s days.") % {"max": settings.RELATIONSHIP_MAX_DAYS},
            code="invalid_duration",
        )
    with transaction.atomic():
        relationship = DelegatedRelationship.objects.create(
            partner=principal.organization,
            customer=customer,
            name=name.strip()[:120] or _("Delegated administration"),
            roles=_clean_roles(roles),
            duration_days=duration_days,
            requested_by=principal.user,
        )
        audit.record(
            principal,
            action="relationship.requested",
            target=relationship,
            organization=customer,
            after={"roles": relationship.roles, "duration_days": duration_days, "name": relationship.name},
        )
        emit_relationship("relationship.requested", relationship)
    return relationship


def _transition(
    principal: Principal,
    relationship: DelegatedRelationship,
    *,
    from_statuses: list[str],
    action: str,
    updates: dict[str, Any],
    refusal: str,
) -> DelegatedRelationship:
    """Move a relationship between statuses with one conditional UPDATE, so two clicks apply once."""
    with transaction.atomic():
        changed = DelegatedRelationship.objects.filter(pk=relationship.pk, status__in=from_statuses).update(
            **updates
        )
        if not changed:
            raise Conflict(refusal, code="invalid_transition")
        before_status = relationship.status
        relationship.refresh_from_db()
        audit.record(
            principal,
            action=action,
            target=relationship,
            organization=relationship.customer,
            before={"status": before_status},
            after={
                "status": relationship.status,
                "expires_at": relationship.expires_at.isoformat() if relationship.expires_at else None,
            },
        )
        emit_relationship(action, relationship)
    return relationship


def emit_relationship(name: str, relationship: DelegatedRelationship, *, status: str = "") -> None:
    """`relationship.<name>` for the partner, the customer and the operator (who sees relationships).

    `status` overrides the row's for a state the row does not store (`expired`, read from the expiry).
    """
    data = {
        "id": relationship.pk,
        "partner_id": relationship.partner_id,
        "customer_id": relationship.customer_id,
        "status": status or relationship.status,
        "roles": relationship.roles,
        "expires_at": relationship.expires_at,
    }
    emit(name, relationship, data, Audience.of(relationship, operator=True))


def accept_relationship(principal: Principal, relationship: DelegatedRelationship) -> DelegatedRelationship:
    principal.require(Permission.RELATIONSHIPS_MANAGE)
    now = timezone.now()
    return _transition(
        principal,
        relationship,
        from_statuses=[DelegatedRelationship.Status.PENDING],
        action="relationship.accepted",
        updates={
            "status": DelegatedRelationship.Status.ACTIVE,
            "decided_by": principal.user,
            "decided_at": now,
            "expires_at": now + timedelta(days=relationship.duration_days),
        },
        refusal=_("Only a request awaiting approval can be accepted."),
    )


def decline_relationship(principal: Principal, relationship: DelegatedRelationship) -> DelegatedRelationship:
    principal.require(Permission.RELATIONSHIPS_MANAGE)
    return _transition(
        principal,
        relationship,
        from_statuses=[DelegatedRelationship.Status.PENDING],
        action="relationship.declined",
        updates={
            "status": DelegatedRelationship.Status.DECLINED,
            "decided_by": principal.user,
            "decided_at": timezone.now(),
        },
        refusal=_("Only a request awaiting approval can be declined."),
    )


def end_relationship(principal: Principal, relationship: DelegatedRelationship) -> DelegatedRelationship:
    """End delegated access; the customer's admins or the partner's may do it at any time."""
    principal.require(rules.RELATIONSHIPS_END)
    return _transition(
        principal,
        relationship,
        from_statuses=[DelegatedRelationship.Status.ACTIVE, DelegatedRelationship.Status.PENDING],
        action="relationship.ended",
        updates={
            "status": DelegatedRelationship.Status.ENDED,
            "ended_by": principal.user,
            "ended_at": timezone.now(),
        },
        refusal=_("This relationship has already ended."),
    )
