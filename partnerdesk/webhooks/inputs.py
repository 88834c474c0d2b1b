"""Typed inputs of the webhook endpoint operations that are both a page's form and an API operation
(`partnerdesk.inputs`): the API takes them as its payload, the pages' form validates into them."""

from __future__ import annotations

from pydantic import Field

from partnerdesk.edge import NotNull
from partnerdesk.inputs import Input

_EVENTS = (
    "Event names from the catalog (the OpenAPI document's `webhooks`), or wildcards: `subscription.*`, "
    "`*`. An unknown name is 422 `unknown_event`. You receive only what your organization may see."
)
_URL = (
    "https:// (http only towards a network the install allows). Addresses that resolve to loopback, "
    "private, link-local or reserved ranges are refused (422 `webhook_url_refused`)."
)


class EndpointIn(Input):
    url: str = Field(min_length=8, max_length=2000, description=_URL)
    events: list[str] = Field(min_length=1, max_length=100, description=_EVENTS)
    description: str = Field(default="", max_length=300)


class EndpointPatch(Input):
    url: NotNull[str] = Field(default=None, min_length=8, max_length=2000, description=_URL)
    events: NotNull[list[str]] = Field(default=None, min_length=1, max_length=100, description=_EVENTS)
    description: NotNull[str] = Field(default=None, max_length=300)
    enabled: NotNull[bool] = Field(default=None, description="false: stop sending; true: resume in order.")
