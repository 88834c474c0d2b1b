"""Typed inputs of the directory's operations that are both a page's form and an API operation
(`partnerdesk.inputs`): the API takes them as its payload, the pages' forms validate into them, the
services take them."""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import Field

from partnerdesk.api import Email
from partnerdesk.inputs import Input


class UserIn(Input):
    """A new user of the tenant (the page composes the name from its user name and domain)."""

    user_principal_name: str = Field(
        min_length=3, max_length=254, description="local@domain; a verified domain"
    )
    display_name: str = Field(min_length=1, max_length=200)
    job_title: str = Field(default="", max_length=100)
    department: str = Field(default="", max_length=100)
    usage_location: str = Field(default="", max_length=2)
    phone: str = Field(default="", max_length=40)
    admin_roles: list[str] = Field(
        default_factory=list, description="Customer admin roles (needs roles.assign)"
    )


class UserPatch(Input):
    """A change of a user: a field left out stays as it is."""

    user_principal_name: str | None = Field(default=None, min_length=3, max_length=254)
    display_name: str | None = Field(default=None, min_length=1, max_length=200)
    job_title: str | None = Field(default=None, max_length=100)
    department: str | None = Field(default=None, max_length=100)
    usage_location: str | None = Field(default=None, max_length=2)
    phone: str | None = Field(default=None, max_length=40)
    blocked: bool | None = None
    must_change_password: Literal[True] | None = Field(
        default=None, description="true: the user must choose a new password at the next sign-in"
    )


class OrganizationPatch(Input):
    """A change of the organization's settings (profile, security, release): a field left out stays."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    address: str | None = Field(default=None, max_length=2000)
    country: str | None = Field(default=None, max_length=2)
    contact_email: Email | Literal[""] | None = None
    phone: str | None = Field(default=None, max_length=40)
    language: Literal["en", "zh-hans", "es"] | None = None
    time_zone: str | None = Field(default=None, max_length=64)
    technical_contact_name: str | None = Field(default=None, max_length=200)
    password_min_length: int | None = Field(default=None, ge=8, le=128)
    password_expiry_days: int | None = Field(default=None, ge=0, le=730)
    lockout_threshold: int | None = Field(default=None, ge=0, le=100)
    lockout_minutes: int | None = Field(default=None, ge=1, le=1440)
    release_preference: Literal["standard", "targeted_admins", "targeted_all"] | None = None


class GroupIn(Input):
    """A new group of the tenant."""

    name: str = Field(min_length=1, max_length=120)
    description: str = Field(default="", max_length=2000)


class DomainIn(Input):
    """A custom domain to add (and verify in DNS)."""

    name: str = Field(min_length=1, max_length=253)


class RolesIn(Input):
    """A user's admin roles, all of them: the ones left out are taken away."""

    admin_roles: list[str]


class ResetIn(Input):
    """A temporary password for a user: returned once, or mailed to `send_to`."""

    send_to: Email | None = Field(
        default=None, description="E-mail the temporary password instead of returning it"
    )


class MemberIn(Input):
    """A member or an owner added to a group."""

    user_id: uuid.UUID
    role: Literal["member", "owner"] = "member"
