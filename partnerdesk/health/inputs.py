"""Typed inputs of service health's and Message center's operations that are both a page's form and
an API operation (`partnerdesk.inputs`): the API takes them as its payload, the pages' forms validate
into them."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from partnerdesk.edge import NotNull
from partnerdesk.health.message_center import AudienceSpec
from partnerdesk.inputs import Input

# Kept as sent where the service refuses a text of spaces itself: its 400 `field_required`, as it
# always was in the API (the page's form trims it and says the field is required).
Required = Annotated[str, StringConstraints(strip_whitespace=False)]

StatusValue = Literal[
    "investigating",
    "service_degradation",
    "service_interruption",
    "restoring_service",
    "extended_recovery",
    "verifying_service",
    "service_restored",
    "post_incident_review_published",
    "false_positive",
    "investigation_suspended",
]


class ServiceIn(Input):
    """A service added to the catalog (its key is lower-case letters, digits, `-` and `_`)."""

    key: str = Field(min_length=1, max_length=64, pattern=r"^[-a-z0-9_]+$")
    name: Required = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=4000)


class IssueIn(Input):
    title: str = Field(min_length=1, max_length=300)
    impact_description: str = Field(min_length=1, max_length=10000)
    classification: Literal["incident", "advisory"] = "incident"
    status: StatusValue = "investigating"
    services: list[uuid.UUID] = Field(min_length=1)
    features: list[uuid.UUID] = []
    regions: list[uuid.UUID] = []
    start_at: datetime | None = None
    first_post: str = Field(default="", max_length=20000)
    publish: bool = False


class IssuePostIn(Input):
    body: str = Field(min_length=1, max_length=20000)
    status: StatusValue | None = None
    notifies: bool = True
    correction: bool = False


class IssuePatch(Input):
    """A revision of a health issue: a field left out stays as it is."""

    title: Required | None = Field(default=None, min_length=1, max_length=300)
    impact_description: Required | None = Field(default=None, min_length=1, max_length=10000)
    classification: Literal["incident", "advisory"] | None = None
    start_at: datetime | None = None
    end_at: datetime | None = None
    services: list[uuid.UUID] | None = None
    note: str = Field(default="", max_length=2000)


class AudienceIn(Input):
    type: Literal["all", "services", "partner_customers", "tenants"]
    services: list[uuid.UUID] = []
    partner_id: uuid.UUID | None = None
    customer_ids: list[uuid.UUID] = []

    def spec(self) -> AudienceSpec:
        return AudienceSpec(
            type=self.type,
            service_ids=tuple(str(s) for s in self.services),
            partner_id=str(self.partner_id) if self.partner_id else None,
            customer_ids=tuple(str(c) for c in self.customer_ids),
        )


Category = Literal["prevent_or_fix_issue", "plan_for_change", "stay_informed"]
Severity = Literal["normal", "high", "critical"]
Tag = Literal["data_privacy", "new_feature", "retirement", "user_impact", "admin_impact"]


class MessageIn(Input):
    title: str = Field(min_length=1, max_length=300)
    body: str = Field(min_length=1, max_length=100000, description="Markdown")
    category: Category
    severity: Severity = "normal"
    is_major_change: bool = False
    act_by: date | None = None
    services: list[uuid.UUID] = []
    tags: list[Tag] = []
    expires_at: datetime | None = None
    audience: AudienceIn
    publish: bool = Field(default=False, description="Publish at once; otherwise a draft (or scheduled).")
    publish_at: datetime | None = None


class MessagePatch(Input):
    """A revision of a Message center post: a field left out stays as it is."""

    title: NotNull[Required] = Field(default=None, min_length=1, max_length=300)
    body: NotNull[Required] = Field(default=None, min_length=1, max_length=100000)
    category: NotNull[Category] = None
    severity: NotNull[Severity] = None
    is_major_change: NotNull[bool] = None
    act_by: date | None = None
    services: NotNull[list[uuid.UUID]] = None
    tags: NotNull[list[Tag]] = None
    expires_at: datetime | None = None
    note: str = Field(default="", max_length=2000)
    notifies: bool = False


class PreferencesIO(Input):
    """The caller's own Message center and health preferences (as saved, and as answered)."""

    services: list[uuid.UUID] = []
    weekly_digest: bool = True
    email_major_changes: bool = False
    email_data_privacy: bool = False
    email_health_issues: bool = False
    health_services: list[uuid.UUID] = []
    extra_emails: list[str] = Field(default=[], max_length=2)


class ReportIn(Input):
    """The post-incident report of a health issue."""

    report: str = Field(min_length=1, max_length=100000)


class MaintenanceIn(Input):
    """Planned maintenance of services."""

    title: str = Field(min_length=1, max_length=300)
    description: str = Field(default="", max_length=10000)
    services: list[uuid.UUID] = Field(min_length=1)
    starts_at: datetime
    ends_at: datetime
    reminder_hours: list[int] = [72, 24, 1]


class RescheduleIn(Input):
    """A planned maintenance moved to a new window."""

    starts_at: datetime
    ends_at: datetime
