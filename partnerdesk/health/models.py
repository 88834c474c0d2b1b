"""The operator's service catalog (and, built on it, service health and Message center)."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _


class Service(models.Model):
    """A cloud service the operator runs (e.g. Exchange Online); SKUs include services."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    key = models.SlugField(
        _("key"), max_length=64, unique=True, help_text=_("Stable identifier, e.g. exchange")
    )
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
