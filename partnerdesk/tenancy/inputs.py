"""Typed inputs of the customer operations that are both a page's form and an API operation
(`partnerdesk.inputs`): the API takes them as its payload, the pages' forms validate into them, the
services take them."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from partnerdesk.api import Email
from partnerdesk.edge import NotNull
from partnerdesk.inputs import Input

Language = Literal["en", "zh-hans", "es"]


class AdminIn(Input):
    email: Email
    display_name: str = Field(default="", max_length=200)


class BillingProfile(Input):
    billing_contact: str = Field(default="", max_length=200)
    billing_email: Email | Literal[""] = ""
    billing_phone: str = Field(default="", max_length=40)
    billing_address: str = Field(default="", max_length=2000)


class PartnerIn(Input):
    """A new partner, with its first global admin."""

    name: str = Field(min_length=1, max_length=200)
    contact_email: Email | Literal[""] = ""
    phone: str = Field(default="", max_length=40)
    website: str = Field(default="", max_length=200)
    country: str = Field(default="", max_length=2)
    address: str = Field(default="", max_length=2000)
    admin: AdminIn


class PartnerPatch(Input):
    """A change of a partner (its profile, or suspending it): a field left out stays as it is."""

    name: NotNull[str] = Field(default=None, min_length=1, max_length=200)
    contact_email: NotNull[Email | Literal[""]] = None
    phone: NotNull[str] = Field(default=None, max_length=40)
    website: NotNull[str] = Field(default=None, max_length=200)
    country: NotNull[str] = Field(default=None, max_length=2)
    address: NotNull[str] = Field(default=None, max_length=2000)
    status: NotNull[Literal["active", "suspended"]] = None
    suspension_reason: str = Field(default="", max_length=2000)


class CustomerIn(Input):
    """A partner's new customer, with its first global admin."""

    name: str = Field(min_length=1, max_length=200)
    domain_prefix: str = Field(default="", max_length=40, description="Becomes <prefix>.<install suffix>.")
    contact_email: Email | Literal[""] = ""
    phone: str = Field(default="", max_length=40)
    country: str = Field(default="", max_length=2)
    address: str = Field(default="", max_length=2000)
    language: Language = "en"
    time_zone: str = Field(default="UTC", max_length=64)
    billing: BillingProfile | None = None
    admin: AdminIn


class CustomerPatch(Input):
    """A change of a customer's profile: a field left out stays as it is."""

    name: NotNull[str] = Field(default=None, min_length=1, max_length=200)
    contact_email: NotNull[Email | Literal[""]] = None
    phone: NotNull[str] = Field(default=None, max_length=40)
    country: NotNull[str] = Field(default=None, max_length=2)
    address: NotNull[str] = Field(default=None, max_length=2000)
    language: NotNull[Language] = None
    time_zone: NotNull[str] = Field(default=None, max_length=64)
    billing_contact: NotNull[str] = Field(default=None, max_length=200)
    billing_email: NotNull[Email | Literal[""]] = None
    billing_phone: NotNull[str] = Field(default=None, max_length=40)
    billing_address: NotNull[str] = Field(default=None, max_length=2000)


class RelationshipIn(Input):
    """A partner's request to a customer for delegated admin roles."""

    name: str = Field(default="", max_length=120)
    roles: list[str] = Field(min_length=1)
    duration_days: int = Field(ge=1)
