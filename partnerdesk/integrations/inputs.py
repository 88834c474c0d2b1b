"""The typed input of registering an OAuth app, both a page's form and an API operation
(`partnerdesk.inputs`): the API takes it as its payload, the *Apps* pages' form validates into it."""

from __future__ import annotations

from pydantic import Field

from partnerdesk.access.permissions import TokenScope
from partnerdesk.inputs import Input


class OAuthAppIn(Input):
    name: str = Field(min_length=1, max_length=100)
    scopes: list[TokenScope] = Field(
        min_length=1,
        max_length=len(TokenScope),
        description="At least one (see the OAuth2 scheme); `entitlements` for the operator's apps only.",
    )
