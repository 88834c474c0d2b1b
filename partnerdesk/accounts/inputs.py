"""Typed inputs of the accounts' operations that are both a page's form and an API operation
(`partnerdesk.inputs`): the API takes them as its payload, the pages' forms validate into them."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints

from partnerdesk.inputs import Input

# A password is compared as typed: its spaces are part of it.
Password = Annotated[str, StringConstraints(strip_whitespace=False, max_length=1024)]


class PasswordChange(Input):
    """A password changed knowing the current one (the page's user is the one signed in)."""

    email: str = Field(max_length=254)
    current_password: Password
    new_password: Password
