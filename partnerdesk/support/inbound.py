"""Inbound mail: a requester's reply to a notification is appended to the request.

The request is found by its number in the subject (`[SUP000123]`, which every notification
carries); the sender must be a person of the customer allowed to use support (usually the
requester). Each Message-ID is processed once. Anything that cannot be appended is kept as a
quarantined InboundMail for a person to look at, and processing goes on with the next message.
"""

from __future__ import annotations

import hashlib
import logging
import re
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from email.utils import getaddresses, parseaddr
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.utils import translation

from partnerdesk import texts
from partnerdesk.access.permissions import OrgKind, Permission
from partnerdesk.access.principal import principal_for
from partnerdesk.accounts.models import User
from partnerdesk.errors import DomainError
from partnerdesk.support import support_requests, timeline
from partnerdesk.support.models import InboundMail, Message, SupportProfile, SupportRequest
from partnerdesk.tenancy.models import Organization

log = logging.getLogger(__name__)

NUMBER = re.compile(r"\[(SUP\d{6,})\]")
QUOTE_START = re.compile(r"^(On .+ wrote:|-----Original Message-----|>)", re.MULTILINE)
MAX_RAW_BYTES = 25 * 1024 * 1024


class Quarantine(Exception):
    """The message cannot be appended; keep it for a person, saying why as a text code (support/texts.py)."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


def process(raw: bytes) -> InboundMail:
    """Append one received message to its request, or quarantine it. Safe to call twice."""
    message_id = _message_id(raw)
    done = InboundMail.objects.filter(message_id=message_id).first()
    if done is not None:
        return done
    try:
        with transaction.atomic():
            request = _append(raw, message_id)
            sender, subject = _sender_and_subject(raw)
            return InboundMail.objects.create(
                message_id=message_id,
                status=InboundMail.Status.APPENDED,
                support_request=request,
                partner_id=request.partner_id,
                sender=sender,
                subject=subject,
            )
    except IntegrityError:
        # Another worker appended the same Message-ID in between.
        existing = InboundMail.objects.filter(message_id=message_id).first()
        if existing is not None:
            return existing
        return _quarantine(raw, message_id, Quarantine("inbound.duplicate"))
    except Quarantine as problem:
        return _quarantine(raw, message_id, problem)
    except DomainError as refused:
        return _quarantine(raw, message_id, Quarantine("inbound.refused", message=str(refused.message)))
    except Exception as failure:  # a malformed message must not block the rest
        log.exception("inbound mail %s could not be processed", message_id)
        return _quarantine(
            raw,
            message_id,
            Quarantine("inbound.unreadable", error=f"{type(failure).__name__}: {failure}"[:1000]),
        )


def _quarantine(raw: bytes, message_id: str, reason: Quarantine) -> InboundMail:
    sender, subject = _sender_and_subject(raw)
    with translation.override("en"):
        english = texts.render(reason.code, reason.params, reason.code)
    mail, _created = InboundMail.objects.get_or_create(
        message_id=message_id,
        defaults={
            "status": InboundMail.Status.QUARANTINED,
            "error": english[:2000],
            "text_code": reason.code,
            "text_params": reason.params,
            "raw": raw[:MAX_RAW_BYTES],
            "sender": sender,
            "subject": subject,
            "partner": _desk(raw, sender, subject),
        },
    )
    return mail


def _sender_and_subject(raw: bytes) -> tuple[str, str]:
    try:
        parsed = message_from_bytes(raw, policy=default_policy)
        sender = parseaddr(str(parsed.get("From", "")))[1].strip().lower()
        return sender[:320], str(parsed.get("Subject", "")).strip()[:300]
    except Exception:
        return "", ""


def _desk(raw: bytes, sender: str, subject: str) -> Organization | None:
    """The partner desk a quarantined mail was addressed to, so only that desk sees it.

    In order: the request its subject names, the partner of the customer its sender belongs to,
    the partner whose support address it was sent to. None when nothing names a desk.
    """
    match = NUMBER.search(subject)
    if match is not None:
        request = SupportRequest.objects.select_related("partner").filter(number=match.group(1)).first()
        if request is not None:
            return request.partner
    if sender:
        user = (
            User.objects.select_related("organization__partner")
            .filter(email__iexact=sender, organization__kind=OrgKind.CUSTOMER)
            .first()
        )
        if user is not None and user.organization.partner is not None:
            return user.organization.partner
    try:
        parsed = message_from_bytes(raw, policy=default_policy)
        addresses = [
            a.lower()
            for _name, a in getaddresses(
                [str(v) for v in parsed.get_all("To", []) + parsed.get_all("Cc", [])]
            )
            if a
        ]
    except Exception:
        addresses = []
    if addresses:
        profile = (
            SupportProfile.objects.select_related("partner")
            .filter(email__in=addresses)
            .exclude(email="")
            .first()
        )
        if profile is not None:
            return profile.partner
    return None


def _message_id(raw: bytes) -> str:
    try:
        parsed = message_from_bytes(raw, policy=default_policy)
        value = str(parsed.get("Message-ID", "") or "").strip()
    except Exception:
        value = ""
    return value[:300] or f"<sha256-{hashlib.sha256(raw).hexdigest()}@unknown>"


def _append(raw: bytes, message_id: str) -> SupportRequest:
    if len(raw) > MAX_RAW_BYTES:
        raise Quarantine("inbound.too_large", megabytes=MAX_RAW_BYTES // (1024 * 1024))
    parsed: Any = message_from_bytes(raw, policy=default_policy)
    if not isinstance(parsed, EmailMessage):
        raise Quarantine("inbound.not_email")
    subject = str(parsed.get("Subject", ""))
    match = NUMBER.search(subject)
    if match is None:
        raise Quarantine("inbound.no_number")
    request = (
        SupportRequest.objects.select_related("customer", "partner").filter(number=match.group(1)).first()
    )
    if request is None:
        raise Quarantine("inbound.unknown_number", number=match.group(1))
    sender = parseaddr(str(parsed.get("From", "")))[1].strip().lower()
    user = _sender(request, sender)
    principal = principal_for(user, channel="email")
    body = _body(parsed)
    if not body:
        raise Quarantine("inbound.empty")
    if request.status in (SupportRequest.Status.RESOLVED, SupportRequest.Status.CLOSED):
        support_requests.update_support_request(principal, request, status="open", reason="reply by e-mail")
    timeline.add_message(
        principal,
        request,
        body=body,
        source=Message.Source.EMAIL,
        inbound_message_id=message_id,
    )
    for part in parsed.iter_attachments():
        payload = part.get_payload(decode=True)
        content = payload if isinstance(payload, bytes) else b""
        upload = SimpleUploadedFile(part.get_filename() or "attachment", content, part.get_content_type())
        try:
            timeline.add_attachment(principal, upload, support_request=request)
        except DomainError as refused:
            # An oversized or disallowed attachment is dropped, and the timeline says so.
            timeline.add_message(
                principal,
                request,
                body=f"[{upload.name}: {refused.message}]",
                source=Message.Source.SYSTEM,
            )
    return request


def _sender(request: SupportRequest, sender: str) -> User:
    """The customer-side user the reply comes from; anyone else is quarantined."""
    user = User.objects.filter(email__iexact=sender, organization_id=request.customer_id).first()
    if user is None or not user.is_active:
        raise Quarantine("inbound.not_a_person_of_the_customer", customer=request.customer.name)
    if not principal_for(user).has(Permission.SUPPORT_REQUESTS):
        raise Quarantine("inbound.may_not_use_support")
    return user


def _body(parsed: EmailMessage) -> str:
    part = parsed.get_body(preferencelist=("plain",))
    if part is None:
        return ""
    text = str(part.get_content())
    quote = QUOTE_START.search(text)
    if quote is not None:
        text = text[: quote.start()]
    return text.strip()
