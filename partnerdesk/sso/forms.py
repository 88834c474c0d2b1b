"""The form an organization's global admin connects its identity provider with."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from partnerdesk.sso.inputs import SsoConnectionIn


class ConnectionForm(forms.Form):
    input_model = SsoConnectionIn  # the page also checks the issuer is a URL (https assumed)

    issuer = forms.URLField(
        label=_("Issuer"),
        max_length=500,
        assume_scheme="https",
        help_text=_("The provider's issuer URL; its discovery document is read from it when you save."),
    )
    client_id = forms.CharField(label=_("Client ID"), max_length=255)
    client_secret = forms.CharField(
        label=_("Client secret"),
        required=False,
        max_length=1000,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}, render_value=False),
        help_text=_("Never shown again. Leave it empty to keep the secret already saved."),
    )
    just_in_time = forms.BooleanField(
        label=_("Create users just in time"),
        required=False,
        help_text=_(
            "Someone of a verified domain who signs in for the first time gets a plain user account."
        ),
    )
    require_sso = forms.BooleanField(
        label=_("Require single sign-on"),
        required=False,
        help_text=_(
            "Passwords stop working for your organization's people: sign-in, password reset and the "
            "API's token exchange. Recovery: the break-glass procedure of the install's README."
        ),
    )

    def __init__(self, *args: object, just_in_time_offered: bool = True, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        if not just_in_time_offered:
            del self.fields["just_in_time"]
