"""Quarantined inbound mail: the partner's desk releases a mail to a request, or discards it.

`inbound.process` keeps what it cannot append (no or an unknown request number, a sender who is not a
person of the customer, …) as a quarantined `InboundMail` of the desk it was addressed to. A person of
that desk then decides: the mail becomes a message of an open request of one of its customers (or of
a new request for a chosen customer), attachments included, or it is discarded. Either way the row
stays, so the same Message-ID is never processed again; a discarded mail keeps no content.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from typing import TYPE_CHECKING, Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from partnerdesk.access.permissions import Permission
from partnerdesk.access.principal import Principal
from partnerdesk.audit import services as audit
from partnerdesk.errors import Conflict, DomainError, NotFound
from partnerdesk.support import support_requests, timeline
from partnerdesk.support.inputs import SupportRequestIn
from partnerdesk.support.models import InboundMail, Message, SupportRequest

if TYPE_CHECKING:
    from partnerdesk.tenancy.models import Organization

P = Permission
NUMBER = re.compile(r"\s*\[SUP\d{6,}\]\s*")
QUOTE_START = re.compile(r"^(On .+ wrote:|-----Original Message-----|>)", re.MULTILINE)


@dataclass(frozen=True)
class Attachment:
    """A file the mail carries, as a release would store it."""

    filename: str
    content_type: str
    content: bytes


@dataclass(frozen=True)
class Contents:
    """What a quarantined mail says, read from its raw bytes."""

    body: str
    attachments: list[Attachment]


def contents(mail: InboundMail) -> Contents:
    """The mail's plain-text body (without the quoted history) and its attachments."""
    try:
        parsed: Any = message_from_bytes(bytes(mail.raw or b""), policy=default_policy)
    except Exception:
        return Contents(body="", attachments=[])
    if not isinstance(parsed, EmailMessage):
        return Contents(body="", attachments=[])
    body = ""
    try:
        part = parsed.get_body(preferencelist=("plain",))
        if part is not None:
            body = str(part.get_content())
            quote = QUOTE_START.search(body)
            if quote is not None:
                body = body[: quote.start()]
    except Exception:
        body = ""
    attachments = []
    for part in parsed.iter_attachments():
        payload = part.get_payload(decode=True)
        attachments.append(
            Attachment(
                filename=part.get_filename() or "attachment",
                content_type=part.get_content_type(),
                content=payload if isinstance(payload, bytes) else b"",
            )
        )
    return Contents(body=body.strip(), attachments=attachments)


def _locked_quarantined(principal: Principal, mail: InboundMail) -> InboundMail:
    locked = InboundMail.objects.select_for_update().get(pk=mail.pk)
    if locked.partner_id != principal.organization.pk:
        raise NotFound(_("Not found."))
    if locked.status != InboundMail.Status.QUARANTINED:
        raise Conflict(_("This mail was already released or discarded."), code="mail_not_quarantined")
    return locked


def release(
    principal: Principal,
    mail: InboundMail,
    *,
    support_request: SupportRequest | None = None,
    customer: Organization | None = None,
) -> SupportRequest:
    """Make the quarantined mail a message of an open request of the desk's customer, or of a new
    request for `customer`; its attachments go with it. Exactly one of the two is named.
    """
    principal.require(P.SUPPORT_INBOUND_QUARANTINE)
    if (support_request is None) == (customer is None):
        raise DomainError(
            _("Choose an open request, or a customer to open a new request for."), code="release_target"
        )
    now = timezone.now()
    with transaction.atomic():
        locked = _locked_quarantined(principal, mail)
        read = contents(locked)
        body = read.body or _("(The e-mail has no text.)")
        if support_request is None:
            assert customer is not None
            title = NUMBER.sub(" ", locked.subject).strip() or _("E-mail from %(sender)s") % {
                "sender": locked.sender or _("an unknown sender")
            }
            target = support_requests.create_support_request(
                principal,
                # What a mail carries is not typed input: the service's own checks apply to it.
                SupportRequestIn.model_construct(
                    title=title[:200],
                    description=body,
                    severity="moderate",
                    contact_name=locked.sender or customer.name,
                    contact_email=locked.sender or customer.contact_email or "-",
                ),
                customer=customer,
            )
        else:
            target = SupportRequest.objects.select_for_update().get(pk=support_request.pk)
            if target.partner_id != principal.organization.pk:
                raise NotFound(_("Not found."))
            if target.status in (SupportRequest.Status.RESOLVED, SupportRequest.Status.CLOSED) or (
                target.merged_into_id
            ):
                raise Conflict(_("Choose a request that is still open."), code="request_not_open")
            SupportRequest.objects.filter(pk=target.pk).update(updated_at=now)
        message = Message.objects.create(
            support_request=target,
            author=None,
            author_name=locked.sender,
            author_organization=target.customer,
            body=body,
            source=Message.Source.EMAIL,
            inbound_message_id=locked.message_id,
            created_at=now,
        )
        stored = []
        for attachment in read.attachments:
            upload = SimpleUploadedFile(attachment.filename, attachment.content, attachment.content_type)
            try:
                timeline.add_attachment(principal, upload, support_request=target)
            except DomainError as refused:
                # The same as mail appended directly: a refused file is dropped, and the timeline says so.
                timeline.add_message(
                    principal,
                    target,
                    body=f"[{attachment.filename}: {refused.message}]",
                    source=Message.Source.SYSTEM,
                )
            else:
                stored.append(attachment.filename)
        InboundMail.objects.filter(pk=locked.pk).update(
            status=InboundMail.Status.RELEASED,
            support_request=target,
            handled_by=principal.user,
            handled_at=now,
        )
        locked.refresh_from_db()
        audit.record(
            principal,
            action="inbound_mail.released",
            target=locked,
            organization=principal.organization,
            before={"status": InboundMail.Status.QUARANTINED},
            after={
                "status": InboundMail.Status.RELEASED,
                "request": target.number,
                "message": str(message.pk),
                "attachments": stored,
            },
        )
    return target


def discard(principal: Principal, mail: InboundMail) -> InboundMail:
    """Throw the quarantined mail away: its content is deleted, the Message-ID kept so it stays gone."""
    principal.require(P.SUPPORT_INBOUND_QUARANTINE)
    with transaction.atomic():
        locked = _locked_quarantined(principal, mail)
        InboundMail.objects.filter(pk=locked.pk).update(
            status=InboundMail.Status.DISCARDED,
            raw=b"",
            handled_by=principal.user,
            handled_at=timezone.now(),
        )
        locked.refresh_from_db()
        audit.record(
            principal,
            action="inbound_mail.discarded",
            target=locked,
            organization=principal.organization,
            before={"status": InboundMail.Status.QUARANTINED, "sender": locked.sender},
            after={"status": InboundMail.Status.DISCARDED},
        )
    return locked
