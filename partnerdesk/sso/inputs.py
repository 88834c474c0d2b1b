"""Typed input of the single sign-on connection, both a page's form and an API operation
(`partnerdesk.inputs`): the API takes it as its payload, the settings page's form validates into it.
The service keeps its keyword arguments (the tests' and the demo's connections call it with what no
person typed); the edges pass the model's fields."""

from __future__ import annotations

from pydantic import Field

from partnerdesk.inputs import Input


class SsoConnectionIn(Input):
    """The organization's identity provider, connected or changed."""

    # No minimum length: an empty issuer or client ID is the service's 400 `sso_incomplete`, as it
    # always was in the API (the page's form says the field is required).
    issuer: str = Field(max_length=500, description="The provider's issuer URL (https)")
    client_id: str = Field(max_length=255)
    client_secret: str = Field(
        default="", max_length=1000, description="Required when connecting; left out or empty keeps it"
    )
    just_in_time: bool = Field(default=False, description="Create plain users at first sign-in (customers)")
    require_sso: bool = Field(default=False, description="Turn passwords off for the organization's people")
