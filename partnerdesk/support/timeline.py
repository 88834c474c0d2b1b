"""A request's timeline: replies and internal notes of support requests, notes of service requests,
attachments of both.

An answer from the side a request waits on moves it back to open (the transition each kind declares
in `tickets`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from partnerdesk import uploads
from partnerdesk.access import rules
from partnerdesk.access.principal import Principal
from partnerdesk.audit import services as audit
from partnerdesk.errors import Conflict, DomainError, Forbidden
from partnerdesk.support import emit, sla, tickets
from partnerdesk.support.common import authored_by, clean, operator_id, service_audit_organization, touch
from partnerdesk.support.mail import (
    customer_recipients,
    operator_recipients,
    partner_desk_recipients,
    partner_recipients,
    queue_thread_mail,
    support_context,
)
from partnerdesk.support.models import (
    Attachment,
    Message,
    Note,
    ServiceRequest,
    SupportRequest,
    Visibility,
)
from partnerdesk.support.tickets import CLOCK_FIELDS

if TYPE_CHECKING:
    pass


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
    body = clean(body, _("Message"))
    now = timezone.now()
    with transaction.atomic():
        locked = tickets.lock(request)
        if locked.status == SupportRequest.Status.CLOSED or locked.merged_into_id:
            raise Conflict(_("This request is closed; reopen it to reply."), code="request_closed")
        if not partner_side and locked.status == SupportRequest.Status.RESOLVED:
            raise Conflict(_("This request is resolved; reopen it to reply."), code="request_resolved")
        message = Message.objects.create(
            support_request=locked,
            **authored_by(principal),
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
        move = tickets.answered(tickets.SUPPORT_REQUEST, locked, tickets.side_of(principal))
        if move is not None:
            tickets.apply(locked, move, now=now, policy=sla.policy_for(locked.partner_id, locked.severity))
            changed += ["status", *CLOCK_FIELDS]
        touch(locked, now)
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
        emit.support_message(locked, message)
        if visibility == Visibility.PUBLIC:
            recipients = customer_recipients(locked) if partner_side else partner_desk_recipients(locked)
            queue_thread_mail(
                recipients,
                "support_request_reply",
                support_context(locked, message=message, author=principal.user.display_name),
                "support.reply",
                invites_reply=partner_side,
            )
    return message


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
    body = clean(body, _("Note"))
    now = timezone.now()
    with transaction.atomic():
        locked = tickets.lock(service_request)
        if locked.status == ServiceRequest.Status.CLOSED:
            raise Conflict(_("This service request is closed."), code="request_closed")
        note = Note.objects.create(
            service_request=locked,
            **authored_by(principal),
            kind=kind,
            body=body,
            created_at=now,
        )
        changed = ["updated_at"]
        if kind == Note.Kind.TO_PARTNER and locked.first_response_at is None:
            locked.first_response_at = now
            changed.append("first_response_at")
        move = tickets.answered(tickets.SERVICE_REQUEST, locked, tickets.side_of(principal))
        if kind == Note.Kind.FROM_PARTNER and move is not None:
            tickets.apply(locked, move, now=now, policy=sla.policy_for(operator_id(), locked.severity))
            changed += ["status", *CLOCK_FIELDS]
        touch(locked, now)
        locked.save(update_fields=changed)
        audit.record(
            principal,
            action=f"service_request.{kind}",
            target=locked,
            organization=service_audit_organization(locked, internal=kind == Note.Kind.OPERATOR_INTERNAL),
            after={"note": str(note.pk), "kind": kind},
        )
        emit.service_note(locked, note)
        if kind == Note.Kind.TO_PARTNER:
            queue_thread_mail(
                partner_recipients(locked),
                "service_request_note",
                {"request": locked, "note": note},
                "support.note",
            )
        elif kind == Note.Kind.FROM_PARTNER:
            queue_thread_mail(
                operator_recipients(locked),
                "service_request_note",
                {"request": locked, "note": note},
                "support.note",
            )
    return note


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
        organization = service_audit_organization(service_request, internal=internal)
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
