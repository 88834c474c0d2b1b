"""Support requests (customer ↔ partner, DOMAIN §5): opening, changing, merging.

Every change runs in one transaction with a row lock on the request, writes its audit event and
queues its e-mail in that same transaction (STYLE 6). Status changes go through `tickets`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from partnerdesk.access import rules
from partnerdesk.access.permissions import Permission
from partnerdesk.access.principal import Principal
from partnerdesk.audit import services as audit
from partnerdesk.errors import Conflict, DomainError, Forbidden, NotFound
from partnerdesk.support import emit, sla, tickets, timeline
from partnerdesk.support.common import (
    UNSET,
    authored_by,
    clean,
    desk_assignee,
    touch,
    valid_severity,
)
from partnerdesk.support.mail import (
    customer_recipients,
    partner_desk_recipients,
    queue_thread_mail,
    support_context,
)
from partnerdesk.support.models import Message, SupportRequest, Visibility
from partnerdesk.tenancy.models import Organization

if TYPE_CHECKING:
    from partnerdesk.catalog.models import Service

P = Permission


SUPPORT_FIELDS = ["title", "severity", "status", "assignee", "service", "merged_into"]


def reopen_period() -> timedelta:
    return timedelta(days=settings.SUPPORT_REOPEN_DAYS)


@dataclass(frozen=True)
class NewSupportRequest:
    title: str
    description: str
    severity: str
    contact_name: str
    contact_email: str
    contact_phone: str = ""
    contact_method: str = SupportRequest.ContactMethod.EMAIL
    service: Service | None = None


def create_support_request(
    principal: Principal,
    data: NewSupportRequest,
    *,
    customer: Organization | None = None,
    attachment: UploadedFile | None = None,
) -> SupportRequest:
    """Open a request from a customer to its partner (a partner agent may do so on behalf).

    `customer` is for the partner's desk opening one for its own customer from a mail it received
    (a quarantined mail released to a new request); otherwise the customer is the principal's.
    `attachment` is stored in the same transaction: a refused file leaves no request opened.
    """
    if customer is None:
        principal.require(P.SUPPORT_REQUESTS)
        customer = principal.organization
    else:
        principal.require(P.SUPPORT_INBOUND_QUARANTINE)
        if customer.partner_id != principal.organization.pk:
            raise NotFound(_("Not found."))
    if not customer.is_customer or customer.partner_id is None:
        raise Forbidden(_("Only a customer opens support requests."), code="customers_only")
    if data.contact_method not in SupportRequest.ContactMethod.values:
        raise DomainError(_("Choose e-mail or phone as the contact method."), code="invalid_contact_method")
    if data.contact_method == SupportRequest.ContactMethod.PHONE and not data.contact_phone.strip():
        raise DomainError(_("Give a phone number to be called back on."), code="phone_required")
    now = timezone.now()
    with transaction.atomic():
        request = SupportRequest(
            number=tickets.next_number("support_request", "SUP"),
            customer=customer,
            partner_id=customer.partner_id,
            title=clean(data.title, _("Title"), limit=200),
            description=clean(data.description, _("Description")),
            severity=valid_severity(data.severity),
            service=data.service,
            contact_name=clean(data.contact_name, _("Contact person"), limit=200),
            contact_email=clean(data.contact_email, _("Contact e-mail"), limit=254),
            contact_phone=data.contact_phone.strip()[:40],
            contact_method=data.contact_method,
            created_by=principal.user,
            created_at=now,
            updated_at=now,
        )
        sla.start(request, now, sla.policy_for(customer.partner_id, request.severity))
        request.save()
        audit.record(
            principal,
            action="support_request.created",
            target=request,
            organization=customer,
            after=audit.snapshot(request, ["number", "title", "severity", "service", "status"]),
        )
        emit.support_request("support_request.created", request)
        # What the mail needs is in hand but the partner: read it with its desk profile, in one query.
        request.partner = Organization.objects.select_related("support_profile").get(pk=customer.partner_id)
        request.escalated = False  # type: ignore[attr-defined]  # what `support_requests` annotates: a new one is not
        queue_thread_mail(
            partner_desk_recipients(request),
            "support_request_new",
            support_context(request, customer=customer.name),
            "support.new",
        )
        if attachment is not None:
            timeline.add_attachment(principal, attachment, support_request=request)
    return request


def update_support_request(
    principal: Principal,
    request: SupportRequest,
    *,
    status: str | None = None,
    assignee_id: Any = UNSET,
    severity: str | None = None,
    reason: str = "",
) -> SupportRequest:
    """Change status (resolve, wait on the customer, close, reopen), assignee or severity.

    The customer may only close or reopen (within the reopen period); the partner does the rest.
    """
    principal.require(rules.SUPPORT_REQUESTS_WORK)
    side = tickets.side_of(principal)
    partner_side = side is tickets.Side.PARTNER
    now = timezone.now()
    with transaction.atomic():
        locked = tickets.lock(request)
        before = audit.snapshot(locked, SUPPORT_FIELDS)
        old_status = locked.status
        policy = sla.policy_for(locked.partner_id, locked.severity)
        if locked.merged_into_id:
            raise Conflict(_("This request was merged into another one."), code="request_merged")
        if assignee_id is not UNSET or severity is not None:
            if not partner_side:
                raise Forbidden(
                    _("Only the partner assigns requests or changes severity."), code="partner_only"
                )
            if assignee_id is not UNSET:
                locked.assignee = desk_assignee(locked.partner_id, assignee_id, P.SUPPORT_DESK)
            if severity is not None and severity != locked.severity:
                locked.severity = valid_severity(severity)
        if status is not None and status != locked.status:
            _move(locked, status, side=side, now=now, policy=policy)
        if not tickets.save_change(
            principal,
            tickets.SUPPORT_REQUEST,
            locked,
            before,
            fields=SUPPORT_FIELDS,
            old_status=old_status,
            now=now,
            organization=locked.customer,
            reason=reason,
        ):
            return locked
        emit.support_request_changed(locked, old_status)
        if locked.status != old_status:
            Message.objects.create(
                support_request=locked,
                **authored_by(principal),
                body=_("Status changed to %(status)s.") % {"status": locked.get_status_display()},
                text_code="support.status_changed",
                text_params={"status": locked.status},
                visibility=Visibility.PUBLIC,
                source=Message.Source.SYSTEM,
                created_at=now,
            )
            queue_thread_mail(
                customer_recipients(locked) if partner_side else partner_desk_recipients(locked),
                "support_request_status",
                support_context(locked, status=locked.get_status_display()),
                "support.status",
                invites_reply=partner_side,
            )
    return locked


def _move(locked: SupportRequest, status: str, *, side: tickets.Side, now: Any, policy: sla.Policy) -> None:
    """Make a status move of the table; a customer reopens only within the reopen period."""
    transition = tickets.step(tickets.SUPPORT_REQUEST, locked.status, status, side)
    if transition.effect is tickets.Effect.REOPEN and side is tickets.Side.CUSTOMER:
        finished_at = locked.closed_at or locked.resolved_at
        if finished_at and now - finished_at > reopen_period():
            raise Conflict(
                _("This request can no longer be reopened; open a new one."), code="reopen_period_over"
            )
    tickets.apply(locked, transition, now=now, policy=policy)


def merge_support_requests(
    principal: Principal, duplicate: SupportRequest, into: SupportRequest
) -> SupportRequest:
    """Close `duplicate` as merged into `into` (same customer), noting it on both timelines."""
    principal.require(P.SUPPORT_DESK)
    if duplicate.pk == into.pk or duplicate.customer_id != into.customer_id:
        raise DomainError(_("Merge only two different requests of the same customer."), code="invalid_merge")
    now = timezone.now()
    with transaction.atomic():
        # Lock both, always in the same order: merging A into B while B goes into A must not deadlock
        # or leave the two merged into each other.
        both = {
            r.pk: r
            for r in SupportRequest.objects.select_for_update(of=("self",))
            .select_related("partner", "customer")
            .filter(pk__in=[duplicate.pk, into.pk])
            .order_by("pk")
        }
        locked, into = both[duplicate.pk], both[into.pk]
        if locked.merged_into_id:
            raise Conflict(_("This request was already merged."), code="request_merged")
        if into.merged_into_id:
            raise Conflict(_("This request was merged into another one."), code="request_merged")
        locked.merged_into = into
        locked.status = SupportRequest.Status.CLOSED
        locked.closed_at = now
        touch(locked, now)
        locked.save()
        for target, text, code, number in (
            (
                locked,
                _("Merged into %(number)s.") % {"number": into.number},
                "support.merged_into",
                into.number,
            ),
            (
                into,
                _("%(number)s was merged into this request.") % {"number": locked.number},
                "support.merged_here",
                locked.number,
            ),
        ):
            Message.objects.create(
                support_request=target,
                **authored_by(principal),
                body=text,
                text_code=code,
                text_params={"number": number},
                visibility=Visibility.PUBLIC,
                source=Message.Source.SYSTEM,
                created_at=now,
            )
        audit.record(
            principal,
            action="support_request.merged",
            target=locked,
            organization=locked.customer,
            after={"merged_into": str(into.pk)},
        )
    return locked
