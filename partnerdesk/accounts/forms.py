"""Forms for signing in, passwords, the profile and the team pages."""

from __future__ import annotations

import zoneinfo
from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from partnerdesk import inputs
from partnerdesk.access.permissions import (
    PERSONAL_TOKEN_SCOPES,
    ROLE_LABELS,
    ROLES_BY_KIND,
    TOKEN_SCOPE_LABELS,
    OrgKind,
)
from partnerdesk.accounts.inputs import PasswordChange, TokenCreate

TIME_ZONES = sorted(zoneinfo.available_timezones() - {"localtime", "Factory"})


class SignInForm(forms.Form):
    email = forms.EmailField(
        label=_("E-mail"), widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "username"})
    )
    # Not needed when the e-mail's domain signs in through its organization's identity provider:
    # the page then sends the browser there (ADR 0011).
    password = forms.CharField(
        label=_("Password"),
        required=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text=_("Leave it empty if your organization signs in with its own identity provider."),
    )


class PasswordChangeForm(forms.Form):
    input_model = PasswordChange  # the e-mail is the signed-in user's (`user`)
    # The repeated password is the new one typed again (`clean` says when the two differ).
    input_names = {"new_password": "new_password", "confirm_password": "new_password"}

    current_password = forms.CharField(
        label=_("Current password"), widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )
    new_password = forms.CharField(
        label=_("New password"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    confirm_password = forms.CharField(
        label=_("Repeat the new password"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if data.get("new_password") and data.get("new_password") != data.get("confirm_password"):
            self.add_error("confirm_password", _("The two passwords do not match."))
        return data

    def input_data(self, model: type[inputs.Input]) -> dict[str, Any]:
        """The page's fields, and whose password it is (the API's caller names the e-mail)."""
        return {**inputs.form_data(self, model), "email": self.user.email}


class PasswordResetRequestForm(forms.Form):
    email = forms.EmailField(label=_("E-mail"))


class SetPasswordForm(forms.Form):
    new_password = forms.CharField(
        label=_("New password"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    confirm_password = forms.CharField(
        label=_("Repeat the new password"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if data.get("new_password") and data.get("new_password") != data.get("confirm_password"):
            self.add_error("confirm_password", _("The two passwords do not match."))
        return data


class ProfileForm(forms.Form):
    display_name = forms.CharField(label=_("Display name"), max_length=200)
    language = forms.ChoiceField(
        label=_("Language"), choices=[("", _("Organization default")), *settings.LANGUAGES], required=False
    )
    time_zone = forms.ChoiceField(
        label=_("Time zone"),
        choices=[("", _("Organization default"))] + [(z, z) for z in TIME_ZONES],
        required=False,
    )
    subscription_notices = forms.BooleanField(
        label=_("E-mail me subscription notices"),
        required=False,
        help_text=_(
            "Renewals, expiries, suspensions and partner relationships about to expire. "
            "Warnings that data is about to be deleted still reach a global admin."
        ),
    )


class TokenForm(forms.Form):
    input_model = TokenCreate

    name = forms.CharField(
        label=_("Token name"), max_length=100, help_text=_("Say what will use it, e.g. 'nightly export'.")
    )
    expires_in_days = forms.IntegerField(label=_("Expires after (days)"), min_value=1, required=False)
    scopes = forms.MultipleChoiceField(
        label=_("Scopes"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=[(scope.value, TOKEN_SCOPE_LABELS[scope]) for scope in PERSONAL_TOKEN_SCOPES],
        help_text=_("None: the token may do everything you may. Read only: it changes nothing."),
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        days = self.fields["expires_in_days"]
        days.initial = settings.API_TOKEN_DEFAULT_DAYS
        days.help_text = gettext("At most %(days)s days.") % {"days": settings.API_TOKEN_MAX_DAYS}


class TeamMemberForm(forms.Form):
    email = forms.EmailField(label=_("E-mail"))
    display_name = forms.CharField(label=_("Display name"), max_length=200)
    roles = forms.MultipleChoiceField(label=_("Roles"), widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args: object, kind: OrgKind, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["roles"].choices = [(r.value, ROLE_LABELS[r]) for r in ROLES_BY_KIND[kind]]  # type: ignore[attr-defined]
