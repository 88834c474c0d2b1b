"""Who hears about a request and how: one e-mail per address in its reader's language, threaded.

Every function here only queues mail inside the caller's transaction (the worker sends it after commit).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings

from partnerdesk.access.permissions import OrgKind, Permission
from partnerdesk.accounts.models import User
from partnerdesk.notifications.services import mail_domain, queue_mail
from partnerdesk.support.common import users_with
from partnerdesk.support.models import ServiceRequest, SupportProfile, SupportRequest

if TYPE_CHECKING:
    pass

P = Permission


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


def queue_thread_mail(
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


def _desk_profile(partner: Any) -> SupportProfile | None:
    """The partner's desk profile: the one read with it (`select_related`) when it was, else a query."""
    if "support_profile" in partner._state.fields_cache:
        cached: SupportProfile | None = partner._state.fields_cache["support_profile"]
        return cached
    return SupportProfile.objects.filter(partner=partner).first()


def partner_desk_recipients(request: SupportRequest) -> list[tuple[str, str]]:
    """Who hears about the customer's side: the assignee, else the partner's support address."""
    partner = request.partner
    if request.assignee_id:
        return _user_recipient(request.assignee)
    profile = _desk_profile(partner)
    address = (profile.email if profile else "") or partner.contact_email
    if address:
        return [(address, partner.language)]
    return [(u.email, u.effective_language) for u in users_with(partner.pk, P.SUPPORT_DESK)]


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
    return [(u.email, u.effective_language) for u in users_with(operator.pk, P.SUPPORT_OPERATOR_DESK)]


def partner_recipients(service_request: ServiceRequest) -> list[tuple[str, str]]:
    """Who hears about the operator's answers: the partner contact and whoever filed it."""
    return _user_recipient(service_request.contact) + _user_recipient(service_request.created_by)


def support_context(request: SupportRequest, **extra: Any) -> dict[str, Any]:
    """What every support-request mail template gets: the request, its number and title."""
    return {"request": request, "number": request.number, "title": request.title, **extra}
