"""Subscriptions: a customer's purchase of an offer through its transacting partner."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Subscription(models.Model):
    """One customer's quantity of one offer; only the partner changes it (DOMAIN §2 rule 2)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        ACTIVE = "active", _("Active")
        SUSPENDED = "suspended", _("Suspended")
        EXPIRED = "expired", _("Expired")
        CANCELLED = "cancelled", _("Cancelled")
        DELETED = "deleted", _("Deleted")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    customer = models.ForeignKey(
        "tenancy.Organization", on_delete=models.PROTECT, related_name="subscriptions"
    )
    partner = models.ForeignKey("tenancy.Organization", on_delete=models.PROTECT, related_name="+")
    offer = models.ForeignKey("catalog.Offer", on_delete=models.PROTECT, related_name="subscriptions")
    quantity = models.PositiveIntegerField(_("quantity"))
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    term_start = models.DateTimeField(default=timezone.now)
    term_end = models.DateTimeField()
    auto_renew = models.BooleanField(_("auto-renew"), default=True)
    friendly_name = models.CharField(_("friendly name"), max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["customer", "status"], name="subscription_customer_status"),
            models.Index(fields=["partner", "-created_at"], name="subscription_partner_created"),
        ]

    def __str__(self) -> str:
        return self.friendly_name or str(self.offer)
