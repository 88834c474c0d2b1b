"""Typed inputs of the subscriptions' operations that are both a page's form and an API operation
(`partnerdesk.inputs`): the API takes them as its payload, the pages' forms validate into them. The
services keep their keyword arguments: the demo and the scripted days call them with what no person
typed, and the edges pass the models' fields."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from partnerdesk.inputs import Input


class SubscriptionIn(Input):
    """A partner buys an offer for a customer; with a base subscription, an add-on to it."""

    offer_id: uuid.UUID
    quantity: int = Field(ge=1)
    friendly_name: str = Field(default="", max_length=200)
    base_subscription_id: uuid.UUID | None = Field(
        default=None, description="For an add-on: the base subscription"
    )


class ChangeRequestIn(Input):
    """A customer admin asks the partner to change a subscription."""

    subscription_id: uuid.UUID
    type: Literal["increase", "decrease", "upgrade", "cancel"]
    seats: int | None = Field(default=None, ge=1, description="More or fewer seats: the new total of seats.")
    quantity: int | None = Field(
        default=None,
        ge=1,
        description="Deprecated: the difference in seats. Send `seats`, the new total, instead.",
        json_schema_extra={"deprecated": True},
    )
    target_sku_id: uuid.UUID | None = None
    note: str = Field(default="", max_length=4000)


class ReplyIn(Input):
    """The customer's answer to the partner's question about a change request."""

    # Kept as sent: an answer of spaces is the service's 400 `note_required`, as it always was in the
    # API (the page's form trims it and says the field is required).
    note: Annotated[str, StringConstraints(strip_whitespace=False, min_length=1, max_length=4000)]
