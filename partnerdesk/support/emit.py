"""The events support emits (the catalog is `events.catalog`): one call per change, in its transaction.

A support request is the customer's and its partner's (never the operator's); an internal note is the
partner's desk only. A service request is the partner's and the operator's, never the customer's;
an operator-internal note is the operator's only.
"""

from __future__ import annotations

from typing import Any

from partnerdesk.events.services import Audience, emit
from partnerdesk.support.models import Message, Note, ServiceRequest, SupportRequest, Visibility


def _support_data(request: SupportRequest, **extra: Any) -> dict[str, Any]:
    return {
        "id": request.pk,
        "number": request.number,
        "title": request.title,
        "status": request.status,
        "severity": request.severity,
        "customer_id": request.customer_id,
        "partner_id": request.partner_id,
        "service_id": request.service_id,
        **extra,
    }


def _service_data(request: ServiceRequest, **extra: Any) -> dict[str, Any]:
    return {
        "id": request.pk,
        "number": request.number,
        "title": request.title,
        "status": request.status,
        "severity": request.severity,
        "partner_id": request.partner_id,
        "customer_id": request.customer_id,
        "support_request_id": request.support_request_id,
        **extra,
    }


def support_request(name: str, request: SupportRequest, *, internal: bool = False, **extra: Any) -> None:
    """`support_request.<name>` for the customer and its partner (`internal`: the partner only)."""
    emit(name, request, _support_data(request, **extra), Audience.of(request, internal=internal))


def support_request_changed(request: SupportRequest, old_status: str) -> None:
    """`.closed` when the change closed it, else `.updated` (status, severity, assignee)."""
    closed = request.status != old_status and request.status == SupportRequest.Status.CLOSED
    support_request("support_request.closed" if closed else "support_request.updated", request)


def support_message(request: SupportRequest, message: Message) -> None:
    """`support_request.message_added`: a reply, or an internal note the customer never receives."""
    internal = message.visibility == Visibility.INTERNAL
    support_request(
        "support_request.message_added",
        request,
        internal=internal,
        message_id=message.pk,
        visibility=message.visibility,
    )


def service_request(name: str, request: ServiceRequest, *, operator_only: bool = False, **extra: Any) -> None:
    """`service_request.<name>` for the operator and the partner (`operator_only`: the operator's own)."""
    audience = Audience(
        operator=True,
        partner_id=None if operator_only else request.partner_id,
        customer_id=request.customer_id,
        internal=True,  # the customer never sees the service request (DOMAIN §5)
    )
    emit(name, request, _service_data(request, **extra), audience)


def service_request_changed(request: ServiceRequest, old_status: str) -> None:
    """`.attention_needed` or `.closed` when the change moved it there, else `.updated`."""
    name = "service_request.updated"
    if request.status != old_status and request.status in ("attention_needed", "closed"):
        name = f"service_request.{request.status}"
    service_request(name, request)


def service_note(request: ServiceRequest, note: Note) -> None:
    """`service_request.note_added`: an operator-internal note goes to the operator only."""
    operator_only = note.kind == Note.Kind.OPERATOR_INTERNAL
    service_request(
        "service_request.note_added", request, operator_only=operator_only, note_id=note.pk, kind=note.kind
    )
