"""Typed inputs of support's operations that are both a page's form and an API operation
(`partnerdesk.inputs`): the API takes them as its payload, the pages' forms validate into them, the
services take them."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from partnerdesk.api import Email
from partnerdesk.inputs import Input

SeverityIn = Literal["critical", "moderate", "minimal"]

# A flag's texts are kept as sent: one of spaces is the service's 400 `field_required`, as it always
# was in the API (the page's form trims it and says the field is required).
FlagText = Annotated[str, StringConstraints(strip_whitespace=False, min_length=1, max_length=5000)]


class SupportRequestIn(Input):
    """A customer's new support request (the page adds an optional attachment beside it)."""

    title: str = Field(min_length=1, max_length=200)
    description: str = Field(min_length=1, max_length=20000)
    severity: SeverityIn
    service_id: uuid.UUID | None = None
    contact_name: str = Field(min_length=1, max_length=200)
    contact_email: Email
    contact_phone: str = Field(default="", max_length=40)
    contact_method: Literal["email", "phone"] = "email"


class RequestMessageIn(Input):
    """A reply to a support request, or (the partner's) internal note."""

    body: str = Field(min_length=1, max_length=20000)
    visibility: Literal["public", "internal"] = "public"


class ServiceRequestIn(Input):
    """A partner's own service request to the operator."""

    title: str = Field(min_length=1, max_length=200)
    description: str = Field(min_length=1, max_length=20000)
    severity: SeverityIn
    topic_id: uuid.UUID
    service_id: uuid.UUID | None = None
    contact_id: uuid.UUID | None = None


class NoteIn(Input):
    """A note on a service request (the operator's to the partner or internal, the partner's)."""

    body: str = Field(min_length=1, max_length=20000)
    kind: Literal["to_partner", "operator_internal", "from_partner"] | None = Field(
        default=None, description="Default: to_partner for the operator, from_partner for a partner."
    )


class TopicIn(Input):
    """A support topic the operator's desk offers."""

    name: str = Field(min_length=1, max_length=120)
    description: str = Field(default="", max_length=300)


class EscalateIn(Input):
    """A partner's escalation of a support request to the operator, as a service request."""

    topic_id: uuid.UUID
    severity: SeverityIn
    contact_id: uuid.UUID | None = Field(default=None, description="A person of the partner; default you.")
    title: str = Field(default="", max_length=200, description="Default: the support request's title.")
    description: str = Field(default="", max_length=20000)
    shared_message_ids: list[uuid.UUID] = Field(
        default_factory=list, description="Messages of the support request the operator may read."
    )


class ServiceRequestPatch(Input):
    """A change of a service request: a field left out stays as it is."""

    status: Literal["open", "attention_needed", "closed"] | None = None
    assignee_id: uuid.UUID | None = None
    severity: SeverityIn | None = None
    topic_id: uuid.UUID | None = None
    resolution: str = Field(default="", max_length=20000)


class ProfilePatch(Input):
    """A change of the partner's support profile: a field left out stays as it is."""

    email: Email | Literal[""] | None = None
    phone: str | None = Field(default=None, max_length=40)
    website: str | None = Field(default=None, max_length=200)
    hours: str | None = Field(default=None, max_length=200)


class FlagIn(Input):
    """A partner flagged for an inappropriate escalation, with a remediation plan."""

    reason: FlagText
    remediation: FlagText
    service_request_id: uuid.UUID | None = None


class FlagResolveIn(Input):
    """How a partner's flag was resolved."""

    note: FlagText
