"""The rules of support: who may open, answer, escalate and close what, and who hears about it.

Every change runs in one transaction with a row lock on the request, writes its audit event and
queues its e-mail in that same transaction (DOMAIN §5; STYLE 6).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from partnerdesk import uploads
from partnerdesk.access import rules
from partnerdesk.access.permissions import ROLE_PERMISSIONS, OrgKind, Permission, Role
from partnerdesk.access.principal import Principal
from partnerdesk.accounts.models import User
from partnerdesk.audit import services as audit
from partnerdesk.errors import Conflict, DomainError, Forbidden, NotFound
from partnerdesk.notifications.services import mail_domain, queue_mail
from partnerdesk.support import sla
from partnerdesk.support.models import (
    Attachment,
    CannedReply,
    Counter,
    Deflection,
    HelpArticle,
    Message,
    Note,
    PartnerFlag,
    SavedView,
    ServiceRequest,
    Severity,
    SlaPolicy,
    SubscriptionSupportContact,
    SupportProfile,
    SupportRequest,
    SupportTopic,
    Visibility,
)

if TYPE_CHECKING:
    from partnerdesk.catalog.models import Service
    from partnerdesk.tenancy.models import Organization

P = Permission

SUPPORT_FIELDS = ["title", "severity", "status", "assignee", "service", "merged_into"]
SERVICE_FIELDS = ["title", "severity", "status", "assignee", "topic", "resolution"]


def reopen_period() -> timedelta:
    return timedelta(days=settings.SUPPORT_REOPEN_DAYS)


# --- helpers -----------------------------------------------------------------------------------


def _next_number(name: str, prefix: str) -> str:
    """Hand out the next display key (SUP000123, SR000123).

    One UPDATE … RETURNING (PostgreSQL, SQLite 3.35+): it takes the counter's row lock until the
    transaction ends, so two requests never get the same number and a rolled-back one gives its back.
    """
    sql = f"UPDATE {Counter._meta.db_table} SET value = value + 1 WHERE name = %s RETURNING value"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [name])
        row = cursor.fetchone()
    if row is None:  # the first number of its kind
        Counter.objects.get_or_create(name=name)
        return _next_number(name, prefix)
    return f"{prefix}{row[0]:06d}"


def _clean(text: str, field: str, *, limit: int | None = None) -> str:
    text = (text or "").strip()
    if not text:
        raise DomainError(_("%(field)s is required.") % {"field": field}, code="field_required")
    if limit and len(text) > limit:
        raise DomainError(
            _("%(field)s is longer than %(limit)s characters.") % {"field": field, "limit": limit},
            code="field_too_long",
        )
    return text


def _severity(value: str) -> str:
    if value not in Severity.values:
        raise DomainError(_("Severity must be critical, moderate or minimal."), code="invalid_severity")
    return value


def _users_with(organization_id: Any, permission: Permission) -> list[User]:
    roles = [role for role, granted in ROLE_PERMISSIONS.items() if permission in granted]
    return list(
        User.objects.filter(
            organization_id=organization_id,
            role_assignments__role__in=roles,
            blocked=False,
            deleted_at__isnull=True,
        )
        .select_related("organization")
        .distinct()
        .order_by("email")
    )


def _holds(user: User, permission: Permission) -> bool:
    roles = {Role(r) for r in user.role_assignments.values_list("role", flat=True)}
    return any(permission in ROLE_PERMISSIONS[r] for r in roles)


def thread_headers(number: str, *, invites_reply: bool = False) -> dict[str, str]:
    """The headers that make mail clients show every e-mail about one request as one thread.

    Each notification has its own Message-ID; all of a request's refer to the same thread id, and
    those that invite the customer's reply say where replies go (SUPPORT_INBOUND_ADDRESS).
    """
    thread = f"<{number.lower()}@{mail_domain()}>"
    headers = {"In-Reply-To": thread, "References": thread}
    if invites_reply and settings.SUPPORT_INBOUND_ADDRESS:
        headers["Reply-To"] = settings.SUPPORT_INBOUND_ADDRESS
    return headers


def _mail(
    recipients: list[tuple[str, str]],
    template: str,
    context: dict[str, Any],
    kind: str,
    *,
    invites_reply: bool = False,
) -> None:
    """Queue one e-mail per address, each in its reader's language; duplicates are dropped.

    `invites_reply` marks mail to the customer about its support request, whose reply by e-mail is
    appended to the request.
    """
    number = context.get("number") or context["request"].number
    headers = thread_headers(number, invites_reply=invites_reply)
    seen: set[str] = set()
    for email, language in recipients:
        key = email.strip().lower()
        if not key or key in seen:
            continue
        seen.add(key)
        queue_mail(
            to=[email], template=template, context=context, language=language, kind=kind, headers=headers
        )


def _user_recipient(user: User | None) -> list[tuple[str, str]]:
    if user is None or user.blocked or user.deleted_at is not None:
        return []
    return [(user.email, user.effective_language)]


def partner_desk_recipients(request: SupportRequest) -> list[tuple[str, str]]:
    """Who hears about the customer's side: the assignee, else the partner's support address."""
    partner = request.partner
    if request.assignee_id:
        return _user_recipient(request.assignee)
    profile = SupportProfile.objects.filter(partner=partner).first()
    address = (profile.email if profile else "") or partner.contact_email
    if address:
        return [(address, partner.language)]
    return [(u.email, u.effective_language) for u in _users_with(partner.pk, P.SUPPORT_DESK)]


def customer_recipients(request: SupportRequest) -> list[tuple[str, str]]:
    """Who hears about the partner's answers: the requester and the contact person."""
    language = request.created_by.effective_language if request.created_by else request.customer.language
    recipients = _user_recipient(request.created_by)
    if request.contact_method == SupportRequest.ContactMethod.EMAIL or not recipients:
        recipients.append((request.contact_email, language))
    return recipients


def operator_recipients(service_request: ServiceRequest) -> list[tuple[str, str]]:
    """Who hears about the partner's side: the engineer assigned, else every support engineer."""
    if service_request.assignee_id:
        return _user_recipient(service_request.assignee)
    from partnerdesk.tenancy.models import Organization

    operator = Organization.objects.filter(kind=OrgKind.OPERATOR).first()
    if operator is None:
        return []
    return [(u.email, u.effective_language) for u in _users_with(operator.pk, P.SUPPORT_OPERATOR_DESK)]


def partner_recipients(service_request: ServiceRequest) -> list[tuple[str, str]]:
    """Who hears about the operator's answers: the partner contact and whoever filed it."""
    return _user_recipient(service_request.contact) + _user_recipient(service_request.created_by)


def _support_context(request: SupportRequest, **extra: Any) -> dict[str, Any]:
    return {"request": request, "number": request.number, "title": request.title, **extra}


def _locked_support(request: SupportRequest) -> SupportRequest:
    return (
        SupportRequest.objects.select_for_update(of=("self",))
        .select_related("partner", "customer")
        .get(pk=request.pk)
    )


def _locked_service(service_request: ServiceRequest) -> ServiceRequest:
    return (
        ServiceRequest.objects.select_for_update(of=("self",))
        .select_related("partner", "customer")
        .get(pk=service_request.pk)
    )


def _touch(instance: Any, now: Any) -> None:
    instance.updated_at = now


# --- support requests (customer ↔ partner) -------------------------------------------------------


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
    principal: Principal, data: NewSupportRequest, *, customer: Organization | None = None
) -> SupportRequest:
    """Open a request from a customer to its partner (a partner agent may do so on behalf).

    `customer` is for the partner's desk opening one for its own customer from a mail it received
    (a quarantined mail released to a new request); otherwise the customer is the principal's.
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
            number=_next_number("support_request", "SUP"),
            customer=customer,
            partner_id=customer.partner_id,
            title=_clean(data.title, _("Title"), limit=200),
            description=_clean(data.description, _("Description")),
            severity=_severity(data.severity),
            service=data.service,
            contact_name=_clean(data.contact_name, _("Contact person"), limit=200),
            contact_email=_clean(data.contact_email, _("Contact e-mail"), limit=254),
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
        request = SupportRequest.objects.select_related("partner", "customer", "assignee").get(pk=request.pk)
        _mail(
            partner_desk_recipients(request),
            "support_request_new",
            _support_context(request, customer=customer.name),
            "support.new",
        )
    return request


def add_message(
    principal: Principal,
    request: SupportRequest,
    *,
    body: str,
    visibility: str = Visibility.PUBLIC,
    source: str = Message.Source.WEB,
    inbound_message_id: str | None = None,
) -> Message:
    """Add a reply (or, for the partner, an internal note) to a support request's timeline."""
    principal.require(rules.SUPPORT_REQUESTS_WORK)
    partner_side = rules.on_partner_side(principal)
    if visibility not in Visibility.values:
        raise DomainError(_("Visibility must be public or internal."), code="invalid_visibility")
    if visibility == Visibility.INTERNAL and not partner_side:
        raise Forbidden(_("Only the partner writes internal notes."), code="internal_notes_partner_only")
    body = _clean(body, _("Message"))
    now = timezone.now()
    with transaction.atomic():
        locked = _locked_support(request)
        if locked.status == SupportRequest.Status.CLOSED or locked.merged_into_id:
            raise Conflict(_("This request is closed; reopen it to reply."), code="request_closed")
        if not partner_side and locked.status == SupportRequest.Status.RESOLVED:
            raise Conflict(_("This request is resolved; reopen it to reply."), code="request_resolved")
        message = Message.objects.create(
            support_request=locked,
            author=principal.user,
            author_name=principal.user.display_name,
            author_organization=principal.home_organization,
            body=body,
            visibility=visibility,
            source=source,
            inbound_message_id=inbound_message_id,
            created_at=now,
        )
        changed = ["updated_at"]
        if partner_side and visibility == Visibility.PUBLIC and locked.first_response_at is None:
            locked.first_response_at = now
            changed.append("first_response_at")
        if not partner_side and locked.status == SupportRequest.Status.WAITING_ON_CUSTOMER:
            locked.status = SupportRequest.Status.OPEN
            sla.resume(locked, now, sla.policy_for(locked.partner_id, locked.severity))
            changed += ["status", *_CLOCK_FIELDS]
        _touch(locked, now)
        locked.save(update_fields=changed)
        audit.record(
            principal,
            action="support_request.note_added"
            if visibility == Visibility.INTERNAL
            else "support_request.replied",
            target=locked,
            # An internal note is the partner's business: its audit event is not in the customer's log.
            organization=locked.partner if visibility == Visibility.INTERNAL else locked.customer,
            after={"message": str(message.pk), "visibility": visibility, "source": source},
        )
        if visibility == Visibility.PUBLIC:
            recipients = customer_recipients(locked) if partner_side else partner_desk_recipients(locked)
            _mail(
                recipients,
                "support_request_reply",
                _support_context(locked, message=message, author=principal.user.display_name),
                "support.reply",
                invites_reply=partner_side,
            )
    return message


_CLOCK_FIELDS = [
    "first_response_due_at",
    "resolution_due_at",
    "paused_at",
    "first_response_left_minutes",
    "resolution_left_minutes",
]


def _assignee(organization_id: Any, user_id: Any, permission: Permission) -> User | None:
    if user_id in (None, ""):
        return None
    try:
        user = User.objects.get(pk=user_id, organization_id=organization_id, deleted_at__isnull=True)
    except (User.DoesNotExist, ValueError, Exception):
        raise DomainError(_("Choose someone of your organization's desk."), code="invalid_assignee") from None
    if not _holds(user, permission):
        raise DomainError(
            _("%(name)s cannot work on requests.") % {"name": user.display_name}, code="invalid_assignee"
        )
    return user


UNSET: Any = object()


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
    partner_side = rules.on_partner_side(principal)
    now = timezone.now()
    with transaction.atomic():
        locked = _locked_support(request)
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
                locked.assignee = _assignee(locked.partner_id, assignee_id, P.SUPPORT_DESK)
            if severity is not None and severity != locked.severity:
                locked.severity = _severity(severity)
        if status is not None and status != locked.status:
            _support_transition(locked, status, partner_side=partner_side, now=now, policy=policy)
        after = audit.snapshot(locked, SUPPORT_FIELDS)
        if after == before:
            return locked
        _touch(locked, now)
        locked.save()
        audit.record(
            principal,
            action="support_request.updated"
            if locked.status == old_status
            else f"support_request.{locked.status}",
            target=locked,
            organization=locked.customer,
            before={k: v for k, v in before.items() if after[k] != v},
            after={k: v for k, v in after.items() if before[k] != v},
            reason=reason,
        )
        if locked.status != old_status:
            Message.objects.create(
                support_request=locked,
                author=principal.user,
                author_name=principal.user.display_name,
                author_organization=principal.home_organization,
                body=_("Status changed to %(status)s.") % {"status": locked.get_status_display()},
                text_code="support.status_changed",
                text_params={"status": locked.status},
                visibility=Visibility.PUBLIC,
                source=Message.Source.SYSTEM,
                created_at=now,
            )
            _mail(
                customer_recipients(locked) if partner_side else partner_desk_recipients(locked),
                "support_request_status",
                _support_context(locked, status=locked.get_status_display()),
                "support.status",
                invites_reply=partner_side,
            )
    return locked


def _support_transition(
    locked: SupportRequest, status: str, *, partner_side: bool, now: Any, policy: sla.Policy
) -> None:
    S = SupportRequest.Status
    if status not in S.values:
        raise DomainError(_("Unknown status."), code="invalid_status")
    current = locked.status
    if not partner_side and status not in (S.CLOSED, S.OPEN):
        raise Forbidden(
            _("You may close or reopen a request; your partner does the rest."), code="partner_only"
        )
    if status == S.OPEN:
        if current in (S.RESOLVED, S.CLOSED):
            finished_at = locked.closed_at or locked.resolved_at
            if not partner_side and finished_at and now - finished_at > reopen_period():
                raise Conflict(
                    _("This request can no longer be reopened; open a new one."), code="reopen_period_over"
                )
            locked.resolved_at = None
            locked.closed_at = None
            sla.start(locked, now, policy)
            locked.first_response_due_at = None if locked.first_response_at else locked.first_response_due_at
            locked.paused_at = None
        else:
            sla.resume(locked, now, policy)
    elif status == S.WAITING_ON_CUSTOMER:
        if current != S.OPEN:
            raise Conflict(_("Only an open request can wait on the customer."), code="invalid_transition")
        sla.pause(locked, now, policy)
    elif status == S.RESOLVED:
        if current == S.CLOSED:
            raise Conflict(_("This request is already closed."), code="invalid_transition")
        locked.resolved_at = now
        locked.paused_at = None
    elif status == S.CLOSED:
        locked.closed_at = now
        locked.paused_at = None
    locked.status = status


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
        _touch(locked, now)
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
                author=principal.user,
                author_name=principal.user.display_name,
                author_organization=principal.home_organization,
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


# --- escalation and service requests (partner ↔ operator) --------------------------------------


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
        number=_next_number("service_request", "SR"),
        partner=principal.organization,
        customer=customer,
        support_request=support_request,
        title=_clean(data.title, _("Title"), limit=200),
        description=_clean(data.description, _("Description")),
        severity=_severity(data.severity),
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
        _mail(
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
        locked = _locked_support(request)
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
            author=principal.user,
            author_name=principal.user.display_name,
            author_organization=principal.home_organization,
            body=_("Escalated to the operator."),
            text_code="support.escalated",
            visibility=Visibility.PUBLIC,
            source=Message.Source.SYSTEM,
            created_at=now,
        )
        _touch(locked, now)
        locked.save(update_fields=["updated_at"])
        audit.record(
            principal,
            action="support_request.escalated",
            target=locked,
            organization=locked.customer,
            after={"service_request": str(service_request.pk), "shared_messages": len(shared)},
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
        _mail(
            operator_recipients(service_request),
            "service_request_new",
            {
                "request": service_request,
                "partner": principal.organization.name,
                "customer": locked.customer.name,
            },
            "support.service_new",
        )
        _mail(
            customer_recipients(locked),
            "support_request_escalated",
            _support_context(locked),
            "support.escalated",
            invites_reply=True,
        )
    return service_request


def add_note(principal: Principal, service_request: ServiceRequest, *, body: str, kind: str) -> Note:
    """Add to a service request's timeline: the operator writes to the partner or internally, the
    partner answers. A partner's answer ends "attention needed" and restarts the operator's clock.
    """
    principal.require(rules.SERVICE_REQUESTS_WORK)
    if rules.on_operator_side(principal):
        allowed: tuple[str, ...] = (Note.Kind.TO_PARTNER, Note.Kind.OPERATOR_INTERNAL)
    else:
        allowed = (Note.Kind.FROM_PARTNER,)
    if kind not in allowed:
        raise Forbidden(_("You cannot write this kind of note."), code="note_kind_not_allowed")
    body = _clean(body, _("Note"))
    now = timezone.now()
    with transaction.atomic():
        locked = _locked_service(service_request)
        if locked.status == ServiceRequest.Status.CLOSED:
            raise Conflict(_("This service request is closed."), code="request_closed")
        note = Note.objects.create(
            service_request=locked,
            author=principal.user,
            author_name=principal.user.display_name,
            author_organization=principal.home_organization,
            kind=kind,
            body=body,
            created_at=now,
        )
        changed = ["updated_at"]
        if kind == Note.Kind.TO_PARTNER and locked.first_response_at is None:
            locked.first_response_at = now
            changed.append("first_response_at")
        if kind == Note.Kind.FROM_PARTNER and locked.status == ServiceRequest.Status.ATTENTION_NEEDED:
            locked.status = ServiceRequest.Status.OPEN
            sla.resume(locked, now, sla.policy_for(_operator_id(), locked.severity))
            changed += ["status", *_CLOCK_FIELDS]
        _touch(locked, now)
        locked.save(update_fields=changed)
        audit.record(
            principal,
            action=f"service_request.{kind}",
            target=locked,
            organization=_service_audit_organization(locked, internal=kind == Note.Kind.OPERATOR_INTERNAL),
            after={"note": str(note.pk), "kind": kind},
        )
        if kind == Note.Kind.TO_PARTNER:
            _mail(
                partner_recipients(locked),
                "service_request_note",
                {"request": locked, "note": note},
                "support.note",
            )
        elif kind == Note.Kind.FROM_PARTNER:
            _mail(
                operator_recipients(locked),
                "service_request_note",
                {"request": locked, "note": note},
                "support.note",
            )
    return note


def _service_audit_organization(service_request: ServiceRequest, *, internal: bool = False) -> Organization:
    """Whose audit log a service request's event goes to: the partner's (its customer never sees the
    service request), or only the operator's for what is internal to the operator."""
    if internal:
        from partnerdesk.tenancy.services import get_operator

        return get_operator()
    return service_request.partner


def _operator_id() -> Any:
    from partnerdesk.tenancy.services import get_operator

    return get_operator().pk


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
    operator_side = rules.on_operator_side(principal)
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
        locked = _locked_service(service_request)
        before = audit.snapshot(locked, SERVICE_FIELDS)
        old_status = locked.status
        policy = sla.policy_for(_operator_id(), locked.severity)
        if assignee_id is not UNSET:
            locked.assignee = _assignee(_operator_id(), assignee_id, P.SUPPORT_OPERATOR_DESK)
        if severity is not None:
            locked.severity = _severity(severity)
        if topic is not None:
            locked.topic = topic
        if status is not None and status != locked.status:
            if status not in S.values:
                raise DomainError(_("Unknown status."), code="invalid_status")
            if status == S.CLOSED:
                if not resolution.strip():
                    raise DomainError(_("Say how the request was resolved."), code="resolution_required")
                locked.resolution = resolution.strip()
                locked.closed_at = now
                locked.paused_at = None
            elif status == S.ATTENTION_NEEDED:
                if locked.status != S.OPEN:
                    raise Conflict(
                        _("Only an open request can wait on the partner."), code="invalid_transition"
                    )
                sla.pause(locked, now, policy)
            elif status == S.OPEN:
                if locked.status == S.CLOSED:
                    locked.closed_at = None
                    sla.start(locked, now, policy)
                    locked.first_response_due_at = (
                        None if locked.first_response_at else locked.first_response_due_at
                    )
                    locked.paused_at = None
                else:
                    sla.resume(locked, now, policy)
            locked.status = status
        after = audit.snapshot(locked, SERVICE_FIELDS)
        if after == before:
            return locked
        _touch(locked, now)
        locked.save()
        audit.record(
            principal,
            action="service_request.updated"
            if locked.status == old_status
            else f"service_request.{locked.status}",
            target=locked,
            organization=_service_audit_organization(locked),
            before={k: v for k, v in before.items() if after[k] != v},
            after={k: v for k, v in after.items() if before[k] != v},
        )
        if locked.status != old_status:
            Note.objects.create(
                service_request=locked,
                author=principal.user,
                author_name=principal.user.display_name,
                author_organization=principal.home_organization,
                kind=Note.Kind.SYSTEM,
                body=_("Status changed to %(status)s.") % {"status": locked.get_status_display()},
                text_code="service_request.status_changed",
                text_params={"status": locked.status},
                created_at=now,
            )
            _mail(
                partner_recipients(locked) if operator_side else operator_recipients(locked),
                "service_request_status",
                {"request": locked, "status": locked.get_status_display()},
                "support.service_status",
            )
    return locked


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
            reason=_clean(reason, _("Reason")),
            remediation=_clean(remediation, _("Remediation plan")),
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
    note = _clean(note, _("Note"))
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


# --- attachments -------------------------------------------------------------------------------


def add_attachment(
    principal: Principal,
    upload: UploadedFile,
    *,
    support_request: SupportRequest | None = None,
    service_request: ServiceRequest | None = None,
    internal: bool = False,
) -> Attachment:
    """Store a file on a request after checking its size and type (by name and by its first bytes)."""
    if support_request is not None:
        principal.require(rules.SUPPORT_REQUESTS_WORK)
        partner_side = rules.on_partner_side(principal)
        if internal and not partner_side:
            raise Forbidden(
                _("Only the partner adds internal attachments."), code="internal_notes_partner_only"
            )
        organization = support_request.partner if internal else support_request.customer
    elif service_request is not None:
        principal.require(rules.SERVICE_REQUESTS_WORK)
        operator_side = rules.on_operator_side(principal)
        if internal and not operator_side:
            raise Forbidden(_("Only the operator adds internal attachments."), code="note_kind_not_allowed")
        organization = _service_audit_organization(service_request, internal=internal)
    else:
        raise DomainError(_("Attach the file to a request."), code="invalid_request")
    checked = uploads.check(upload)
    filename, content_type, size = checked.filename, checked.content_type, checked.size
    with transaction.atomic():
        attachment = Attachment(
            support_request=support_request,
            service_request=service_request,
            internal=internal,
            filename=filename,
            content_type=content_type,
            size=size,
            uploaded_by=principal.user,
            uploaded_by_organization=principal.home_organization,
        )
        attachment.file.save(attachment.filename, upload, save=False)
        attachment.save()
        audit.record(
            principal,
            action="attachment.added",
            target=attachment,
            organization=organization,
            after={"filename": filename, "size": size, "content_type": content_type, "internal": internal},
        )
    return attachment


# --- profile, topics, articles, canned replies, saved views, SLA, deflections -------------------

PROFILE_FIELDS = ["email", "phone", "website", "hours"]


def update_support_profile(principal: Principal, changes: dict[str, str]) -> SupportProfile:
    """Save the partner's support profile that its customers see."""
    principal.require(rules.SUPPORT_PROFILE_EDIT)
    with transaction.atomic():
        profile, _created = SupportProfile.objects.select_for_update().get_or_create(
            partner=principal.organization
        )
        before = audit.snapshot(profile, PROFILE_FIELDS)
        for name in PROFILE_FIELDS:
            if name in changes:
                setattr(profile, name, (changes[name] or "").strip())
        profile.updated_at = timezone.now()
        profile.save()
        audit.record(
            principal,
            action="support_profile.updated",
            target=profile,
            organization=principal.organization,
            before=before,
            after=audit.snapshot(profile, PROFILE_FIELDS),
        )
    return profile


def set_subscription_contact(
    principal: Principal, subscription: Any, *, name: str, email: str, phone: str = ""
) -> SubscriptionSupportContact | None:
    """Designate (or, with no name and e-mail, remove) the support contact of one subscription."""
    principal.require(P.SUPPORT_PROFILE_EDIT)
    if subscription.partner_id != principal.organization.pk:
        raise NotFound(_("Not found."))
    with transaction.atomic():
        existing = (
            SubscriptionSupportContact.objects.select_for_update().filter(subscription=subscription).first()
        )
        before = audit.snapshot(existing, ["name", "email", "phone"]) if existing else None
        if not name.strip() and not email.strip():
            if existing is None:
                return None
            existing.delete()
            contact = None
            after = None
        else:
            contact = existing or SubscriptionSupportContact(subscription=subscription)
            contact.name = _clean(name, _("Name"), limit=200)
            contact.email = _clean(email, _("E-mail"), limit=254)
            contact.phone = phone.strip()[:40]
            contact.updated_at = timezone.now()
            contact.save()
            after = audit.snapshot(contact, ["name", "email", "phone"])
        audit.record(
            principal,
            action="subscription.support_contact_set",
            target=subscription,
            organization=subscription.customer,
            before=before,
            after=after,
        )
    return contact


def save_topic(
    principal: Principal,
    *,
    name: str,
    description: str = "",
    active: bool = True,
    topic: SupportTopic | None = None,
) -> SupportTopic:
    """Create or edit a support topic (operator managed)."""
    principal.require(P.SUPPORT_TOPICS_MANAGE)
    with transaction.atomic():
        topic = topic or SupportTopic()
        before = (
            audit.snapshot(topic, ["name", "description", "active"])
            if topic.pk and not topic._state.adding
            else None
        )
        topic.name = _clean(name, _("Name"), limit=120)
        topic.description = description.strip()[:300]
        topic.active = active
        if SupportTopic.objects.filter(name=topic.name).exclude(pk=topic.pk).exists():
            raise Conflict(_("A topic with this name exists."), code="duplicate_topic")
        topic.save()
        audit.record(
            principal,
            action="support_topic.saved",
            target=topic,
            organization=principal.organization,
            before=before,
            after=audit.snapshot(topic, ["name", "description", "active"]),
        )
    return topic


def save_article(
    principal: Principal,
    *,
    title: str,
    body: str,
    language: str,
    services: list[Any],
    published: bool = True,
    article: HelpArticle | None = None,
) -> HelpArticle:
    """Write or edit a help article; the operator's reach everyone, a partner's its customers."""
    principal.require(P.SUPPORT_ARTICLES_WRITE)
    if article is not None and article.author_organization_id != principal.organization.pk:
        raise Forbidden(_("Only the author's organization edits this article."), code="not_author")
    now = timezone.now()
    with transaction.atomic():
        creating = article is None
        article = article or HelpArticle(
            author_organization=principal.organization, created_by=principal.user
        )
        article.title = _clean(title, _("Title"), limit=200)
        article.body = _clean(body, _("Body"))
        article.language = language or "en"
        article.published = published
        article.updated_at = now
        article.save()
        article.services.set(services)
        audit.record(
            principal,
            action="help_article.created" if creating else "help_article.updated",
            target=article,
            organization=principal.organization,
            after={"title": article.title, "language": article.language, "published": published},
        )
    from partnerdesk.support import search

    search.index(article)
    return article


def record_deflection(
    principal: Principal, *, article: HelpArticle | None, service: Service | None, query: str = ""
) -> Deflection:
    """Count "this solved it": the customer did not need to open a request."""
    principal.require(P.SUPPORT_REQUESTS)
    customer = principal.organization
    if not customer.is_customer or customer.partner_id is None:
        raise Forbidden(_("Only a customer records that self-help solved it."), code="customers_only")
    with transaction.atomic():
        deflection = Deflection.objects.create(
            customer=customer,
            partner_id=customer.partner_id,
            user=principal.user,
            article=article,
            service=service,
            query=query.strip()[:300],
        )
        audit.record(
            principal,
            action="support.deflected",
            target=deflection,
            organization=customer,
            after={"article": article.title if article else None, "query": query.strip()[:300]},
        )
    return deflection


def save_canned_reply(principal: Principal, *, title: str, body: str) -> CannedReply:
    """Add a reusable reply to the partner's desk."""
    principal.require(P.SUPPORT_DESK)
    with transaction.atomic():
        reply = CannedReply.objects.create(
            partner=principal.organization,
            title=_clean(title, _("Title"), limit=120),
            body=_clean(body, _("Body")),
        )
        audit.record(
            principal, action="canned_reply.created", target=reply, organization=principal.organization
        )
    return reply


def save_view(principal: Principal, *, queue: str, name: str, query: str) -> SavedView:
    """Remember the current queue filters under a name, for this user."""
    with transaction.atomic():
        view = SavedView.objects.create(
            user=principal.user, queue=queue, name=_clean(name, _("Name"), limit=80), query=query[:500]
        )
        audit.record(
            principal, action="saved_view.created", target=view, organization=principal.home_organization
        )
    return view


MAX_TARGET_MINUTES = 365 * 24 * 60


def set_sla_policy(
    principal: Principal,
    *,
    severity: str,
    first_response_minutes: int,
    resolution_minutes: int,
    around_the_clock: bool,
    time_zone: str = "UTC",
    workday_start: str = "09:00",
    workday_end: str = "18:00",
    workdays: list[int] | None = None,
    holidays: list[str] | None = None,
) -> SlaPolicy:
    """Set one severity's targets of the principal's organization (applies to new requests)."""
    principal.require(P.SUPPORT_SLA_MANAGE)
    if first_response_minutes < 1 or resolution_minutes < first_response_minutes:
        raise DomainError(
            _("Targets must be positive, and resolution no sooner than first response."),
            code="invalid_targets",
        )
    # Every new request computes its due times from this policy: refuse one they cannot be computed
    # from (business hours that never open, targets beyond the clock's horizon), or opening requests
    # would fail for all of the organization's customers.
    try:
        if resolution_minutes > MAX_TARGET_MINUTES:
            raise ValueError("target too far")
        sla.add_business_minutes(
            timezone.now(),
            resolution_minutes,
            sla.Policy(
                first_response_minutes=first_response_minutes,
                resolution_minutes=resolution_minutes,
                around_the_clock=around_the_clock,
                time_zone=time_zone,
                workday_start=time.fromisoformat(workday_start),
                workday_end=time.fromisoformat(workday_end),
                workdays=tuple(workdays if workdays is not None else [0, 1, 2, 3, 4]),
                holidays=frozenset(date.fromisoformat(str(d)) for d in holidays or []),
            ),
        )
    except (ValueError, OverflowError, KeyError):
        raise DomainError(
            _("These targets cannot be reached within the business hours; check the hours and the targets."),
            code="invalid_targets",
        ) from None
    with transaction.atomic():
        policy, _created = SlaPolicy.objects.update_or_create(
            organization=principal.organization,
            severity=_severity(severity),
            defaults={
                "first_response_minutes": first_response_minutes,
                "resolution_minutes": resolution_minutes,
                "around_the_clock": around_the_clock,
                "time_zone": time_zone,
                "workday_start": workday_start,
                "workday_end": workday_end,
                "workdays": workdays if workdays is not None else [0, 1, 2, 3, 4],
                "holidays": holidays or [],
            },
        )
        audit.record(
            principal,
            action="sla_policy.saved",
            target=policy,
            organization=principal.organization,
            after={
                "severity": severity,
                "first_response_minutes": first_response_minutes,
                "resolution_minutes": resolution_minutes,
            },
        )
    return policy


def get_visible_user(organization_id: Any, user_id: Any) -> User:
    try:
        return User.objects.get(pk=user_id, organization_id=organization_id)
    except (User.DoesNotExist, ValueError, Exception):
        raise NotFound(_("Not found.")) from None


def active_topics() -> Any:
    return SupportTopic.objects.filter(active=True).order_by("name")


def desk_agents(organization_id: Any) -> list[User]:
    """People who can be assigned a customer request (partner) or a service request (operator)."""
    from partnerdesk.tenancy.models import Organization

    organization = Organization.objects.get(pk=organization_id)
    permission = P.SUPPORT_OPERATOR_DESK if organization.is_operator else P.SUPPORT_DESK
    return _users_with(organization_id, permission)


def open_q() -> Q:
    return ~Q(status__in=["resolved", "closed"])
