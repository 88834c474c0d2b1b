"""Typed inputs of support's operations that are both a page's form and an API operation
(`partnerdesk.inputs`): the API takes them as its payload, the pages' forms validate into them, the
services take them."""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import Field

from partnerdesk.api import Email
from partnerdesk.inputs import Input

SeverityIn = Literal["critical", "moderate", "minimal"]


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
