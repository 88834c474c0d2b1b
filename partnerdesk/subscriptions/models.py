"""Subscriptions: a customer's purchase of an offer through its transacting partner, the seat
ledger behind its quantity, scheduled changes, customers' change requests, and licence pools."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from partnerdesk import etags, texts
from partnerdesk.access.permissions import Permission
from partnerdesk.access.rules import Need
from partnerdesk.errors import Forbidden


class Subscription(etags.Versioned):
    """One customer's quantity of one offer; only the partner changes it (DOMAIN §2 rule 2)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        ACTIVE = "active", _("Active")
        SUSPENDED = "suspended", _("Suspended")
        EXPIRED = "expired", _("Expired")
        CANCELLED = "cancelled", _("Cancelled")
        DELETED = "deleted", _("Deleted")

    class SuspensionReason(models.TextChoices):
        NON_PAYMENT = "non_payment", _("Non-payment")
        FRAUD = "fraud", _("Fraud")
        CUSTOMER_REQUEST = "customer_request", _("Customer request")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    customer = models.ForeignKey(
        "tenancy.Organization", on_delete=models.PROTECT, related_name="subscriptions"
    )
    partner = models.ForeignKey("tenancy.Organization", on_delete=models.PROTECT, related_name="+")
    offer = models.ForeignKey("catalog.Offer", on_delete=models.PROTECT, related_name="subscriptions")
    quantity = models.PositiveIntegerField(_("quantity"))
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    suspension_reason = models.CharField(
        _("suspension reason"), max_length=32, choices=SuspensionReason.choices, blank=True
    )
    status_changed_at = models.DateTimeField(default=timezone.now)
    term_start = models.DateTimeField(default=timezone.now)
    term_end = models.DateTimeField()
    # The price of the running term: a later price change applies from the next term only.
    unit_price = models.DecimalField(_("unit price"), max_digits=12, decimal_places=2, default=0)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    auto_renew = models.BooleanField(_("auto-renew"), default=True)
    friendly_name = models.CharField(_("friendly name"), max_length=200, blank=True)
    base = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="add_ons")
    upgraded_from = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="upgraded_to"
    )
    data_deleted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["customer", "status"], name="subscription_customer_status"),
            models.Index(fields=["partner", "-created_at"], name="subscription_partner_created"),
            models.Index(fields=["customer", "-created_at", "id"], name="subscription_customer_created"),
            models.Index(fields=["status", "term_end"], name="subscription_status_term_end"),
            # Data deletion and its warnings: suspended or expired subscriptions by when that began.
            models.Index(fields=["status", "status_changed_at"], name="subscription_status_changed"),
        ]

    def __str__(self) -> str:
        return self.friendly_name or str(self.offer)


class SeatLot(models.Model):
    """Seats bought at one moment, refundable until their own deadline; decreases consume the newest."""

    class Kind(models.TextChoices):
        PURCHASE = "purchase", _("Purchase")
        INCREASE = "increase", _("Increase")
        RENEWAL = "renewal", _("Renewal")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="lots")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    quantity = models.PositiveIntegerField()
    # Seats of this lot still held; a refunded decrease lowers it.
    remaining = models.PositiveIntegerField()
    refundable_until = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["subscription", "-created_at"], name="lot_subscription_created")]

    def __str__(self) -> str:
        return f"{self.remaining}/{self.quantity} until {self.refundable_until:%Y-%m-%d %H:%M}"


class ScheduledChange(models.Model):
    """A change taking effect at renewal; later changes re-validate it (marked invalid, never dropped)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        APPLIED = "applied", _("Applied")
        INVALID = "invalid", _("No longer applies")
        CANCELLED = "cancelled", _("Cancelled")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="scheduled_changes")
    quantity = models.PositiveIntegerField(_("quantity at renewal"))
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    invalid_reason = models.TextField(blank=True)
    # Why it no longer applies, as a product sentence (`partnerdesk.texts`); `invalid_reason` keeps English.
    reason_code = models.CharField(max_length=64, blank=True)
    reason_params = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["subscription", "status"], name="scheduled_subscription_status")]

    def __str__(self) -> str:
        return f"{self.quantity} at renewal ({self.status})"

    @property
    def reason_text(self) -> str:
        """Why it no longer applies, in the reader's language."""
        return texts.render(self.reason_code, self.reason_params, self.invalid_reason)


class ChangeRequest(models.Model):
    """A customer admin's request that its partner change a subscription (the customer cannot)."""

    class Kind(models.TextChoices):
        INCREASE = "increase", _("More seats")
        DECREASE = "decrease", _("Fewer seats")
        UPGRADE = "upgrade", _("Upgrade")
        CANCEL = "cancel", _("Cancel")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        INFORMATION_REQUESTED = "information_requested", _("Information requested")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="change_requests")
    customer = models.ForeignKey("tenancy.Organization", on_delete=models.PROTECT, related_name="+")
    partner = models.ForeignKey("tenancy.Organization", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("type"), max_length=16, choices=Kind.choices)
    # More or fewer seats: the new total asked for (`seats`), and the difference from the quantity
    # when asked (`quantity`); requests from before totals hold only the difference.
    seats = models.PositiveIntegerField(_("new total of seats"), null=True, blank=True)
    quantity = models.PositiveIntegerField(_("difference in seats"), null=True, blank=True)
    target_sku = models.ForeignKey(
        "catalog.Sku", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    note = models.TextField(_("note"), blank=True)
    status = models.CharField(max_length=24, choices=Status.choices, default=Status.OPEN)
    response = models.TextField(_("partner's response"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["partner", "-created_at", "id"], name="change_request_partner"),
            models.Index(fields=["customer", "-created_at", "id"], name="change_request_customer"),
        ]

    def __str__(self) -> str:
        # The audit log names a request by its subscription ("asked for a change to Head office").
        return str(self.subscription)

    @property
    def is_open(self) -> bool:
        return self.status in (self.Status.OPEN, self.Status.INFORMATION_REQUESTED)


class LicensePool(models.Model):
    """A tenant's seats of one SKU: the row assignments lock, so assigned never exceeds purchased."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    customer = models.ForeignKey("tenancy.Organization", on_delete=models.CASCADE, related_name="+")
    sku = models.ForeignKey("catalog.Sku", on_delete=models.PROTECT, related_name="+")
    # When admins were last told that assigned exceeds purchased (cleared when it no longer does).
    over_assignment_notified_at = models.DateTimeField(null=True, blank=True)
    # How many licences of the pool are assigned: counted under the pool's lock by every writer of
    # assignments (assign, remove, upgrade, the purge of deleted users), so neither the check nor the
    # answer counts the tenant's assignments (ADR 0005).
    assigned = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["customer", "sku"], name="one_pool_per_sku")]

    def __str__(self) -> str:
        return f"{self.customer_id}:{self.sku_id}"


class LicenseAssignment(models.Model):
    """One user holding a licence of one SKU of their organization's pool."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    customer = models.ForeignKey("tenancy.Organization", on_delete=models.CASCADE, related_name="+")
    sku = models.ForeignKey("catalog.Sku", on_delete=models.PROTECT, related_name="assignments")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="licences")
    assigned_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["sku", "user"], name="one_licence_per_sku_and_user")]
        indexes = [models.Index(fields=["customer", "sku"], name="assignment_customer_sku")]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.sku_id}"


class ServiceCredential(models.Model):
    """A credential one of the operator's services uses to ask for entitlement decisions; kept hashed."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=16)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    def require(self, permission: Need, *, what: str = "service call") -> None:
        """A service credential holds one permission, held by no role: checking entitlements."""
        if permission != Permission.ENTITLEMENTS_CHECK:
            raise Forbidden(gettext("You do not have permission to do this."), code="permission_denied")
