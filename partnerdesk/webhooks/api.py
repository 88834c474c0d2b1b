"""API: an organization's webhook endpoints, their signing secrets, deliveries and test pings."""

import uuid
from datetime import datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Router, Status
from pydantic import Field

from partnerdesk import etags
from partnerdesk.access import policy
from partnerdesk.access.permissions import Permission
from partnerdesk.api import ErrorOut, Out, PageOut, principal_of, requires
from partnerdesk.api import errors as api_errors
from partnerdesk.pagination import paginate
from partnerdesk.webhooks import services
from partnerdesk.webhooks.inputs import EndpointIn, EndpointPatch
from partnerdesk.webhooks.models import DeliveryAttempt, WebhookDelivery, WebhookEndpoint

router = Router(tags=["webhooks"])

ERRORS = api_errors(400, 403, 404, 409, 422)


class EndpointOut(Out):
    id: uuid.UUID
    url: str
    description: str
    events: list[str]
    enabled: bool
    disabled_reason: str = Field(
        description="Empty while enabled; `admin` (turned off) or `failing` (failed for three days)."
    )
    disabled_at: datetime | None
    previous_secret_expires_at: datetime | None
    created_at: datetime


class EndpointWithSecretOut(EndpointOut):
    secret: str = Field(description="The signing secret (`whsec_…`), shown only in this answer.")


class DeliveryOut(Out):
    id: uuid.UUID
    message_id: str = Field(description="The `webhook-id` header: the same on every retry and re-send.")
    event_type: str
    status: str
    attempts: int
    next_attempt_at: datetime
    created_at: datetime
    delivered_at: datetime | None


class AttemptOut(Out):
    id: uuid.UUID
    delivery_id: uuid.UUID
    message_id: str
    event_type: str
    attempted_at: datetime
    status_code: int | None
    response_time_ms: int
    error: str
    succeeded: bool


def _endpoint(request: HttpRequest, endpoint_id: str) -> WebhookEndpoint:
    return policy.get_visible(principal_of(request), WebhookEndpoint, pk=endpoint_id)


def _out(endpoint: WebhookEndpoint) -> EndpointOut:
    return EndpointOut.model_validate(endpoint)


def _delivery_out(delivery: WebhookDelivery) -> DeliveryOut:
    return DeliveryOut(
        id=delivery.id,
        message_id=delivery.message_id,
        event_type=delivery.event.name,
        status=delivery.status,
        attempts=delivery.attempts,
        next_attempt_at=delivery.next_attempt_at,
        created_at=delivery.created_at,
        delivered_at=delivery.delivered_at,
    )


@router.post(
    "/webhook-endpoints",
    response={201: EndpointWithSecretOut, **ERRORS},
    summary="Register a webhook endpoint (the secret is shown once)",
)
@requires(Permission.WEBHOOKS_MANAGE)
def create_endpoint(request: HttpRequest, payload: EndpointIn) -> Status:
    created = services.create_endpoint(
        principal_of(request), url=payload.url, events=payload.events, description=payload.description
    )
    return Status(201, EndpointWithSecretOut(**_out(created.endpoint).model_dump(), secret=created.secret))


@router.get(
    "/webhook-endpoints",
    response={200: PageOut[EndpointOut], 400: ErrorOut},
    summary="Your organization's webhook endpoints",
)
@requires(Permission.WEBHOOKS_MANAGE)
def list_endpoints(
    request: HttpRequest, cursor: str | None = None, limit: int | None = None
) -> dict[str, Any]:
    endpoints = policy.visible(principal_of(request), WebhookEndpoint)
    return paginate(endpoints, ordering=["-created_at", "-id"], cursor=cursor, limit=limit).answer(_out)


@router.get(
    "/webhook-endpoints/{endpoint_id}", response={200: EndpointOut, **ERRORS}, summary="One webhook endpoint"
)
@requires(Permission.WEBHOOKS_MANAGE)
def get_endpoint(request: HttpRequest, endpoint_id: str, response: HttpResponse) -> EndpointOut:
    endpoint = _endpoint(request, endpoint_id)
    etags.tag(response, endpoint)
    return _out(endpoint)


@router.patch(
    "/webhook-endpoints/{endpoint_id}",
    response={200: EndpointOut, **ERRORS},
    summary="Change an endpoint's URL, events or description, or disable and enable it",
)
@requires(Permission.WEBHOOKS_MANAGE)
def update_endpoint(
    request: HttpRequest, endpoint_id: str, payload: EndpointPatch, response: HttpResponse
) -> EndpointOut:
    principal = principal_of(request)
    endpoint = _endpoint(request, endpoint_id)
    with etags.guarded(etags.if_match(request), endpoint):
        endpoint = services.update_endpoint(principal, endpoint, **payload.model_dump(exclude_unset=True))
    etags.tag(response, endpoint)
    return _out(endpoint)


@router.post(
    "/webhook-endpoints/{endpoint_id}/rotate-secret",
    response={200: EndpointWithSecretOut, **ERRORS},
    summary="Rotate the signing secret (the old one keeps signing during the roll-over)",
)
@requires(Permission.WEBHOOKS_MANAGE)
def rotate_secret(request: HttpRequest, endpoint_id: str) -> EndpointWithSecretOut:
    rotated = services.rotate_secret(principal_of(request), _endpoint(request, endpoint_id))
    return EndpointWithSecretOut(**_out(rotated.endpoint).model_dump(), secret=rotated.secret)


@router.delete(
    "/webhook-endpoints/{endpoint_id}", response={204: None, **ERRORS}, summary="Delete a webhook endpoint"
)
@requires(Permission.WEBHOOKS_MANAGE)
def delete_endpoint(request: HttpRequest, endpoint_id: str) -> Status:
    endpoint = _endpoint(request, endpoint_id)
    with etags.guarded(etags.if_match(request), endpoint):
        services.delete_endpoint(principal_of(request), endpoint)
    return Status(204, None)


@router.post(
    "/webhook-endpoints/{endpoint_id}/test",
    response={202: DeliveryOut, **ERRORS},
    summary="Send a test ping (`webhook.test`) to this endpoint",
)
@requires(Permission.WEBHOOKS_MANAGE)
def send_test(request: HttpRequest, endpoint_id: str) -> Status:
    delivery = services.send_test(principal_of(request), _endpoint(request, endpoint_id))
    return Status(202, _delivery_out(delivery))


@router.get(
    "/webhook-endpoints/{endpoint_id}/deliveries",
    response={200: PageOut[DeliveryOut], **ERRORS},
    summary="The endpoint's deliveries, newest first",
)
@requires(Permission.WEBHOOKS_MANAGE)
def list_deliveries(
    request: HttpRequest, endpoint_id: str, cursor: str | None = None, limit: int | None = None
) -> dict[str, Any]:
    endpoint = _endpoint(request, endpoint_id)
    deliveries = policy.visible(principal_of(request), WebhookDelivery).filter(endpoint=endpoint)
    return paginate(
        deliveries.select_related("event"), ordering=["-created_at", "-id"], cursor=cursor, limit=limit
    ).answer(_delivery_out)


@router.get(
    "/webhook-endpoints/{endpoint_id}/attempts",
    response={200: PageOut[AttemptOut], **ERRORS},
    summary="The delivery log: every request sent, with its status code, response time and error",
)
@requires(Permission.WEBHOOKS_MANAGE)
def list_attempts(
    request: HttpRequest, endpoint_id: str, cursor: str | None = None, limit: int | None = None
) -> dict[str, Any]:
    endpoint = _endpoint(request, endpoint_id)
    attempts = (
        policy.visible(principal_of(request), DeliveryAttempt)
        .filter(delivery__endpoint=endpoint)
        .select_related("delivery", "delivery__event")
    )
    return paginate(attempts, ordering=["-attempted_at", "-id"], cursor=cursor, limit=limit).answer(
        _attempt_out
    )


def _attempt_out(attempt: DeliveryAttempt) -> AttemptOut:
    return AttemptOut(
        id=attempt.id,
        delivery_id=attempt.delivery_id,
        message_id=attempt.delivery.message_id,
        event_type=attempt.delivery.event.name,
        attempted_at=attempt.attempted_at,
        status_code=attempt.status_code,
        response_time_ms=attempt.response_ms,
        error=attempt.error,
        succeeded=attempt.succeeded,
    )


@router.post(
    "/webhook-endpoints/{endpoint_id}/deliveries/{delivery_id}/resend",
    response={202: DeliveryOut, **ERRORS},
    summary="Send a delivery again, with the same webhook-id",
)
@requires(Permission.WEBHOOKS_MANAGE)
def resend_delivery(request: HttpRequest, endpoint_id: str, delivery_id: str) -> Status:
    principal = principal_of(request)
    endpoint = _endpoint(request, endpoint_id)
    delivery = policy.get_visible(
        principal, WebhookDelivery.objects.filter(endpoint=endpoint).select_related("event"), pk=delivery_id
    )
    return Status(202, _delivery_out(services.resend(principal, delivery)))
