"""The webhook endpoint form: a URL, the events (one per line or comma-separated), a description."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from partnerdesk import inputs
from partnerdesk.inputs import Input
from partnerdesk.webhooks.inputs import EndpointIn


class EndpointForm(forms.Form):
    input_model: type[Input] = EndpointIn  # what it validates into (`partnerdesk.inputs`), as the API

    url = forms.CharField(label=_("URL"), max_length=2000)
    events = forms.CharField(
        label=_("Events"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Event names or wildcards (subscription.*, or * for every event), one per line."),
    )
    description = forms.CharField(label=_("Description"), max_length=300, required=False)

    def event_names(self) -> list[str]:
        return [name for name in re.split(r"[\s,]+", self.cleaned_data["events"]) if name]

    def input_data(self, model: type[Input]) -> dict[str, Any]:
        """The typed input's data: the events typed one per line are the API's list of names."""
        return {**inputs.form_data(self, model), "events": self.event_names()}
