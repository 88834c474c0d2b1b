"""The operator's catalog: the services it runs (with their features and regions), products, SKUs
(with the services each includes), offers, the policy rows that govern them, upgrade paths, add-on
rules and announced price changes.

A service's `status` is derived by service health (`partnerdesk.health`) from its open issues and
cached on the catalog row, so lists cost one query; its vocabulary, `ServiceStatus`, lives here with
the column.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from partnerdesk.etags import Versioned


class ServiceStatus(models.TextChoices):
    """A service's or an issue's status; the values follow Microsoft Graph's serviceHealthStatus."""

    SERVICE_OPERATIONAL = "service_operational", _("Healthy")
    INVESTIGATING = "investigating", _("Investigating")
    SERVICE_DEGRADATION = "service_degradation", _("Service degradation")
    SERVICE_INTERRUPTION = "service_interruption", _("Service interruption")
    RESTORING_SERVICE = "restoring_service", _("Restoring service")
    EXTENDED_RECOVERY = "extended_recovery", _("Extended recovery")
    VERIFYING_SERVICE = "verifying_service", _("Verifying service")
    SERVICE_RESTORED = "service_restored", _("Service restored")
    POST_INCIDENT_REVIEW_PUBLISHED = "post_incident_review_published", _("Post-incident review published")
    FALSE_POSITIVE = "false_positive", _("False positive")
    INVESTIGATION_SUSPENDED = "investigation_suspended", _("Investigation suspended")


class Service(models.Model):
    """A cloud service the operator runs (e.g. Exchange Online); SKUs include services.

    `status` is derived from the open published issues (worst wins) and cached here so lists cost
    one query; every change appends a `ServiceStatusChange`.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    key = models.SlugField(
        _("key"), max_length=64, unique=True, help_text=_("Stable identifier, e.g. exchange")
    )
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    status = models.CharField(
        _("status"), max_length=40, choices=ServiceStatus.choices, default=ServiceStatus.SERVICE_OPERATIONAL
    )

    class Meta:
        db_table = "health_service"  # kept from before the move to catalog (ADR 0008)
        ordering = ["name"]
        indexes = [models.Index(fields=["name", "id"], name="service_name")]

    def __str__(self) -> str:
        return self.name

    @property
    def is_healthy(self) -> bool:
        return self.status == ServiceStatus.SERVICE_OPERATIONAL


class Feature(models.Model):
    """A part of a service (e.g. "Mail flow" of Exchange Online), grouped like Graph's featureGroup."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="features")
    group = models.CharField(_("feature group"), max_length=200, blank=True)
    name = models.CharField(_("name"), max_length=200)

    class Meta:
        db_table = "health_feature"  # kept from before the move to catalog (ADR 0008)
        ordering = ["group", "name"]
        constraints = [
            models.UniqueConstraint(fields=["service", "group", "name"], name="feature_unique_per_service")
        ]

    def __str__(self) -> str:
        return f"{self.group} / {self.name}" if self.group else self.name


class Region(models.Model):
    """A region the operator runs services in (e.g. China North 2)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    key = models.SlugField(_("key"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)

    class Meta:
        db_table = "health_region"  # kept from before the move to catalog (ADR 0008)
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Product(models.Model):
    """A product family (e.g. "Microsoft 365 E3")."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["name", "id"], name="product_name")]

    def __str__(self) -> str:
        return self.name


class Sku(models.Model):
    """A sellable stock-keeping unit; licences are pooled per tenant and SKU."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="skus")
    name = models.CharField(_("name"), max_length=200)
    services = models.ManyToManyField(Service, related_name="skus", blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["name", "id"], name="sku_name")]

    def __str__(self) -> str:
        return self.name


class Offer(models.Model):
    """A way to buy a SKU: term, billing cycle, price, quantity limits, validity dates."""

    class Term(models.TextChoices):
        MONTHLY = "P1M", _("One month")
        YEARLY = "P1Y", _("One year")

    class BillingCycle(models.TextChoices):
        MONTHLY = "monthly", _("Monthly")
        ANNUAL = "annual", _("Annual")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    sku = models.ForeignKey(Sku, on_delete=models.PROTECT, related_name="offers")
    name = models.CharField(_("name"), max_length=200)
    term = models.CharField(_("term"), max_length=3, choices=Term.choices)
    billing_cycle = models.CharField(
        _("billing cycle"), max_length=16, choices=BillingCycle.choices, default=BillingCycle.MONTHLY
    )
    unit_price = models.DecimalField(_("unit price"), max_digits=12, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    min_quantity = models.PositiveIntegerField(_("minimum quantity"), default=1)
    max_quantity = models.PositiveIntegerField(_("maximum quantity"), default=300)
    valid_from = models.DateTimeField(_("valid from"), default=timezone.now)
    valid_until = models.DateTimeField(_("valid until"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["sku", "name", "id"], name="offer_sku_name")]

    def __str__(self) -> str:
        return self.name

    def is_available(self, when: datetime) -> bool:
        """Whether the offer can be bought at `when` (within its validity dates)."""
        return self.valid_from <= when and (self.valid_until is None or when < self.valid_until)

    def price_at(self, when: datetime) -> Decimal:
        """The unit price of a term starting at `when`: the latest change in effect, else the list price."""
        change = self.price_changes.filter(effective_at__lte=when).order_by("-effective_at").first()
        return change.unit_price if change else self.unit_price


class OfferPolicy(Versioned):
    """The rules of one offer as data, not code: cancellation window, seat decreases, suspension billing."""

    class SeatDecrease(models.TextChoices):
        WITHIN_WINDOW = "window", _("Only seats still within their refund window; the rest at renewal")
        ANYTIME = "anytime", _("Any time")
        AT_RENEWAL = "renewal", _("Only at renewal")

    offer = models.OneToOneField(Offer, on_delete=models.CASCADE, related_name="policy", primary_key=True)
    cancellation_window_hours = models.PositiveIntegerField(_("cancellation window (hours)"), default=168)
    seat_decrease = models.CharField(
        _("seat decreases"), max_length=16, choices=SeatDecrease.choices, default=SeatDecrease.WITHIN_WINDOW
    )
    billing_continues_while_suspended = models.BooleanField(
        _("billing continues while suspended"), default=True
    )

    def __str__(self) -> str:
        return f"policy of {self.offer_id}"


class UpgradePath(models.Model):
    """A SKU a subscription may be upgraded to from another SKU."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    from_sku = models.ForeignKey(Sku, on_delete=models.CASCADE, related_name="upgrades_to")
    to_sku = models.ForeignKey(Sku, on_delete=models.CASCADE, related_name="upgrades_from")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["from_sku", "to_sku"], name="one_upgrade_path")]

    def __str__(self) -> str:
        return f"{self.from_sku_id} → {self.to_sku_id}"


class AddOnRule(models.Model):
    """An add-on SKU that can only be bought on top of a subscription of a base SKU."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    addon_sku = models.ForeignKey(Sku, on_delete=models.CASCADE, related_name="addon_rules")
    base_sku = models.ForeignKey(Sku, on_delete=models.CASCADE, related_name="addons_allowed")
    # Co-terminous add-ons end with their base subscription's term.
    coterminous = models.BooleanField(_("co-terminous"), default=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["addon_sku", "base_sku"], name="one_addon_rule")]

    def __str__(self) -> str:
        return f"{self.addon_sku_id} on {self.base_sku_id}"


class PriceChange(models.Model):
    """A new unit price announced ahead of its effective date; terms already running keep their price."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    offer = models.ForeignKey(Offer, on_delete=models.CASCADE, related_name="price_changes")
    unit_price = models.DecimalField(_("new unit price"), max_digits=12, decimal_places=2)
    effective_at = models.DateTimeField(_("effective from"))
    announced_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["offer", "effective_at"], name="price_change_offer")]

    def __str__(self) -> str:
        return f"{self.offer_id} {self.unit_price} from {self.effective_at:%Y-%m-%d}"
