"""The webhook endpoint form: a URL, the events (one per line or comma-separated), a description."""

from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext_lazy as _


class EndpointForm(forms.Form):
    url = forms.CharField(label=_("URL"), max_length=2000)
    events = forms.CharField(
        label=_("Events"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Event names or wildcards (subscription.*, or * for every event), one per line."),
    )
    description = forms.CharField(label=_("Description"), max_length=300, required=False)

    def event_names(self) -> list[str]:
        return [name for name in re.split(r"[\s,]+", self.cleaned_data["events"]) if name]
