"""Support: customer → partner support requests, partner → operator service requests, and what
surrounds them (messages, attachments, SLA policies, help articles, profiles, flags).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from partnerdesk import texts
from partnerdesk.etags import Versioned


class Severity(models.TextChoices):
    CRITICAL = "critical", _("Critical")
    MODERATE = "moderate", _("Moderate")
    MINIMAL = "minimal", _("Minimal")


class Visibility(models.TextChoices):
    PUBLIC = "public", _("Public reply")
    INTERNAL = "internal", _("Internal note")


class Counter(models.Model):
    """The last number handed out for a human display key (SUP…, SR…); taken under a row lock."""

    name = models.CharField(max_length=32, primary_key=True)
    value = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name}={self.value}"


class SupportProfile(Versioned):
    """How a partner's customers reach its support desk, shown on the admin center's Support page."""

    partner = models.OneToOneField(
        "tenancy.Organization", on_delete=models.CASCADE, related_name="support_profile"
    )
    email = models.EmailField(_("support e-mail"), blank=True)
    phone = models.CharField(_("support phone"), max_length=40, blank=True)
    website = models.URLField(_("support website"), blank=True)
    hours = models.CharField(_("support hours"), max_length=200, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.partner}"


class SubscriptionSupportContact(models.Model):
    """The designated support contact for one subscription, overriding the partner's profile."""

    subscription = models.OneToOneField(
        "subscriptions.Subscription", on_delete=models.CASCADE, related_name="support_contact"
    )
    name = models.CharField(_("name"), max_length=200)
    email = models.EmailField(_("e-mail"))
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.name


class SupportTopic(models.Model):
    """What a service request is about; managed by the operator (billing, sign-in, a service…)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(_("name"), max_length=120, unique=True)
    description = models.CharField(_("description"), max_length=300, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class SlaPolicy(models.Model):
    """One organization's targets for one severity: a partner's to its customers, the operator's to
    partners. Targets count business minutes in the policy's time zone, skipping holidays.
    """

    organization = models.ForeignKey("tenancy.Organization", on_delete=models.CASCADE, related_name="+")
    severity = models.CharField(max_length=16, choices=Severity.choices)
    first_response_minutes = models.PositiveIntegerField(_("first response target (minutes)"))
    resolution_minutes = models.PositiveIntegerField(_("resolution target (minutes)"))
    around_the_clock = models.BooleanField(_("Around the clock"), default=False)
    time_zone = models.CharField(_("time zone"), max_length=64, default="UTC")
    workday_start = models.TimeField(_("business hours start"), default="09:00")
    workday_end = models.TimeField(_("business hours end"), default="18:00")
    workdays = models.JSONField(_("working days (0 = Monday)"), default=list)
    holidays = models.JSONField(_("holidays (YYYY-MM-DD)"), default=list, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "severity"], name="one_sla_policy_per_severity")
        ]

    def __str__(self) -> str:
        return f"{self.organization} {self.severity}"


class SlaClock(models.Model):
    """Fields shared by both kinds of request: the due times of the running clock and its pauses.

    While the request waits on the requester the clock is paused: the due times are cleared and
    the business minutes left are kept, to be added back from the moment it resumes.
    """

    severity = models.CharField(_("severity"), max_length=16, choices=Severity.choices)
    first_response_due_at = models.DateTimeField(null=True, blank=True)
    resolution_due_at = models.DateTimeField(null=True, blank=True)
    first_response_at = models.DateTimeField(null=True, blank=True)
    paused_at = models.DateTimeField(null=True, blank=True)
    first_response_left_minutes = models.IntegerField(null=True, blank=True)
    resolution_left_minutes = models.IntegerField(null=True, blank=True)

    class Meta:
        abstract = True

    def sla_state(self, now: datetime | None = None) -> str:
        """ "breached", "near", "paused", "met" or "ok", as the queues show it."""
        from partnerdesk.support import sla

        return sla.state(self, now or timezone.now())


class SupportRequest(Versioned, SlaClock):
    """A customer's request to its partner (DOMAIN §5). The customer never sees the operator's side."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        WAITING_ON_CUSTOMER = "waiting_on_customer", _("Waiting on customer")
        RESOLVED = "resolved", _("Resolved")
        CLOSED = "closed", _("Closed")

    class ContactMethod(models.TextChoices):
        EMAIL = "email", _("E-mail")
        PHONE = "phone", _("Phone")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    number = models.CharField(max_length=20, unique=True)
    customer = models.ForeignKey("tenancy.Organization", on_delete=models.PROTECT, related_name="+")
    partner = models.ForeignKey("tenancy.Organization", on_delete=models.PROTECT, related_name="+")
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"))
    service = models.ForeignKey(
        "catalog.Service", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    contact_name = models.CharField(_("contact person"), max_length=200)
    contact_email = models.EmailField(_("contact e-mail"))
    contact_phone = models.CharField(_("contact phone"), max_length=40, blank=True)
    contact_method = models.CharField(
        _("preferred contact method"),
        max_length=8,
        choices=ContactMethod.choices,
        default=ContactMethod.EMAIL,
    )
    status = models.CharField(max_length=24, choices=Status.choices, default=Status.OPEN)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    merged_into = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="merged"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["partner", "-created_at", "-id"], name="sup_partner_created"),
            models.Index(fields=["customer", "-created_at", "-id"], name="sup_customer_created"),
            models.Index(fields=["status", "first_response_due_at"], name="sup_status_due"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.RESOLVED, self.Status.CLOSED)


class ServiceRequest(Versioned, SlaClock):
    """A partner's request to the operator: its own problem, or an escalation on a customer's behalf."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        ATTENTION_NEEDED = "attention_needed", _("Attention needed")
        CLOSED = "closed", _("Closed")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    number = models.CharField(max_length=20, unique=True)
    partner = models.ForeignKey("tenancy.Organization", on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey(
        "tenancy.Organization", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    support_request = models.OneToOneField(
        SupportRequest, on_delete=models.PROTECT, null=True, blank=True, related_name="service_request"
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"))
    topic = models.ForeignKey(SupportTopic, on_delete=models.PROTECT, related_name="+")
    service = models.ForeignKey(
        "catalog.Service", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    contact = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("partner contact"),
    )
    status = models.CharField(max_length=24, choices=Status.choices, default=Status.OPEN)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    resolution = models.TextField(_("resolution"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["partner", "-created_at", "-id"], name="sr_partner_created"),
            models.Index(fields=["-created_at", "-id"], name="sr_created"),
            models.Index(fields=["status", "first_response_due_at"], name="sr_status_due"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def is_finished(self) -> bool:
        return self.status == self.Status.CLOSED


class Message(models.Model):
    """One entry in a support request's timeline: a public reply or an internal note of the partner."""

    class Source(models.TextChoices):
        WEB = "web", _("Web")
        API = "api", _("API")
        EMAIL = "email", _("E-mail")
        SYSTEM = "system", _("System")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    support_request = models.ForeignKey(SupportRequest, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    author_name = models.CharField(max_length=200, blank=True)
    author_organization = models.ForeignKey(
        "tenancy.Organization", on_delete=models.PROTECT, null=True, related_name="+"
    )
    body = models.TextField(_("message"))
    # A sentence the product wrote (`partnerdesk.texts`): its code and parameters; `body` keeps English.
    text_code = models.CharField(max_length=64, blank=True)
    text_params = models.JSONField(default=dict, blank=True)
    visibility = models.CharField(max_length=8, choices=Visibility.choices, default=Visibility.PUBLIC)
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.WEB)
    inbound_message_id = models.CharField(max_length=300, null=True, blank=True, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["support_request", "created_at", "id"], name="msg_request_created")]

    def __str__(self) -> str:
        return f"{self.support_request_id} {self.created_at}"

    @property
    def kind(self) -> str:
        """Timeline templates show messages and notes alike; a message has no note kind."""
        return ""

    @property
    def text(self) -> str:
        """The body as the reader reads it: a product sentence in their language, else as written."""
        return texts.render(self.text_code, self.text_params, self.body)


class Note(models.Model):
    """One entry in a service request's timeline.

    `to_partner` notes are the conversation between operator and partner; `operator_internal` only
    the operator sees; `partner_internal` only the partner sees. `shared` marks conversation the
    partner chose to share from the customer's request when escalating.
    """

    class Kind(models.TextChoices):
        TO_PARTNER = "to_partner", _("Note to the partner")
        FROM_PARTNER = "from_partner", _("Note from the partner")
        OPERATOR_INTERNAL = "operator_internal", _("Operator internal note")
        SHARED = "shared", _("Shared from the customer's request")
        SYSTEM = "system", _("Status change")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    service_request = models.ForeignKey(ServiceRequest, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    author_name = models.CharField(max_length=200, blank=True)
    author_organization = models.ForeignKey(
        "tenancy.Organization", on_delete=models.PROTECT, null=True, related_name="+"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    body = models.TextField(_("note"))
    text_code = models.CharField(max_length=64, blank=True)
    text_params = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["service_request", "created_at", "id"], name="note_request_created")]

    def __str__(self) -> str:
        return f"{self.service_request_id} {self.kind}"

    @property
    def visibility(self) -> str:
        return ""

    @property
    def source(self) -> str:
        return "system" if self.kind == self.Kind.SYSTEM else ""

    @property
    def text(self) -> str:
        return texts.render(self.text_code, self.text_params, self.body)


def _attachment_path(instance: Attachment, filename: str) -> str:
    # The stored name never comes from the uploader: no path tricks, no overwriting.
    return f"support/{instance.created_at:%Y/%m}/{instance.id}"


class Attachment(models.Model):
    """A file on a support request or a service request, stored under MEDIA_ROOT (outside the web
    root) and served only through a view that checks who may see the request.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    support_request = models.ForeignKey(
        SupportRequest, on_delete=models.CASCADE, null=True, blank=True, related_name="attachments"
    )
    service_request = models.ForeignKey(
        ServiceRequest, on_delete=models.CASCADE, null=True, blank=True, related_name="attachments"
    )
    # Internal: partner-only on a support request, operator-only on a service request.
    internal = models.BooleanField(default=False)
    file = models.FileField(upload_to=_attachment_path, max_length=300)
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    uploaded_by_organization = models.ForeignKey(
        "tenancy.Organization", on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(support_request__isnull=False, service_request__isnull=True)
                | Q(support_request__isnull=True, service_request__isnull=False),
                name="attachment_belongs_to_one_request",
            )
        ]
        indexes = [
            models.Index(fields=["support_request", "created_at", "id"], name="att_support_created"),
            models.Index(fields=["service_request", "created_at", "id"], name="att_service_created"),
        ]

    def __str__(self) -> str:
        return self.filename


class HelpArticle(models.Model):
    """A self-help article by the operator (for everyone) or a partner (for its customers)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    author_organization = models.ForeignKey(
        "tenancy.Organization", on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"))
    language = models.CharField(_("language"), max_length=10, default="en")
    services = models.ManyToManyField("catalog.Service", blank=True, related_name="+")
    published = models.BooleanField(_("published"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["author_organization", "-updated_at"], name="article_author_updated")]

    def __str__(self) -> str:
        return self.title


class Deflection(models.Model):
    """ "This solved it": a customer found the answer in self-help instead of opening a request."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    customer = models.ForeignKey("tenancy.Organization", on_delete=models.CASCADE, related_name="+")
    partner = models.ForeignKey("tenancy.Organization", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    article = models.ForeignKey(
        HelpArticle, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    service = models.ForeignKey(
        "catalog.Service", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    query = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        # The audit log names a deflection by the article that solved it ("… with the help article X").
        return self.article.title if self.article is not None else self.query


class CannedReply(models.Model):
    """A partner's reusable reply text for its desk."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    partner = models.ForeignKey("tenancy.Organization", on_delete=models.CASCADE, related_name="+")
    title = models.CharField(_("title"), max_length=120)
    body = models.TextField(_("body"))

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title


class SavedView(models.Model):
    """A desk user's named set of queue filters."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    queue = models.CharField(max_length=40)
    name = models.CharField(_("name"), max_length=80)
    query = models.CharField(max_length=500)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class PartnerFlag(models.Model):
    """The operator's record that a partner escalated what first-line support should have solved."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    partner = models.ForeignKey("tenancy.Organization", on_delete=models.CASCADE, related_name="+")
    service_request = models.ForeignKey(
        ServiceRequest, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reason = models.TextField(_("reason"))
    remediation = models.TextField(_("remediation plan"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    # Set once, when the operator is satisfied the remediation plan was followed; the flag stays.
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    resolution_note = models.TextField(_("resolution note"), blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["partner", "-created_at", "-id"], name="flag_partner_created"),
            models.Index(fields=["-created_at", "-id"], name="flag_created"),  # the operator's list
        ]

    def __str__(self) -> str:
        return self.partner.name

    @property
    def is_resolved(self) -> bool:
        return self.resolved_at is not None


class InboundMail(models.Model):
    """A received e-mail, by Message-ID, so processing it twice appends once; one that cannot be
    appended is kept as quarantined until the partner's desk it was addressed to releases it to a
    request or discards it (the row stays, so the same Message-ID is never processed again).
    """

    class Status(models.TextChoices):
        APPENDED = "appended", _("Appended")
        QUARANTINED = "quarantined", _("Quarantined")
        RELEASED = "released", _("Released to a request")
        DISCARDED = "discarded", _("Discarded")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    message_id = models.CharField(max_length=300, unique=True)
    status = models.CharField(max_length=16, choices=Status.choices)
    # The desk the mail was addressed to (by the request number, the sender or the desk's address);
    # None when nothing names one: then no partner sees it.
    partner = models.ForeignKey(
        "tenancy.Organization", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    support_request = models.ForeignKey(
        SupportRequest, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    sender = models.CharField(max_length=320, blank=True)
    subject = models.CharField(max_length=300, blank=True)
    # Why it was quarantined (`partnerdesk.texts`): a code and its parameters; `error` keeps English.
    error = models.TextField(blank=True)
    text_code = models.CharField(max_length=64, blank=True)
    text_params = models.JSONField(default=dict, blank=True)
    raw = models.BinaryField(blank=True)
    received_at = models.DateTimeField(default=timezone.now)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    handled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["partner", "status", "-received_at", "-id"], name="inbound_desk_status"),
        ]

    def __str__(self) -> str:
        return self.subject or self.message_id

    @property
    def reason(self) -> str:
        """Why it waits, in the reader's language (the stored English for rows without a code)."""
        return texts.render(self.text_code, self.text_params, self.error)
