"""The catalog of events: every name a client may follow, its version and its payload's schema.

One pydantic model per payload. `emit` validates what a domain sends against it, the OpenAPI
document publishes each under `webhooks` (`partnerdesk.api`), and `docs/events.md` lists them (a test
keeps the page and the catalog the same). A change that removes or retypes a field is a new version of
the event; adding an optional field is not.

Who may see an event is not part of its type: the emitter names the audience of each one
(`services.Audience`), e.g. a support request's internal note goes to the partner only.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict
from pydantic.json_schema import models_json_schema


class Payload(BaseModel):
    """The base of every payload: unknown fields are a mistake of the emitter, not silently sent."""

    model_config = ConfigDict(extra="forbid")


# --- Support ---------------------------------------------------------------------------------------


class SupportRequestData(Payload):
    id: uuid.UUID
    number: str
    title: str
    status: str
    severity: str
    customer_id: uuid.UUID
    partner_id: uuid.UUID
    service_id: uuid.UUID | None = None


class SupportRequestMessageData(SupportRequestData):
    message_id: uuid.UUID
    # "public" (the customer sees it) or "internal" (the partner's desk only).
    visibility: Literal["public", "internal"]


class SupportRequestEscalatedData(SupportRequestData):
    service_request_id: uuid.UUID


class ServiceRequestData(Payload):
    id: uuid.UUID
    number: str
    title: str
    status: str
    severity: str
    partner_id: uuid.UUID
    customer_id: uuid.UUID | None = None
    support_request_id: uuid.UUID | None = None


class ServiceRequestNoteData(ServiceRequestData):
    note_id: uuid.UUID
    kind: str


# --- Subscriptions, licences, entitlements ---------------------------------------------------------


class ChangeRequestData(Payload):
    id: uuid.UUID
    subscription_id: uuid.UUID
    customer_id: uuid.UUID
    partner_id: uuid.UUID
    kind: str
    status: str
    seats: int | None = None


class SubscriptionData(Payload):
    id: uuid.UUID
    customer_id: uuid.UUID
    partner_id: uuid.UUID
    offer_id: uuid.UUID
    sku_id: uuid.UUID
    quantity: int
    status: str
    term_end: datetime
    auto_renew: bool


class SubscriptionQuantityData(SubscriptionData):
    previous_quantity: int


class LicenseData(Payload):
    user_id: uuid.UUID
    customer_id: uuid.UUID
    sku_id: uuid.UUID


class ServiceEntitlement(Payload):
    id: uuid.UUID
    key: str
    entitled: bool
    reason: str  # as the entitlement check says it: "licensed", "subscription_suspended", …


class EntitlementData(Payload):
    """Whether one user may use services now, for each service whose answer changed, and why it did."""

    user_id: uuid.UUID
    customer_id: uuid.UUID
    services: list[ServiceEntitlement]
    cause: str  # the event that changed it: "subscription.suspended", "license.removed", …


# --- Tenancy and directory -------------------------------------------------------------------------


class RelationshipData(Payload):
    id: uuid.UUID
    partner_id: uuid.UUID
    customer_id: uuid.UUID
    status: str
    roles: list[str]
    expires_at: datetime | None = None


class UserData(Payload):
    id: uuid.UUID
    organization_id: uuid.UUID
    email: str
    blocked: bool
    deleted: bool


# --- Service health and Message center -------------------------------------------------------------


class HealthIssueData(Payload):
    id: uuid.UUID
    display_id: str
    title: str
    status: str
    services: list[str]  # service keys


class MaintenanceData(Payload):
    id: uuid.UUID
    title: str
    status: str
    starts_at: datetime
    ends_at: datetime
    services: list[str]


class MessageData(Payload):
    id: uuid.UUID
    display_id: str
    title: str
    category: str
    severity: str
    services: list[str]


class WebhookTestData(Payload):
    endpoint_id: uuid.UUID
    message: str


@dataclass(frozen=True)
class EventType:
    name: str
    description: str
    payload: type[Payload]
    version: int = 1
    # Sent only when asked for (the test ping), never matched by a wildcard.
    on_request_only: bool = False

    @property
    def schema_name(self) -> str:
        """The payload's schema name in the OpenAPI document: `SubscriptionSuspendedEvent`."""
        return "".join(part.title() for part in self.name.replace(".", "_").split("_")) + "Event"


def _types(*entries: EventType) -> dict[str, EventType]:
    return {entry.name: entry for entry in entries}


E = EventType
CATALOG: dict[str, EventType] = _types(
    E("support_request.created", "A customer (or its partner) opened a support request.", SupportRequestData),
    E(
        "support_request.updated",
        "A support request's status, severity or assignee changed.",
        SupportRequestData,
    ),
    E(
        "support_request.message_added",
        "A reply (public) or an internal note (the partner's desk only) was added.",
        SupportRequestMessageData,
    ),
    E(
        "support_request.escalated",
        "The partner escalated the request to the operator (a service request).",
        SupportRequestEscalatedData,
    ),
    E("support_request.closed", "A support request was closed.", SupportRequestData),
    E("service_request.created", "A partner filed a service request with the operator.", ServiceRequestData),
    E(
        "service_request.updated",
        "A service request's status, severity or assignee changed.",
        ServiceRequestData,
    ),
    E("service_request.note_added", "A note was added to a service request.", ServiceRequestNoteData),
    E(
        "service_request.attention_needed",
        "The operator waits on the partner (status attention needed).",
        ServiceRequestData,
    ),
    E("service_request.closed", "A service request was closed.", ServiceRequestData),
    E(
        "change_request.created",
        "A customer admin asked its partner for a subscription change.",
        ChangeRequestData,
    ),
    E("change_request.approved", "The partner approved a change request.", ChangeRequestData),
    E("change_request.rejected", "The partner rejected a change request.", ChangeRequestData),
    E(
        "change_request.information_requested",
        "The partner asked the customer for more information.",
        ChangeRequestData,
    ),
    E("change_request.replied", "The customer answered the partner's question.", ChangeRequestData),
    E("subscription.created", "A partner bought a subscription for a customer.", SubscriptionData),
    E("subscription.quantity_changed", "A subscription's seats changed.", SubscriptionQuantityData),
    E(
        "subscription.suspended",
        "A subscription was suspended: its users lose their services.",
        SubscriptionData,
    ),
    E("subscription.reactivated", "A suspended subscription is active again.", SubscriptionData),
    E("subscription.cancelled", "A subscription was cancelled.", SubscriptionData),
    E("subscription.renewed", "A subscription renewed for a new term.", SubscriptionData),
    E("subscription.expired", "A subscription reached its term's end without renewing.", SubscriptionData),
    E(
        "subscription.deleted",
        "A subscription's data was deleted after the retention period.",
        SubscriptionData,
    ),
    E("license.assigned", "A user was assigned a licence of a SKU.", LicenseData),
    E("license.removed", "A user's licence of a SKU was removed.", LicenseData),
    E(
        "entitlement.changed",
        "Whether a user may use services changed (one event per user, naming each service that changed).",
        EntitlementData,
    ),
    E("relationship.requested", "A partner asked a customer for delegated administration.", RelationshipData),
    E("relationship.accepted", "The customer accepted a delegated relationship.", RelationshipData),
    E("relationship.declined", "The customer declined a delegated relationship.", RelationshipData),
    E("relationship.ended", "A delegated relationship was ended before its expiry.", RelationshipData),
    E(
        "relationship.expired",
        "A delegated relationship reached its expiry: the partner's delegated access has ended.",
        RelationshipData,
    ),
    E("health_issue.published", "The operator published a service health issue.", HealthIssueData),
    E("health_issue.updated", "A published health issue changed (status, a new post).", HealthIssueData),
    E(
        "health_issue.resolved",
        "A health issue's service was restored (or it was a false positive).",
        HealthIssueData,
    ),
    E("maintenance.scheduled", "Planned maintenance was announced.", MaintenanceData),
    E("maintenance.updated", "A maintenance window moved or changed.", MaintenanceData),
    E("maintenance.started", "A maintenance window began.", MaintenanceData),
    E("maintenance.completed", "A maintenance window ended.", MaintenanceData),
    E("maintenance.cancelled", "Planned maintenance was cancelled.", MaintenanceData),
    E("message.published", "A Message center post was published.", MessageData),
    E("message.revised", "A published Message center post was revised.", MessageData),
    E("user.created", "A user was created.", UserData),
    E("user.blocked", "A user's sign-in was blocked.", UserData),
    E("user.unblocked", "A user may sign in again.", UserData),
    E("user.deleted", "A user was deleted.", UserData),
    E(
        "webhook.test",
        "A test ping, sent to one endpoint when its admin asks for it.",
        WebhookTestData,
        on_request_only=True,
    ),
)


class UnknownEvent(LookupError):
    pass


def get(name: str) -> EventType:
    try:
        return CATALOG[name]
    except KeyError:
        raise UnknownEvent(f"{name} is not in the events catalog (partnerdesk/events/catalog.py)") from None


def matches(pattern: str, name: str) -> bool:
    """Whether an endpoint's `pattern` ("subscription.suspended", "subscription.*" or "*") names `name`."""
    if pattern == name:
        return True
    if CATALOG[name].on_request_only:
        return False
    if pattern == "*":
        return True
    return pattern.endswith(".*") and name.startswith(pattern[:-1])


def valid_pattern(pattern: str) -> bool:
    """Whether `pattern` names at least one event of the catalog (a typo is refused, not kept)."""
    return any(matches(pattern, name) for name in CATALOG)


SIGNATURE_HEADERS = [
    {
        "in": "header",
        "name": "webhook-id",
        "required": True,
        "description": "The message id: the same on every retry and re-send; de-duplicate by it.",
        "schema": {"type": "string"},
    },
    {
        "in": "header",
        "name": "webhook-timestamp",
        "required": True,
        "description": "Seconds since the epoch when this attempt was sent.",
        "schema": {"type": "string"},
    },
    {
        "in": "header",
        "name": "webhook-signature",
        "required": True,
        "description": (
            "Space-separated `v1,<base64 HMAC-SHA256>` of `{webhook-id}.{webhook-timestamp}.{body}`, one "
            "per valid secret (two while a rotated secret rolls over). Standard Webhooks."
        ),
        "schema": {"type": "string"},
    },
]


def webhooks_document(*, ref_prefix: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The OpenAPI 3.1 `webhooks` object for the catalog, and the component schemas it refers to.

    Each event is a POST to the receiver whose body is the envelope (`type`, `version`, `timestamp`,
    `event_id`, `object`), titled like `SubscriptionSuspendedEvent`, with the event's payload (a
    component schema, shared by events of the same shape) in `data`. The envelopes are written
    inline, not as 45 more component schemas: the interactive docs render every component.
    """
    payloads = sorted(
        {event_type.payload for event_type in CATALOG.values()}, key=lambda model: model.__name__
    )
    _, definitions = models_json_schema(
        [(model, "serialization") for model in payloads], ref_template=ref_prefix + "{model}"
    )
    components: dict[str, Any] = dict(definitions.get("$defs", {}))
    webhooks: dict[str, Any] = {}
    for name, event_type in CATALOG.items():
        envelope = {
            "type": "object",
            "title": event_type.schema_name,
            "description": event_type.description,
            "required": ["type", "version", "timestamp", "event_id", "object", "data"],
            "properties": {
                "type": {"type": "string", "const": name},
                "version": {"type": "integer", "const": event_type.version},
                "timestamp": {"type": "string", "format": "date-time"},
                "event_id": {"type": "string", "format": "uuid"},
                "object": {
                    "type": "object",
                    "required": ["type", "id"],
                    "properties": {"type": {"type": "string"}, "id": {"type": "string"}},
                },
                "data": {"$ref": ref_prefix + event_type.payload.__name__},
            },
        }
        webhooks[name] = {
            "post": {
                "summary": event_type.description,
                "operationId": "webhook_" + name.replace(".", "_"),
                "tags": ["webhooks"],
                "parameters": SIGNATURE_HEADERS,
                "requestBody": {"required": True, "content": {"application/json": {"schema": envelope}}},
                "responses": {
                    "2XX": {"description": "Received. Anything else (or no answer in 10 s) is retried."}
                },
            }
        }
    return webhooks, components
