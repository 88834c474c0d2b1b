"""Typed inputs of the accounts' operations that are both a page's form and an API operation
(`partnerdesk.inputs`): the API takes them as its payload, the pages' forms validate into them."""

from __future__ import annotations

from typing import Annotated

from ninja import Schema
from pydantic import Field, StringConstraints

from partnerdesk.access.permissions import TokenScope
from partnerdesk.inputs import Input

_EXPIRES_IN_DAYS = (
    "Days until the token expires: 1 to API_TOKEN_MAX_DAYS (365 unless the install says otherwise); "
    "90 when left out."
)
_SCOPES = "Narrow the token (see the bearer scheme): none for everything you may do."

# A password is compared as typed: its spaces are part of it.
Password = Annotated[str, StringConstraints(strip_whitespace=False, max_length=1024)]


class TokenChoices(Schema):
    """What the creator of a token chooses besides its name: how long it lives and what it may do.

    A plain schema, not an `Input`: the password grant's `TokenRequest` shares it, and no page's
    form is that operation.
    """

    expires_in_days: int | None = Field(default=None, ge=1, le=36500, description=_EXPIRES_IN_DAYS)
    scopes: list[TokenScope] = Field(default_factory=list, max_length=len(TokenScope), description=_SCOPES)


class TokenCreate(Input, TokenChoices):
    """A personal API token the signed-in user creates for themselves."""

    name: str = Field(default="", max_length=100)


class PasswordChange(Input):
    """A password changed knowing the current one."""

    email: str = Field(max_length=254)
    current_password: Password
    new_password: Password
