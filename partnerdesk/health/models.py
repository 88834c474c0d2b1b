"""Service health (derived status history, issues, maintenance) and Message center.

The services themselves (with their features and regions) are the catalog's (`partnerdesk.catalog`).

Audiences are never expanded into rows: a Message center post stores *who* it is for (all tenants,
tenants entitled to some services, one partner's customers, an explicit list) and every read
evaluates that rule against the reader's tenant (see `partnerdesk.health.queries`).
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from partnerdesk.audit.models import AppendOnlyError
from partnerdesk.catalog.models import Feature, Region, Service, ServiceStatus
from partnerdesk.etags import Versioned

# Issue statuses after which the issue no longer affects the service.
CLOSED_STATUSES = frozenset(
    {
        ServiceStatus.SERVICE_RESTORED,
        ServiceStatus.POST_INCIDENT_REVIEW_PUBLISHED,
        ServiceStatus.FALSE_POSITIVE,
        ServiceStatus.INVESTIGATION_SUSPENDED,
    }
)
ISSUE_STATUSES = [s for s in ServiceStatus if s != ServiceStatus.SERVICE_OPERATIONAL]

# Worst first: a service shows the worst status among its open issues.
STATUS_SEVERITY: dict[str, int] = {
    ServiceStatus.SERVICE_INTERRUPTION: 60,
    ServiceStatus.SERVICE_DEGRADATION: 50,
    ServiceStatus.RESTORING_SERVICE: 40,
    ServiceStatus.EXTENDED_RECOVERY: 30,
    ServiceStatus.INVESTIGATING: 20,
    ServiceStatus.VERIFYING_SERVICE: 10,
    ServiceStatus.SERVICE_OPERATIONAL: 0,
}


class ServiceStatusChangeQuerySet(models.QuerySet["ServiceStatusChange"]):
    """The status history is a record, like the audit log: rows are added, never changed or removed."""

    def update(self, **kwargs: Any) -> int:
        raise AppendOnlyError("service status changes cannot be updated")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("service status changes cannot be deleted")


class ServiceStatusChange(models.Model):
    """Append-only: the service's derived status changed to `status` at `at`, because of `issue`.

    The service health history (its page, the API, the daily bars) is read from these rows.
    """

    id = models.BigAutoField(primary_key=True)
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="status_changes")
    status = models.CharField(max_length=40, choices=ServiceStatus.choices)
    issue = models.ForeignKey(
        "HealthIssue", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)

    objects = ServiceStatusChangeQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["service", "-at"], name="health_status_service_at")]

    def __str__(self) -> str:
        return f"{self.service_id} {self.status} {self.at:%Y-%m-%d %H:%M}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError("service status changes cannot be updated")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("service status changes cannot be deleted")


class DisplayNumber(models.Model):
    """The last display number handed out per kind (MC, HI, MA), claimed with SELECT … FOR UPDATE."""

    kind = models.CharField(max_length=4, primary_key=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.kind}{self.last}"


class HealthIssue(Versioned):
    """An incident or advisory affecting services; a draft until published, then only appended to.

    Changing a published issue's text writes a visible `HealthIssueRevision`; status changes are
    timeline posts. Nothing published is edited silently.
    """

    class Classification(models.TextChoices):
        INCIDENT = "incident", _("Incident")
        ADVISORY = "advisory", _("Advisory")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    number = models.PositiveIntegerField(unique=True)
    classification = models.CharField(
        _("classification"), max_length=16, choices=Classification.choices, default=Classification.INCIDENT
    )
    status = models.CharField(
        _("status"), max_length=40, choices=ServiceStatus.choices, default=ServiceStatus.INVESTIGATING
    )
    title = models.CharField(_("title"), max_length=300)
    impact_description = models.TextField(_("user impact"))
    services = models.ManyToManyField(Service, related_name="issues", verbose_name=_("affected services"))
    features = models.ManyToManyField(Feature, related_name="issues", blank=True)
    regions = models.ManyToManyField(Region, related_name="issues", blank=True)
    start_at = models.DateTimeField(_("start"), default=timezone.now)
    end_at = models.DateTimeField(_("end"), null=True, blank=True)
    is_published = models.BooleanField(default=False)
    published_at = models.DateTimeField(null=True, blank=True)
    incident_report = models.TextField(_("post-incident report"), blank=True)
    incident_report_published_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    last_modified_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["is_published", "-start_at", "id"], name="health_issue_published"),
            models.Index(fields=["-last_modified_at", "id"], name="health_issue_modified"),
        ]

    def __str__(self) -> str:
        return f"{self.display_id} {self.title}"

    @property
    def display_id(self) -> str:
        return f"HI{self.number}"

    @property
    def is_resolved(self) -> bool:
        return self.status in CLOSED_STATUSES


class HealthIssuePost(models.Model):
    """One entry of an issue's timeline: an update, a correction, or the post-incident report notice."""

    class Kind(models.TextChoices):
        UPDATE = "update", _("Update")
        CORRECTION = "correction", _("Correction")
        REPORT = "report", _("Post-incident report")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    issue = models.ForeignKey(HealthIssue, on_delete=models.CASCADE, related_name="posts")
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.UPDATE)
    status = models.CharField(_("status"), max_length=40, choices=ServiceStatus.choices)
    body = models.TextField(_("text"))
    # `body` rendered and sanitized when written (`rendering.render_markdown`): timelines are read
    # far more often than written.
    body_html = models.TextField(blank=True, editable=False)
    notifies = models.BooleanField(_("notify subscribers"), default=True)
    # Set when a notifying post is published; the mail job clears it with a conditional UPDATE.
    mail_pending = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["issue", "created_at", "id"], name="health_post_issue")]

    def __str__(self) -> str:
        return f"{self.issue_id} {self.kind} {self.created_at:%Y-%m-%d %H:%M}"


class HealthIssueRevision(models.Model):
    """A visible change to a published issue's title, impact, affected services or dates."""

    id = models.BigAutoField(primary_key=True)
    issue = models.ForeignKey(HealthIssue, on_delete=models.CASCADE, related_name="revisions")
    before = models.JSONField()
    after = models.JSONField()
    note = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.issue_id} revision {self.pk}"


class PlannedMaintenance(models.Model):
    """A maintenance window on some services; the worker sends reminders, starts and ends it."""

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        IN_PROGRESS = "in_progress", _("In progress")
        COMPLETED = "completed", _("Completed")
        CANCELLED = "cancelled", _("Cancelled")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    number = models.PositiveIntegerField(unique=True)
    title = models.CharField(_("title"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    services = models.ManyToManyField(Service, related_name="maintenances", verbose_name=_("services"))
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.SCHEDULED)
    # Hours before the start at which subscribers get a reminder, and which of them went out.
    reminder_hours = models.JSONField(default=list)
    reminders_sent = models.JSONField(default=list)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    last_modified_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["status", "starts_at"], name="health_maintenance_due")]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="maintenance_ends_after_start"
            )
        ]

    def __str__(self) -> str:
        return f"{self.display_id} {self.title}"

    @property
    def display_id(self) -> str:
        return f"MA{self.number}"


class MessagePost(Versioned):
    """A Message center post (`MC123456`), addressed to an audience evaluated when read."""

    class Category(models.TextChoices):
        PREVENT_OR_FIX_ISSUE = "prevent_or_fix_issue", _("Prevent or fix issue")
        PLAN_FOR_CHANGE = "plan_for_change", _("Plan for change")
        STAY_INFORMED = "stay_informed", _("Stay informed")

    class Severity(models.TextChoices):
        NORMAL = "normal", _("Normal")
        HIGH = "high", _("High")
        CRITICAL = "critical", _("Critical")

    class Tag(models.TextChoices):
        DATA_PRIVACY = "data_privacy", _("Data privacy")
        NEW_FEATURE = "new_feature", _("New feature")
        RETIREMENT = "retirement", _("Retirement")
        USER_IMPACT = "user_impact", _("User impact")
        ADMIN_IMPACT = "admin_impact", _("Admin impact")

    class Audience(models.TextChoices):
        ALL = "all", _("All tenants")
        SERVICES = "services", _("Tenants entitled to services")
        PARTNER_CUSTOMERS = "partner_customers", _("One partner's customers")
        TENANTS = "tenants", _("A list of tenants")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SCHEDULED = "scheduled", _("Scheduled")
        PUBLISHED = "published", _("Published")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    number = models.PositiveIntegerField(unique=True)
    title = models.CharField(_("title"), max_length=300)
    body = models.TextField(_("body"), help_text=_("Markdown"))
    # `body` rendered and sanitized when written (`rendering.render_markdown`), so a list of 50 posts
    # renders no Markdown.
    body_html = models.TextField(blank=True, editable=False)
    category = models.CharField(_("category"), max_length=32, choices=Category.choices)
    severity = models.CharField(
        _("severity"), max_length=16, choices=Severity.choices, default=Severity.NORMAL
    )
    is_major_change = models.BooleanField(_("major change"), default=False)
    act_by = models.DateField(_("act by"), null=True, blank=True)
    services = models.ManyToManyField(
        Service, related_name="messages", blank=True, verbose_name=_("services")
    )
    # Stored as ",data_privacy,new_feature," so one tag is a `contains` filter on every database.
    tags = models.CharField(max_length=200, blank=True, default="")
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    audience = models.CharField(_("audience"), max_length=20, choices=Audience.choices, default=Audience.ALL)
    audience_services = models.ManyToManyField(Service, related_name="+", blank=True)
    audience_partner = models.ForeignKey(
        "tenancy.Organization", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # An explicit list is the one audience stored per tenant: the operator typed each one.
    audience_customers = models.ManyToManyField("tenancy.Organization", related_name="+", blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    publish_at = models.DateTimeField(_("publish at"), null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    revision = models.PositiveIntegerField(default=0)
    # Set when a publication or a notifying revision should e-mail opted-in admins; the mail job
    # clears it with a conditional UPDATE, so publishing itself costs the same for any audience.
    mail_pending = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    last_modified_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["status", "-last_modified_at", "id"], name="health_message_list"),
            models.Index(fields=["status", "publish_at"], name="health_message_scheduled"),
        ]

    def __str__(self) -> str:
        return f"{self.display_id} {self.title}"

    @property
    def display_id(self) -> str:
        return f"MC{self.number}"

    @property
    def tag_list(self) -> list[str]:
        return [tag for tag in self.tags.split(",") if tag]

    @property
    def is_data_privacy(self) -> bool:
        return self.Tag.DATA_PRIVACY in self.tag_list

    @staticmethod
    def join_tags(tags: list[str]) -> str:
        ordered = [tag for tag in MessagePost.Tag.values if tag in set(tags)]
        return f",{','.join(ordered)}," if ordered else ""


class MessageRevision(models.Model):
    """A published post's earlier text and what changed; says whether the change notified."""

    id = models.BigAutoField(primary_key=True)
    message = models.ForeignKey(MessagePost, on_delete=models.CASCADE, related_name="revisions")
    revision = models.PositiveIntegerField()
    title = models.CharField(max_length=300)
    body = models.TextField()
    # The post's `body_html` of that time.
    body_html = models.TextField(blank=True, editable=False)
    note = models.TextField(blank=True)
    notifies = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["revision"]
        constraints = [
            models.UniqueConstraint(fields=["message", "revision"], name="message_revision_unique")
        ]

    def __str__(self) -> str:
        return f"{self.message_id} revision {self.revision}"


def _attachment_path(instance: MessageAttachment, filename: str) -> str:
    # The stored name never comes from the uploader: no path tricks, no overwriting.
    return f"messages/{instance.created_at:%Y/%m}/{instance.id}"


class MessageAttachment(models.Model):
    """A file attached to a Message center post, stored under MEDIA_ROOT like support's attachments
    (`partnerdesk.uploads`) and served only to those who can see the post.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    message = models.ForeignKey(MessagePost, on_delete=models.CASCADE, related_name="attachments")
    name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100, default="application/octet-stream")
    file = models.FileField(upload_to=_attachment_path, max_length=300)
    size = models.PositiveIntegerField(default=0)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class MessageViewState(models.Model):
    """One user's read / archived / favourite state of one post; absent means unread and in the inbox."""

    id = models.BigAutoField(primary_key=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    message = models.ForeignKey(MessagePost, on_delete=models.CASCADE, related_name="view_states")
    is_read = models.BooleanField(default=False)
    is_archived = models.BooleanField(default=False)
    is_favorited = models.BooleanField(default=False)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "message"], name="message_state_per_user")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.message_id}"


class AdminPreference(Versioned):
    """What one admin wants from Message center and service health by e-mail and on screen."""

    id = models.BigAutoField(primary_key=True)
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    # Empty means every entitled service.
    services = models.ManyToManyField(Service, related_name="+", blank=True)
    weekly_digest = models.BooleanField(_("weekly digest"), default=True)
    email_major_changes = models.BooleanField(_("e-mail major changes"), default=False)
    email_data_privacy = models.BooleanField(_("e-mail data privacy posts"), default=False)
    email_health_issues = models.BooleanField(_("e-mail health issues"), default=False)
    health_services = models.ManyToManyField(Service, related_name="+", blank=True)
    extra_emails = models.JSONField(default=list)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"preferences of {self.user_id}"


class MailDelivery(models.Model):
    """That `user` was mailed about `key` (a post revision, an issue post, a digest week): never twice."""

    id = models.BigAutoField(primary_key=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=120)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="health_mail_once")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.key}"


class FeedToken(models.Model):
    """The secret in a tenant's Atom feed URL; stored hashed, revocable."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey("tenancy.Organization", on_delete=models.CASCADE, related_name="+")
    prefix = models.CharField(max_length=16)
    token_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.prefix}…"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class ChangeCount(models.Model):
    """How often one kind of content changed: the cheap validator of the ETags of lists built from it.

    Bumped in the transaction of every change (`health.changes.changed`). Content that changes on
    its own at a known time (a post expires) sets `changes_at`; the first read after it counts the
    change, so a tag never outlives what it describes.
    """

    name = models.CharField(primary_key=True, max_length=80)
    value = models.BigIntegerField(default=0)
    changes_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} {self.value}"
