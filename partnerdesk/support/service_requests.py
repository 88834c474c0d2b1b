"""Service requests (partner ↔ operator, DOMAIN §5): a partner's own problem, or an escalation of a
customer's support request on its behalf; the operator's desk works them.

Status changes go through `tickets`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from partnerdesk.access import rules
from partnerdesk.access.permissions import Permission
from partnerdesk.access.principal import Principal
from partnerdesk.accounts.models import User
from partnerdesk.audit import services as audit
from partnerdesk.errors import Conflict, DomainError, Forbidden
from partnerdesk.support import emit, sla, tickets
from partnerdesk.support.common import (
    UNSET,
    authored_by,
    clean,
    desk_assignee,
    operator_id,
    service_audit_organization,
    touch,
    valid_severity,
)
from partnerdesk.support.mail import (
    customer_recipients,
    operator_recipients,
    partner_recipients,
    queue_thread_mail,
    support_context,
)
from partnerdesk.support.models import (
    Message,
    Note,
    ServiceRequest,
    SupportRequest,
    SupportTopic,
    Visibility,
)

if TYPE_CHECKING:
    from partnerdesk.catalog.models import Service
    from partnerdesk.tenancy.models import Organization

P = Permission


SERVICE_FIELDS = ["title", "severity", "status", "assignee", "topic", "resolution"]


@dataclass(frozen=True)
class NewServiceRequest:
    title: str
    description: str
    severity: str
    topic: SupportTopic
    contact: User | None = None
    service: Service | None = None


def _contact(principal: Principal, contact: User | None) -> User:
    contact = contact or principal.user
    if contact.organization_id != principal.organization.pk or contact.deleted_at is not None:
        raise DomainError(_("The contact must be a person of your organization."), code="invalid_contact")
    return contact


def _new_service_request(
    principal: Principal,
    data: NewServiceRequest,
    *,
    customer: Organization | None,
    support_request: Any,
    now: Any,
) -> ServiceRequest:
    if not data.topic.active:
        raise DomainError(_("This support topic is no longer offered."), code="invalid_topic")
    service_request = ServiceRequest(
        number=tickets.next_number("service_request", "SR"),
        partner=principal.organization,
        customer=customer,
        support_request=support_request,
        title=clean(data.title, _("Title"), limit=200),
        description=clean(data.description, _("Description")),
        severity=valid_severity(data.severity),
        topic=data.topic,
        service=data.service,
        contact=_contact(principal, data.contact),
        created_by=principal.user,
        created_at=now,
        updated_at=now,
    )
    from partnerdesk.tenancy.services import get_operator

    sla.start(service_request, now, sla.policy_for(get_operator().pk, service_request.severity))
    service_request.save()
    return service_request


def create_service_request(principal: Principal, data: NewServiceRequest) -> ServiceRequest:
    """File a partner's own problem with the operator (the second queue, no customer)."""
    principal.require(rules.SERVICE_REQUESTS_FILE)
    now = timezone.now()
    with transaction.atomic():
        service_request = _new_service_request(principal, data, customer=None, support_request=None, now=now)
        audit.record(
            principal,
            action="service_request.created",
            target=service_request,
            organization=principal.organization,
            after=audit.snapshot(service_request, ["number", "title", "severity", "topic", "status"]),
        )
        emit.service_request("service_request.created", service_request)
        queue_thread_mail(
            operator_recipients(service_request),
            "service_request_new",
            {"request": service_request, "partner": principal.organization.name, "customer": ""},
            "support.service_new",
        )
    return service_request


def escalate(
    principal: Principal,
    request: SupportRequest,
    data: NewServiceRequest,
    *,
    shared_message_ids: list[Any] | None = None,
) -> ServiceRequest:
    """Turn a customer's request into a service request to the operator, on the customer's behalf.

    The partner chooses which of the conversation to share; the two stay linked; the customer
    sees "escalated to the operator", never the operator's notes.
    """
    principal.require(rules.ESCALATE)
    now = timezone.now()
    with transaction.atomic():
        locked = tickets.lock(request)
        if ServiceRequest.objects.filter(support_request=locked).exists():
            raise Conflict(_("This request is already escalated."), code="already_escalated")
        if locked.status == SupportRequest.Status.CLOSED or locked.merged_into_id:
            raise Conflict(_("A closed request cannot be escalated."), code="request_closed")
        service_request = _new_service_request(
            principal, data, customer=locked.customer, support_request=locked, now=now
        )
        shared = Message.objects.filter(support_request=locked, pk__in=shared_message_ids or []).order_by(
            "created_at"
        )
        for message in shared:
            Note.objects.create(
                service_request=service_request,
                author=message.author,
                author_name=message.author_name,
                author_organization=message.author_organization,
                kind=Note.Kind.SHARED,
                body=message.body,
                created_at=now,
            )
        Message.objects.create(
            support_request=locked,
            **authored_by(principal),
            body=_("Escalated to the operator."),
            text_code="support.escalated",
            visibility=Visibility.PUBLIC,
            source=Message.Source.SYSTEM,
            created_at=now,
        )
        touch(locked, now)
        locked.save(update_fields=["updated_at"])
        audit.record(
            principal,
            action="support_request.escalated",
            target=locked,
            organization=locked.customer,
            after={"service_request": str(service_request.pk), "shared_messages": len(shared)},
        )
        emit.support_request(
            "support_request.escalated", locked, internal=True, service_request_id=service_request.pk
        )
        audit.record(
            principal,
            action="service_request.created",
            target=service_request,
            # The customer never sees the service request (DOMAIN §5), nor its audit events.
            organization=locked.partner,
            after=audit.snapshot(
                service_request, ["number", "title", "severity", "topic", "status", "customer"]
            ),
        )
        emit.service_request("service_request.created", service_request)
        queue_thread_mail(
            operator_recipients(service_request),
            "service_request_new",
            {
                "request": service_request,
                "partner": principal.organization.name,
                "customer": locked.customer.name,
            },
            "support.service_new",
        )
        queue_thread_mail(
            customer_recipients(locked),
            "support_request_escalated",
            support_context(locked),
            "support.escalated",
            invites_reply=True,
        )
    return service_request


def update_service_request(
    principal: Principal,
    service_request: ServiceRequest,
    *,
    status: str | None = None,
    assignee_id: Any = UNSET,
    severity: str | None = None,
    topic: SupportTopic | None = None,
    resolution: str = "",
) -> ServiceRequest:
    """The operator sets status (attention needed pauses its clock; closing needs a resolution),
    assignee, severity and topic; the partner may only close its own request.
    """
    principal.require(rules.SERVICE_REQUESTS_WORK)
    side = tickets.side_of(principal)
    operator_side = side is tickets.Side.OPERATOR
    if not operator_side and (
        assignee_id is not UNSET
        or severity is not None
        or topic is not None
        or status not in (None, "closed")
    ):
        raise Forbidden(_("The operator manages this; you may close your request."), code="operator_only")
    S = ServiceRequest.Status
    now = timezone.now()
    with transaction.atomic():
        locked = tickets.lock(service_request)
        before = audit.snapshot(locked, SERVICE_FIELDS)
        old_status = locked.status
        policy = sla.policy_for(operator_id(), locked.severity)
        if assignee_id is not UNSET:
            locked.assignee = desk_assignee(operator_id(), assignee_id, P.SUPPORT_OPERATOR_DESK)
        if severity is not None:
            locked.severity = valid_severity(severity)
        if topic is not None:
            locked.topic = topic
        if status is not None and status != locked.status:
            transition = tickets.step(tickets.SERVICE_REQUEST, locked.status, status, side)
            if transition.target == S.CLOSED:
                if not resolution.strip():
                    raise DomainError(_("Say how the request was resolved."), code="resolution_required")
                locked.resolution = resolution.strip()
            tickets.apply(locked, transition, now=now, policy=policy)
        if not tickets.save_change(
            principal,
            tickets.SERVICE_REQUEST,
            locked,
            before,
            fields=SERVICE_FIELDS,
            old_status=old_status,
            now=now,
            organization=service_audit_organization(locked),
        ):
            return locked
        emit.service_request_changed(locked, old_status)
        if locked.status != old_status:
            Note.objects.create(
                service_request=locked,
                **authored_by(principal),
                kind=Note.Kind.SYSTEM,
                body=_("Status changed to %(status)s.") % {"status": locked.get_status_display()},
                text_code="service_request.status_changed",
                text_params={"status": locked.status},
                created_at=now,
            )
            queue_thread_mail(
                partner_recipients(locked) if operator_side else operator_recipients(locked),
                "service_request_status",
                {"request": locked, "status": locked.get_status_display()},
                "support.service_status",
            )
    return locked
