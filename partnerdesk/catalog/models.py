"""The operator's commercial catalog: products, SKUs (with the services each includes), offers."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _


class Product(models.Model):
    """A product family (e.g. "Microsoft 365 E3")."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(_("name"), max_length=200)

    def __str__(self) -> str:
        return self.name


class Sku(models.Model):
    """A sellable stock-keeping unit; licences are pooled per tenant and SKU."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="skus")
    name = models.CharField(_("name"), max_length=200)
    services = models.ManyToManyField("health.Service", related_name="skus", blank=True)

    def __str__(self) -> str:
        return self.name


class Offer(models.Model):
    """A way to buy a SKU: term, billing cycle, price, quantity limits."""

    class Term(models.TextChoices):
        MONTHLY = "P1M", _("One month")
        YEARLY = "P1Y", _("One year")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    sku = models.ForeignKey(Sku, on_delete=models.PROTECT, related_name="offers")
    name = models.CharField(_("name"), max_length=200)
    term = models.CharField(_("term"), max_length=3, choices=Term.choices)
    billing_cycle = models.CharField(_("billing cycle"), max_length=16, default="monthly")
    unit_price = models.DecimalField(_("unit price"), max_digits=12, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    min_quantity = models.PositiveIntegerField(default=1)
    max_quantity = models.PositiveIntegerField(default=300)

    def __str__(self) -> str:
        return self.name
