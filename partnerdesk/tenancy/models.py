"""Organizations (the operator, partners, customers) and the delegated relationships between them."""

from __future__ import annotations

import uuid
import zoneinfo
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from partnerdesk.access.permissions import OrgKind
from partnerdesk.etags import Versioned


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(
            _("%(value)s is not a known time zone (e.g. Asia/Shanghai)."), params={"value": value}
        )


def validate_language(value: str) -> None:
    if value not in dict(settings.LANGUAGES):
        raise ValidationError(_("%(value)s is not a supported language."), params={"value": value})


class Organization(Versioned):
    """One operator per install, its partners, and their customers (tenants).

    Every user belongs to exactly one organization. A customer has exactly one transacting partner;
    that link is the boundary every scoping rule starts from.
    """

    class Kind(models.TextChoices):
        OPERATOR = OrgKind.OPERATOR, _("Operator")
        PARTNER = OrgKind.PARTNER, _("Partner")
        CUSTOMER = OrgKind.CUSTOMER, _("Customer")

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        SUSPENDED = "suspended", _("Suspended")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=200)
    partner = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="customers",
        verbose_name=_("transacting partner"),
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    suspension_reason = models.TextField(blank=True)
    # Customers only: the domain every tenant gets before it verifies its own (contoso.partnerdesk.test).
    initial_domain = models.CharField(max_length=253, unique=True, null=True, blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    website = models.URLField(_("website"), blank=True)
    country = models.CharField(_("country"), max_length=2, blank=True, help_text=_("Two-letter code"))
    address = models.TextField(_("address"), blank=True)
    language = models.CharField(
        _("preferred language"), max_length=10, default="en", validators=[validate_language]
    )
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="UTC", validators=[validate_time_zone]
    )
    # Customers only: the ids of the services the tenant is entitled to, read by every request that
    # scopes services, health or Message center to it. Written by `subscriptions.entitlements` in
    # the transaction of each change of its subscriptions (or of a SKU's services), never by hand.
    entitled_service_ids = models.JSONField(default=list, blank=True, editable=False)
    # The billing profile: visible and editable only through customers.billing.
    billing_contact = models.CharField(_("billing contact"), max_length=200, blank=True)
    billing_email = models.EmailField(_("billing e-mail"), blank=True)
    billing_phone = models.CharField(_("billing phone"), max_length=40, blank=True)
    billing_address = models.TextField(_("billing address"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["kind", "name", "id"], name="org_kind_name"),
            models.Index(fields=["partner", "name", "id"], name="org_partner_name"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["kind"], condition=Q(kind=OrgKind.OPERATOR), name="one_operator_per_install"
            ),
            models.CheckConstraint(
                condition=(Q(kind=OrgKind.CUSTOMER) & Q(partner__isnull=False))
                | (~Q(kind=OrgKind.CUSTOMER) & Q(partner__isnull=True)),
                name="customer_has_exactly_one_partner",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_suspended(self) -> bool:
        return self.status == self.Status.SUSPENDED

    @property
    def is_customer(self) -> bool:
        return self.kind == OrgKind.CUSTOMER

    @property
    def is_partner(self) -> bool:
        return self.kind == OrgKind.PARTNER

    @property
    def is_operator(self) -> bool:
        return self.kind == OrgKind.OPERATOR


class DelegatedRelationship(models.Model):
    """Customer roles a partner's agents may use in one customer's admin center, until an expiry.

    The partner requests it; only a global admin of the customer accepts, declines or ends it. The
    commercial relationship (Organization.partner) is not touched by any of this.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Awaiting the customer")
        ACTIVE = "active", _("Active")
        DECLINED = "declined", _("Declined")
        ENDED = "ended", _("Ended")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    partner = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="relationships_granted")
    customer = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="relationships")
    name = models.CharField(_("name"), max_length=120)
    roles = models.JSONField(_("roles"), default=list)
    duration_days = models.PositiveIntegerField(_("duration in days"))
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["customer", "status", "expires_at"], name="rel_customer_status"),
            models.Index(fields=["partner", "-requested_at"], name="rel_partner_requested"),
            # The expiry reminders: active relationships by expiry, across every tenant.
            models.Index(fields=["status", "expires_at"], name="rel_status_expires"),
        ]

    def __str__(self) -> str:
        return self.name

    def is_active_at(self, moment: datetime) -> bool:
        return self.status == self.Status.ACTIVE and self.expires_at is not None and self.expires_at > moment

    @property
    def is_active(self) -> bool:
        return self.is_active_at(timezone.now())

    @property
    def display_status(self) -> str:
        """Say "expired" for an accepted relationship past its expiry; the row itself is not rewritten."""
        if self.status == self.Status.ACTIVE and not self.is_active:
            return str(_("Expired"))
        return str(self.get_status_display())
