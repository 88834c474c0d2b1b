"""API: support requests (customer ↔ partner), service requests (partner ↔ operator), topics,
attachments and help-article search.

Operations both sides use require a named rule (`access.rules`): `SUPPORT_REQUESTS_WORK` (a customer
holds support.requests, a partner support.desk; the operator is refused) and `SERVICE_REQUESTS_WORK`
(a partner holds support.escalate, the operator support.operator_desk; a customer is refused).
Every create honours an `Idempotency-Key` header (the platform wrapper, `partnerdesk.idempotency`).
"""

import uuid
from datetime import datetime
from typing import Any, Literal

from django.http import FileResponse, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import Field

from partnerdesk import etags
from partnerdesk.access import policy, rules
from partnerdesk.access.permissions import OrgKind, Permission
from partnerdesk.access.principal import Principal
from partnerdesk.api import ERRORS, ErrorOut, Out, PageOut, principal_of, requires, signed_in
from partnerdesk.errors import DomainError
from partnerdesk.pagination import paginate
from partnerdesk.support import (
    common,
    desk,
    flags,
    knowledge,
    quarantine,
    queries,
    service_requests,
    support_requests,
    timeline,
)
from partnerdesk.support.inputs import (
    EscalateIn,
    FlagIn,
    FlagResolveIn,
    NoteIn,
    ProfilePatch,
    RequestMessageIn,
    ServiceRequestIn,
    ServiceRequestPatch,
    SeverityIn,
    SupportRequestIn,
    TopicIn,
)
from partnerdesk.support.models import (
    Attachment,
    HelpArticle,
    InboundMail,
    Message,
    Note,
    PartnerFlag,
    ServiceRequest,
    SupportProfile,
    SupportRequest,
    SupportTopic,
)

router = Router(tags=["support"])

P = Permission


class Ref(Out):
    id: uuid.UUID
    name: str


class PersonRef(Out):
    id: uuid.UUID
    display_name: str
    email: str


class SupportRequestPatch(Schema):
    status: Literal["open", "waiting_on_customer", "resolved", "closed"] | None = None
    assignee_id: uuid.UUID | None = Field(default=None, description="Send null to unassign.")
    severity: SeverityIn | None = None


class SupportRequestOut(Out):
    id: uuid.UUID
    number: str
    title: str
    description: str
    severity: str
    status: str
    escalated: bool = Field(description="True once the partner escalated it to the operator.")
    customer: Ref
    partner: Ref
    service: Ref | None
    contact_name: str
    contact_email: str
    contact_phone: str
    contact_method: str
    assignee: PersonRef | None
    merged_into: str | None
    sla_state: str
    first_response_due_at: datetime | None
    resolution_due_at: datetime | None
    first_response_at: datetime | None
    created_at: datetime
    updated_at: datetime
    resolved_at: datetime | None
    closed_at: datetime | None


_READ_AS_TEXT = "The message; sentences the product wrote (status changes, escalation) in your language."


class RequestMessageOut(Out):
    id: uuid.UUID
    body: str = Field(validation_alias="text", description=_READ_AS_TEXT)
    visibility: str
    source: str
    author_name: str
    created_at: datetime


class ServiceRequestOut(Out):
    id: uuid.UUID
    number: str
    title: str
    description: str
    severity: str
    status: str
    topic: Ref
    partner: Ref
    customer: Ref | None
    support_request_id: uuid.UUID | None = Field(description="Shown to the partner only.")
    service: Ref | None
    contact: PersonRef
    assignee: PersonRef | None
    resolution: str
    sla_state: str
    first_response_due_at: datetime | None
    resolution_due_at: datetime | None
    first_response_at: datetime | None
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None


class NoteOut(Out):
    id: uuid.UUID
    kind: str
    body: str = Field(validation_alias="text", description=_READ_AS_TEXT)
    author_name: str
    created_at: datetime


class TopicOut(Out):
    id: uuid.UUID
    name: str
    description: str


class RequestAttachmentOut(Out):
    id: uuid.UUID
    filename: str
    content_type: str
    size: int
    internal: bool
    created_at: datetime
    download_url: str


class ArticleOut(Out):
    id: uuid.UUID
    title: str
    body: str
    language: str


# --- helpers -----------------------------------------------------------------------------------


def _ref(obj: Any) -> dict[str, Any] | None:
    return {"id": obj.pk, "name": getattr(obj, "name", str(obj))} if obj is not None else None


def _person(user: Any) -> dict[str, Any] | None:
    return (
        {"id": user.pk, "display_name": user.display_name, "email": user.email} if user is not None else None
    )


def support_out(request: SupportRequest) -> dict[str, Any]:
    return {
        **{
            f: getattr(request, f)
            for f in [
                "id",
                "number",
                "title",
                "description",
                "severity",
                "status",
                "contact_name",
                "contact_email",
                "contact_phone",
                "contact_method",
                "first_response_due_at",
                "resolution_due_at",
                "first_response_at",
                "created_at",
                "updated_at",
                "resolved_at",
                "closed_at",
            ]
        },
        "escalated": queries.is_escalated(request),
        "customer": _ref(request.customer),
        "partner": _ref(request.partner),
        "service": _ref(request.service),
        "assignee": _person(request.assignee),
        "merged_into": queries.merged_into_number(request),
        "sla_state": request.sla_state(),
    }


SUPPORT_OUT_FIELDS = [
    "id", "number", "title", "description", "severity", "status", "contact_name", "contact_email",
    "contact_phone", "contact_method", "first_response_due_at", "resolution_due_at", "first_response_at",
    "created_at", "updated_at", "resolved_at", "closed_at",
]  # fmt: skip


def _row_ref(row: dict[str, Any], related: str) -> dict[str, Any] | None:
    joined = row[related]
    return {"id": joined["id"], "name": joined["name"]} if joined is not None else None


def _row_person(row: dict[str, Any], related: str) -> dict[str, Any] | None:
    joined = row[related]
    return dict(joined) if joined is not None else None


def support_row_out(row: dict[str, Any]) -> dict[str, Any]:
    """`support_out` of a queue row (`queries.support_queue`)."""
    return {
        **{f: row[f] for f in SUPPORT_OUT_FIELDS},
        "escalated": bool(row["escalated"]),
        "customer": _row_ref(row, "customer"),
        "partner": _row_ref(row, "partner"),
        "service": _row_ref(row, "service"),
        "assignee": _row_person(row, "assignee"),
        "merged_into": str(row["merged_into_number"]) if row["merged_into_id"] else None,
        "sla_state": row["sla_state"],
    }


SERVICE_OUT_FIELDS = [
    "id", "number", "title", "description", "severity", "status", "resolution", "first_response_due_at",
    "resolution_due_at", "first_response_at", "created_at", "updated_at", "closed_at",
]  # fmt: skip


def service_row_out(principal: Principal, row: dict[str, Any]) -> dict[str, Any]:
    """`service_out` of a queue row (`queries.service_queue`)."""
    return {
        **{f: row[f] for f in SERVICE_OUT_FIELDS},
        "topic": _row_ref(row, "topic"),
        "partner": _row_ref(row, "partner"),
        "customer": _row_ref(row, "customer"),
        "support_request_id": row["support_request_id"] if rules.on_partner_side(principal) else None,
        "service": _row_ref(row, "service"),
        "contact": _row_person(row, "contact"),
        "assignee": _row_person(row, "assignee"),
        "sla_state": row["sla_state"],
    }


def service_out(principal: Principal, service_request: ServiceRequest) -> dict[str, Any]:
    return {
        **{
            f: getattr(service_request, f)
            for f in [
                "id",
                "number",
                "title",
                "description",
                "severity",
                "status",
                "resolution",
                "first_response_due_at",
                "resolution_due_at",
                "first_response_at",
                "created_at",
                "updated_at",
                "closed_at",
            ]
        },
        "topic": _ref(service_request.topic),
        "partner": _ref(service_request.partner),
        "customer": _ref(service_request.customer),
        "support_request_id": service_request.support_request_id
        if rules.on_partner_side(principal)
        else None,
        "service": _ref(service_request.service),
        "contact": _person(service_request.contact),
        "assignee": _person(service_request.assignee),
        "sla_state": service_request.sla_state(),
    }


def attachment_out(attachment: Attachment) -> dict[str, Any]:
    return {
        "id": attachment.id,
        "filename": attachment.filename,
        "content_type": attachment.content_type,
        "size": attachment.size,
        "internal": attachment.internal,
        "created_at": attachment.created_at,
        "download_url": f"/api/v1/attachments/{attachment.id}",
    }


def _attachments_page(
    principal: Principal, cursor: str | None, limit: int | None, **ticket: Any
) -> dict[str, Any]:
    """A page of one request's attachments (`support_request=` or `service_request=`), oldest first."""
    attachments = policy.visible(principal, Attachment).filter(**ticket)
    return paginate(attachments, ordering=["created_at", "id"], cursor=cursor, limit=limit).answer(
        attachment_out
    )


def _service(principal: Principal, service_id: Any) -> Any:
    if service_id is None:
        return None
    return queries.get_service(principal, service_id)


def _topic(topic_id: Any) -> SupportTopic:
    return queries.get_topic(topic_id)


# --- support requests --------------------------------------------------------------------------


@router.get("/support-requests", response=PageOut[SupportRequestOut], summary="List support requests")
@requires(rules.SUPPORT_REQUESTS_WORK)
def list_support_requests(
    request: HttpRequest,
    status: str = "",
    severity: str = "",
    customer_id: str = "",
    assignee_id: str = "",
    sla: str = "",
    limit: int | None = None,
    cursor: str | None = None,
) -> dict[str, Any]:
    principal = principal_of(request)
    filters = {
        "status": status,
        "severity": severity,
        "customer": customer_id,
        "assignee": assignee_id,
        "sla": sla,
    }
    page = queries.support_queue(principal, filters, cursor=cursor, limit=limit)
    return page.answer(support_row_out)


@router.post(
    "/support-requests", response={201: SupportRequestOut, **ERRORS}, summary="Open a support request"
)
@requires(P.SUPPORT_REQUESTS)
def create_support_request(request: HttpRequest, payload: SupportRequestIn) -> Status:
    principal = principal_of(request)
    created = support_requests.create_support_request(principal, payload)
    return Status(201, support_out(created))  # the service's object has what the answer shows


@router.get(
    "/support-requests/{request_id}",
    response={200: SupportRequestOut, **ERRORS},
    summary="One support request",
)
@requires(rules.SUPPORT_REQUESTS_WORK)
def get_support_request(request: HttpRequest, request_id: str, response: HttpResponse) -> dict[str, Any]:
    principal = principal_of(request)
    support_request = policy.get_visible(principal, queries.support_requests(principal), pk=request_id)
    etags.tag(response, support_request)
    return support_out(support_request)


@router.patch(
    "/support-requests/{request_id}",
    response={200: SupportRequestOut, **ERRORS},
    summary="Change status, assignee or severity",
)
@requires(rules.SUPPORT_REQUESTS_WORK)
def patch_support_request(
    request: HttpRequest, request_id: str, payload: SupportRequestPatch, response: HttpResponse
) -> dict[str, Any]:
    principal = principal_of(request)
    support_request = policy.get_visible(principal, queries.support_requests(principal), pk=request_id)
    changes = payload.model_dump(exclude_unset=True)
    with etags.guarded(etags.if_match(request), support_request):
        support_requests.update_support_request(
            principal,
            support_request,
            status=changes.get("status"),
            assignee_id=changes.get("assignee_id", common.UNSET),
            severity=changes.get("severity"),
        )
    fresh = queries.support_requests(principal).get(pk=support_request.pk)
    etags.tag(response, fresh)
    return support_out(fresh)


@router.get(
    "/support-requests/{request_id}/messages",
    response={200: PageOut[RequestMessageOut], **ERRORS},
    summary="The timeline, oldest first (the customer sees public replies only)",
)
@requires(rules.SUPPORT_REQUESTS_WORK)
def list_messages(
    request: HttpRequest, request_id: str, cursor: str | None = None, limit: int | None = None
) -> dict[str, Any]:
    principal = principal_of(request)
    support_request = policy.get_visible(principal, queries.support_requests(principal), pk=request_id)
    messages = queries.messages(principal, support_request)
    return paginate(messages, ordering=["created_at", "id"], cursor=cursor, limit=limit).answer()


@router.post(
    "/support-requests/{request_id}/messages",
    response={201: RequestMessageOut, **ERRORS},
    summary="Reply (public) or add an internal note (partner only)",
)
@requires(rules.SUPPORT_REQUESTS_WORK)
def add_message(request: HttpRequest, request_id: str, payload: RequestMessageIn) -> Status:
    principal = principal_of(request)
    support_request = policy.get_visible(principal, queries.support_requests(principal), pk=request_id)
    message = timeline.add_message(
        principal,
        support_request,
        body=payload.body,
        visibility=payload.visibility,
        source=Message.Source.API,
    )
    return Status(201, policy.visible(principal, Message).get(pk=message.pk))


@router.post(
    "/support-requests/{request_id}/escalate",
    response={201: ServiceRequestOut, **ERRORS},
    summary="Escalate to the operator as a service request on the customer's behalf",
)
@requires(P.SUPPORT_ESCALATE)
def escalate(request: HttpRequest, request_id: str, payload: EscalateIn) -> Status:
    principal = principal_of(request)
    support_request = policy.get_visible(principal, queries.support_requests(principal), pk=request_id)
    data = service_requests.NewServiceRequest(
        title=payload.title or support_request.title,
        description=payload.description or support_request.description,
        severity=payload.severity,
        topic=_topic(payload.topic_id),
        contact=desk.get_visible_user(principal.organization.pk, payload.contact_id)
        if payload.contact_id
        else None,
        service=support_request.service,
    )
    escalation = service_requests.escalate(
        principal, support_request, data, shared_message_ids=payload.shared_message_ids
    )
    return Status(201, service_out(principal, queries.service_requests(principal).get(pk=escalation.pk)))


@router.get(
    "/support-requests/{request_id}/attachments",
    response={200: PageOut[RequestAttachmentOut], **ERRORS},
    summary="Attachments of a support request, oldest first",
)
@requires(rules.SUPPORT_REQUESTS_WORK)
def list_support_attachments(
    request: HttpRequest, request_id: str, cursor: str | None = None, limit: int | None = None
) -> dict[str, Any]:
    principal = principal_of(request)
    support_request = policy.get_visible(principal, queries.support_requests(principal), pk=request_id)
    return _attachments_page(principal, cursor, limit, support_request=support_request)


@router.post(
    "/support-requests/{request_id}/attachments",
    response={201: RequestAttachmentOut, 413: ErrorOut, 415: ErrorOut, **ERRORS},
    summary="Attach a file (multipart field `file`)",
)
@requires(rules.SUPPORT_REQUESTS_WORK)
def upload_support_attachment(
    request: HttpRequest, request_id: str, file: File[UploadedFile], internal: Form[bool] = False
) -> Status:
    principal = principal_of(request)
    support_request = policy.get_visible(principal, queries.support_requests(principal), pk=request_id)
    attachment = timeline.add_attachment(principal, file, support_request=support_request, internal=internal)
    return Status(201, attachment_out(attachment))


# --- service requests --------------------------------------------------------------------------


@router.get(
    "/service-requests", response={200: PageOut[ServiceRequestOut], **ERRORS}, summary="List service requests"
)
@requires(rules.SERVICE_REQUESTS_WORK)
def list_service_requests(
    request: HttpRequest,
    status: str = "",
    severity: str = "",
    partner_id: str = "",
    assignee_id: str = "",
    topic_id: str = "",
    sla: str = "",
    limit: int | None = None,
    cursor: str | None = None,
) -> dict[str, Any]:
    principal = principal_of(request)
    filters = {
        "status": status,
        "severity": severity,
        "partner": partner_id,
        "assignee": assignee_id,
        "topic": topic_id,
        "sla": sla,
    }
    page = queries.service_queue(principal, filters, cursor=cursor, limit=limit)
    return page.answer(lambda r: service_row_out(principal, r))


@router.post(
    "/service-requests",
    response={201: ServiceRequestOut, **ERRORS},
    summary="File a partner's own service request with the operator",
)
@requires(rules.SERVICE_REQUESTS_FILE)
def create_service_request(request: HttpRequest, payload: ServiceRequestIn) -> Status:
    principal = principal_of(request)
    data = service_requests.NewServiceRequest(
        title=payload.title,
        description=payload.description,
        severity=payload.severity,
        topic=_topic(payload.topic_id),
        service=_service(principal, payload.service_id),
        contact=desk.get_visible_user(principal.organization.pk, payload.contact_id)
        if payload.contact_id
        else None,
    )
    created = service_requests.create_service_request(principal, data)
    return Status(201, service_out(principal, queries.service_requests(principal).get(pk=created.pk)))


@router.get(
    "/service-requests/{request_id}",
    response={200: ServiceRequestOut, **ERRORS},
    summary="One service request",
)
@requires(rules.SERVICE_REQUESTS_WORK)
def get_service_request(request: HttpRequest, request_id: str, response: HttpResponse) -> dict[str, Any]:
    principal = principal_of(request)
    service_request = policy.get_visible(principal, queries.service_requests(principal), pk=request_id)
    etags.tag(response, service_request)
    return service_out(principal, service_request)


@router.patch(
    "/service-requests/{request_id}",
    response={200: ServiceRequestOut, **ERRORS},
    summary="Status (attention needed, closed with a resolution), assignee, severity, topic",
)
@requires(rules.SERVICE_REQUESTS_WORK)
def patch_service_request(
    request: HttpRequest, request_id: str, payload: ServiceRequestPatch, response: HttpResponse
) -> dict[str, Any]:
    principal = principal_of(request)
    service_request = policy.get_visible(principal, queries.service_requests(principal), pk=request_id)
    changes = payload.model_dump(exclude_unset=True)
    with etags.guarded(etags.if_match(request), service_request):
        service_requests.update_service_request(
            principal,
            service_request,
            status=changes.get("status"),
            assignee_id=changes.get("assignee_id", common.UNSET),
            severity=changes.get("severity"),
            topic=_topic(changes["topic_id"]) if changes.get("topic_id") else None,
            resolution=payload.resolution,
        )
    fresh = queries.service_requests(principal).get(pk=service_request.pk)
    etags.tag(response, fresh)
    return service_out(principal, fresh)


@router.get(
    "/service-requests/{request_id}/notes",
    response={200: PageOut[NoteOut], **ERRORS},
    summary="The timeline, oldest first (a partner never sees operator-internal notes)",
)
@requires(rules.SERVICE_REQUESTS_WORK)
def list_notes(
    request: HttpRequest, request_id: str, cursor: str | None = None, limit: int | None = None
) -> dict[str, Any]:
    principal = principal_of(request)
    service_request = policy.get_visible(principal, queries.service_requests(principal), pk=request_id)
    notes = policy.visible(principal, Note).filter(service_request=service_request)
    return paginate(notes, ordering=["created_at", "id"], cursor=cursor, limit=limit).answer()


@router.post(
    "/service-requests/{request_id}/notes",
    response={201: NoteOut, **ERRORS},
    summary="Add a note (operator: to the partner or internal; partner: an answer)",
)
@requires(rules.SERVICE_REQUESTS_WORK)
def add_note(request: HttpRequest, request_id: str, payload: NoteIn) -> Status:
    principal = principal_of(request)
    service_request = policy.get_visible(principal, queries.service_requests(principal), pk=request_id)
    kind = payload.kind or (
        Note.Kind.TO_PARTNER if rules.on_operator_side(principal) else Note.Kind.FROM_PARTNER
    )
    note = timeline.add_note(principal, service_request, body=payload.body, kind=kind)
    return Status(201, policy.visible(principal, Note).get(pk=note.pk))


@router.get(
    "/service-requests/{request_id}/attachments",
    response={200: PageOut[RequestAttachmentOut], **ERRORS},
    summary="Attachments of a service request, oldest first",
)
@requires(rules.SERVICE_REQUESTS_WORK)
def list_service_attachments(
    request: HttpRequest, request_id: str, cursor: str | None = None, limit: int | None = None
) -> dict[str, Any]:
    principal = principal_of(request)
    service_request = policy.get_visible(principal, queries.service_requests(principal), pk=request_id)
    return _attachments_page(principal, cursor, limit, service_request=service_request)


@router.post(
    "/service-requests/{request_id}/attachments",
    response={201: RequestAttachmentOut, 413: ErrorOut, 415: ErrorOut, **ERRORS},
    summary="Attach a file (multipart field `file`)",
)
@requires(rules.SERVICE_REQUESTS_WORK)
def upload_service_attachment(
    request: HttpRequest, request_id: str, file: File[UploadedFile], internal: Form[bool] = False
) -> Status:
    principal = principal_of(request)
    service_request = policy.get_visible(principal, queries.service_requests(principal), pk=request_id)
    attachment = timeline.add_attachment(principal, file, service_request=service_request, internal=internal)
    return Status(201, attachment_out(attachment))


@router.get(
    "/attachments/{attachment_id}",
    response={200: None, **ERRORS},
    summary="Download an attachment (only for those who may see its request)",
)
@signed_in
def download_attachment(request: HttpRequest, attachment_id: str) -> FileResponse:
    principal = principal_of(request)
    return queries.attachment_response(principal, attachment_id)


# --- topics and self-help ----------------------------------------------------------------------


@router.get(
    "/support-topics", response={200: PageOut[TopicOut], **ERRORS}, summary="Support topics to file under"
)
@requires(rules.SERVICE_REQUESTS_WORK)
def list_topics(request: HttpRequest, cursor: str | None = None, limit: int | None = None) -> dict[str, Any]:
    principal = principal_of(request)
    topics = policy.visible(principal, SupportTopic).filter(active=True)
    return paginate(topics, ordering=["name", "id"], cursor=cursor, limit=limit).answer()


@router.get(
    "/help-articles",
    response={200: PageOut[ArticleOut], **ERRORS},
    summary="Search help articles (self-help)",
    description=(
        "The best matches only, by relevance: at most `limit` (default 5, at most "
        f"{queries.SELF_HELP_MAX_RESULTS}) and never a next page (`next_cursor` is always null). "
        "A search suggests; a reader who needs more refines the words."
    ),
)
@requires(rules.HELP_ARTICLES_SEARCH)
def search_articles(
    request: HttpRequest,
    q: str = "",
    service_id: str = "",
    limit: int = 5,
) -> dict[str, Any]:
    principal = principal_of(request)
    if not q.strip():
        raise DomainError(_("Say what to search for."), code="query_required")
    if not 1 <= limit <= queries.SELF_HELP_MAX_RESULTS:
        raise DomainError(
            _("limit must be between 1 and %(max)s.") % {"max": queries.SELF_HELP_MAX_RESULTS},
            code="invalid_limit",
        )
    # A bounded result set rather than a cursor: ranks are recomputed per query (and differ between
    # PostgreSQL and SQLite FTS5), and only the first few matches are worth reading.
    found = queries.self_help_articles(principal, q, service_id or None, limit=limit)
    return {"items": found, "next_cursor": None}


# --- profile, deflections, merging, topics, flags ----------------------------------------------


class ProfileOut(Out):
    partner: Ref
    email: str
    phone: str
    website: str
    hours: str


class DeflectionIn(Schema):
    article_id: uuid.UUID | None = None
    service_id: uuid.UUID | None = None
    query: str = Field(default="", max_length=300)


class DeflectionOut(Out):
    id: uuid.UUID
    created_at: datetime


class MergeIn(Schema):
    into_id: uuid.UUID


class FlagOut(Out):
    id: uuid.UUID
    partner: Ref
    reason: str
    remediation: str
    created_at: datetime
    resolved_at: datetime | None
    resolved_by: PersonRef | None
    resolution_note: str


def _flag_out(flag: Any) -> dict[str, Any]:
    return {
        "id": flag.id,
        "partner": _ref(flag.partner),
        "reason": flag.reason,
        "remediation": flag.remediation,
        "created_at": flag.created_at,
        "resolved_at": flag.resolved_at,
        "resolved_by": _person(flag.resolved_by),
        "resolution_note": flag.resolution_note,
    }


def _profile_row(principal: Principal, partner: Any) -> SupportProfile | None:
    """The partner's saved support profile, or None while it shows the organization's own contacts."""
    return policy.visible(principal, SupportProfile).filter(partner=partner).first()


def _profile_out(principal: Principal, partner: Any) -> dict[str, Any]:
    profile = _profile_row(principal, partner)
    return {
        "partner": _ref(partner),
        "email": (profile.email if profile else "") or partner.contact_email,
        "phone": (profile.phone if profile else "") or partner.phone,
        "website": (profile.website if profile else "") or partner.website,
        "hours": profile.hours if profile else "",
    }


@router.get(
    "/support-profile",
    response={200: ProfileOut, **ERRORS},
    summary="How to reach support: the customer's partner, or the partner's own profile",
)
@requires(rules.SUPPORT_PROFILE_VIEW)
def get_support_profile(request: HttpRequest, response: HttpResponse) -> dict[str, Any]:
    principal = principal_of(request)
    partner = principal.organization.partner if rules.on_customer_side(principal) else principal.organization
    etags.tag(response, _profile_row(principal, partner))
    return _profile_out(principal, partner)


@router.patch(
    "/support-profile", response={200: ProfileOut, **ERRORS}, summary="Edit the partner's support profile"
)
@requires(P.SUPPORT_PROFILE_EDIT)
def patch_support_profile(
    request: HttpRequest, payload: ProfilePatch, response: HttpResponse
) -> dict[str, Any]:
    principal = principal_of(request)
    with etags.guarded(etags.if_match(request), _profile_row(principal, principal.organization)):
        desk.update_support_profile(principal, payload.model_dump(exclude_unset=True))
    etags.tag(response, _profile_row(principal, principal.organization))
    return _profile_out(principal, principal.organization)


@router.post(
    "/deflections", response={201: DeflectionOut, **ERRORS}, summary="Record that self-help solved it"
)
@requires(P.SUPPORT_REQUESTS)
def create_deflection(request: HttpRequest, payload: DeflectionIn) -> Status:
    principal = principal_of(request)
    article = (
        policy.get_visible(principal, HelpArticle, pk=payload.article_id) if payload.article_id else None
    )
    service = _service(principal, payload.service_id)
    deflection = knowledge.record_deflection(principal, article=article, service=service, query=payload.query)
    return Status(201, {"id": deflection.id, "created_at": deflection.created_at})


@router.post(
    "/support-requests/{request_id}/merge",
    response={200: SupportRequestOut, **ERRORS},
    summary="Close this request as a duplicate of another of the same customer",
)
@requires(P.SUPPORT_DESK)
def merge_support_request(request: HttpRequest, request_id: str, payload: MergeIn) -> dict[str, Any]:
    principal = principal_of(request)
    duplicate = policy.get_visible(principal, queries.support_requests(principal), pk=request_id)
    into = policy.get_visible(principal, queries.support_requests(principal), pk=payload.into_id)
    support_requests.merge_support_requests(principal, duplicate, into)
    return support_out(queries.support_requests(principal).get(pk=duplicate.pk))


@router.post("/support-topics", response={201: TopicOut, **ERRORS}, summary="Add a support topic (operator)")
@requires(P.SUPPORT_TOPICS_MANAGE)
def create_topic(request: HttpRequest, payload: TopicIn) -> Status:
    topic = knowledge.save_topic(principal_of(request), name=payload.name, description=payload.description)
    return Status(201, topic)


@router.post(
    "/partners/{partner_id}/flags",
    response={201: FlagOut, **ERRORS},
    summary="Flag a partner for inappropriate escalation, with a remediation plan",
)
@requires(P.SUPPORT_OPERATOR_DESK)
def flag_partner(request: HttpRequest, partner_id: str, payload: FlagIn) -> Status:
    from partnerdesk.tenancy.models import Organization

    principal = principal_of(request)
    partner = policy.get_visible(principal, Organization, pk=partner_id, kind=OrgKind.PARTNER)
    service_request = (
        policy.get_visible(principal, ServiceRequest, pk=payload.service_request_id, partner=partner)
        if payload.service_request_id
        else None
    )
    flag = flags.flag_partner(
        principal,
        partner,
        reason=payload.reason,
        remediation=payload.remediation,
        service_request=service_request,
    )
    return Status(201, _flag_out(flag))


@router.get(
    "/partner-flags",
    response={200: PageOut[FlagOut], **ERRORS},
    summary="Inappropriate-escalation flags, newest first (the operator: all; a partner: its own)",
)
@requires(rules.SERVICE_REQUESTS_WORK)
def list_flags(request: HttpRequest, cursor: str | None = None, limit: int | None = None) -> dict[str, Any]:
    principal = principal_of(request)
    flags = policy.visible(principal, PartnerFlag).select_related("partner", "resolved_by")
    return paginate(flags, ordering=["-created_at", "-id"], cursor=cursor, limit=limit).answer(_flag_out)


@router.post(
    "/partner-flags/{flag_id}/resolve",
    response={200: FlagOut, **ERRORS},
    summary="Resolve a partner's flag, with a note saying why (operator)",
)
@requires(P.SUPPORT_OPERATOR_DESK)
def resolve_flag(request: HttpRequest, flag_id: str, payload: FlagResolveIn) -> dict[str, Any]:
    principal = principal_of(request)
    flag = policy.get_visible(principal, PartnerFlag.objects.select_related("partner"), pk=flag_id)
    return _flag_out(flags.resolve_flag(principal, flag, note=payload.note))


# --- quarantined inbound mail --------------------------------------------------------------------

QUARANTINE_STATUSES = [
    InboundMail.Status.QUARANTINED,
    InboundMail.Status.RELEASED,
    InboundMail.Status.DISCARDED,
]


class QuarantinedMailOut(Out):
    id: uuid.UUID
    sender: str
    subject: str
    received_at: datetime
    reason: str = Field(description="Why it waits, in the caller's language.")
    reason_code: str = Field(
        description="The reason as a stable code (`inbound.no_number`, `inbound.unknown_number`, …); "
        "empty for mail quarantined before codes."
    )
    status: str


class QuarantinedMailDetailOut(QuarantinedMailOut):
    body: str
    attachments: list[str]
    support_request: Ref | None


class ReleaseIn(Schema):
    request_id: uuid.UUID | None = None
    customer_id: uuid.UUID | None = None


def _mail_out(mail: InboundMail) -> dict[str, Any]:
    return {
        "id": mail.public_id,
        "sender": mail.sender,
        "subject": mail.subject,
        "received_at": mail.received_at,
        "reason": mail.reason,
        "reason_code": mail.text_code,
        "status": mail.status,
    }


def _quarantined(principal: Principal, mail_id: str, **lookup: Any) -> InboundMail:
    return policy.get_visible(
        principal, InboundMail.objects.select_related("support_request"), public_id=mail_id, **lookup
    )


@router.get(
    "/inbound-quarantine",
    response={200: PageOut[QuarantinedMailOut], **ERRORS},
    summary="Inbound mail for the desk that could not be appended, newest first",
)
@requires(P.SUPPORT_INBOUND_QUARANTINE)
def list_quarantined_mail(
    request: HttpRequest, cursor: str | None = None, limit: int | None = None
) -> dict[str, Any]:
    principal = principal_of(request)
    mails = policy.visible(principal, InboundMail).filter(status=InboundMail.Status.QUARANTINED)
    return paginate(mails, ordering=["-received_at", "-id"], cursor=cursor, limit=limit).answer(_mail_out)


@router.get(
    "/inbound-quarantine/{mail_id}",
    response={200: QuarantinedMailDetailOut, **ERRORS},
    summary="One quarantined mail: its text and the names of its attachments",
)
@requires(P.SUPPORT_INBOUND_QUARANTINE)
def get_quarantined_mail(request: HttpRequest, mail_id: str) -> dict[str, Any]:
    mail = _quarantined(principal_of(request), mail_id, status__in=QUARANTINE_STATUSES)
    read = quarantine.contents(mail)
    return {
        **_mail_out(mail),
        "body": read.body,
        "attachments": [a.filename for a in read.attachments],
        "support_request": (
            {"id": mail.support_request.pk, "name": mail.support_request.number}
            if mail.support_request
            else None
        ),
    }


@router.post(
    "/inbound-quarantine/{mail_id}/release",
    response={200: SupportRequestOut, **ERRORS},
    summary="Release a quarantined mail to an open request (request_id) or a new one (customer_id)",
)
@requires(P.SUPPORT_INBOUND_QUARANTINE)
def release_quarantined_mail(request: HttpRequest, mail_id: str, payload: ReleaseIn) -> dict[str, Any]:
    from partnerdesk.tenancy.models import Organization

    principal = principal_of(request)
    mail = _quarantined(principal, mail_id, status=InboundMail.Status.QUARANTINED)
    support_request = (
        policy.get_visible(principal, queries.support_requests(principal), pk=payload.request_id)
        if payload.request_id
        else None
    )
    customer = (
        policy.get_visible(
            principal,
            Organization,
            pk=payload.customer_id,
            kind=OrgKind.CUSTOMER,
            partner=principal.organization,
        )
        if payload.customer_id
        else None
    )
    released = quarantine.release(principal, mail, support_request=support_request, customer=customer)
    return support_out(queries.support_requests(principal).get(pk=released.pk))


@router.post(
    "/inbound-quarantine/{mail_id}/discard",
    response={204: None, **ERRORS},
    summary="Discard a quarantined mail (its content is deleted)",
)
@requires(P.SUPPORT_INBOUND_QUARANTINE)
def discard_quarantined_mail(request: HttpRequest, mail_id: str) -> Status:
    principal = principal_of(request)
    quarantine.discard(principal, _quarantined(principal, mail_id, status=InboundMail.Status.QUARANTINED))
    return Status(204, None)
