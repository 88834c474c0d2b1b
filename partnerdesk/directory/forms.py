"""Forms of the admin center's directory pages."""

from __future__ import annotations

import zoneinfo
from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from partnerdesk import inputs
from partnerdesk.access.permissions import DELEGABLE_ROLES, ROLE_LABELS
from partnerdesk.directory.inputs import (
    DomainIn,
    GroupIn,
    MemberIn,
    OrganizationPatch,
    ResetIn,
    RolesIn,
    UserIn,
)
from partnerdesk.directory.models import GroupMembership, SecuritySettings, SignInEvent
from partnerdesk.inputs import Input

ADMIN_ROLE_CHOICES = [(r.value, ROLE_LABELS[r]) for r in DELEGABLE_ROLES]


class UserProfileFields(forms.Form):
    display_name = forms.CharField(label=_("Display name"), max_length=200)
    job_title = forms.CharField(label=_("Job title"), max_length=100, required=False)
    department = forms.CharField(label=_("Department"), max_length=100, required=False)
    usage_location = forms.CharField(
        label=_("Usage location"),
        max_length=2,
        required=False,
        help_text=_("Two-letter country code, e.g. CN"),
    )
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)


class UserForm(UserProfileFields):
    """A user's name `local@domain`, chosen among the tenant's usable domains, and its profile."""

    username = forms.CharField(label=_("Username"), max_length=64, help_text=_("The part before the @"))
    domain = forms.ChoiceField(label=_("Domain"))
    field_order = ["username", "domain", "display_name"]
    input_model = UserIn  # what it validates into (`partnerdesk.inputs`), as the API does
    input_names = {"username": "user_principal_name", "domain": "user_principal_name"}

    def __init__(self, *args: object, domains: list[str], with_roles: bool = False, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["domain"].choices = [(d, "@" + d) for d in domains]  # type: ignore[attr-defined]
        if with_roles:
            self.fields["admin_roles"] = forms.MultipleChoiceField(
                label=_("Admin roles"),
                choices=ADMIN_ROLE_CHOICES,
                required=False,
                widget=forms.CheckboxSelectMultiple,
                help_text=_("Leave empty for a user without admin center access."),
            )

    @property
    def user_principal_name(self) -> str:
        return f"{self.cleaned_data['username'].strip()}@{self.cleaned_data['domain']}"

    def input_data(self, model: type[Input]) -> dict[str, Any]:
        """The typed input's data: the user name and the domain are one `user_principal_name`."""
        return {**inputs.form_data(self, model), "user_principal_name": self.user_principal_name}


class RolesForm(forms.Form):
    input_model = RolesIn  # no box ticked: no admin role (the API's empty list)

    admin_roles = forms.MultipleChoiceField(
        label=_("Admin roles"),
        choices=ADMIN_ROLE_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )


class ResetPasswordForm(forms.Form):
    input_model = ResetIn

    delivery = forms.ChoiceField(
        label=_("Temporary password"),
        choices=[("show", _("Show it to me once")), ("mail", _("E-mail it"))],
        widget=forms.RadioSelect,
        initial="show",
    )
    send_to = forms.EmailField(label=_("Send to"), required=False)

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if data.get("delivery") == "mail" and not data.get("send_to"):
            self.add_error("send_to", _("Say where to send the password."))
        return data

    def input_data(self, model: type[inputs.Input]) -> dict[str, Any]:
        """The address only when the password is mailed: shown once, it goes to no one."""
        data = self.cleaned_data
        return {"send_to": data["send_to"]} if data["delivery"] == "mail" else {}


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_(
            "Columns: user_principal_name, display_name, job_title, department, usage_location, phone. "
            "The first line names them."
        ),
    )


class DomainForm(forms.Form):
    input_model = DomainIn

    name = forms.CharField(label=_("Domain name"), max_length=253, help_text=_("e.g. contoso.com"))


class GroupForm(forms.Form):
    input_model = GroupIn

    name = forms.CharField(label=_("Name"), max_length=120)
    description = forms.CharField(
        label=_("Description"), widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=2000
    )


class MemberForm(forms.Form):
    input_model = MemberIn  # the page names the person by user name, the API by id
    input_names = {"user_principal_name": "user_id"}

    user_principal_name = forms.CharField(label=_("User name"), max_length=254)
    role = forms.ChoiceField(label=_("As"), choices=GroupMembership.Role.choices, initial="member")

    def __init__(self, *args: Any, people: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.people = people

    def clean_user_principal_name(self) -> Any:
        """The person of that name (in any case), as a choice field gives its row: the API names the id."""
        person = self.people.filter(email__iexact=self.cleaned_data["user_principal_name"]).first()
        if person is None:
            raise forms.ValidationError(_("No user of this organization has that name."), code="unknown_user")
        return person


class OrganizationProfileForm(forms.Form):
    input_model = OrganizationPatch  # one of the settings' three parts (`partnerdesk.inputs`)

    name = forms.CharField(label=_("Organization name"), max_length=200)
    address = forms.CharField(label=_("Address"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    country = forms.CharField(
        label=_("Country"), max_length=2, required=False, help_text=_("Two-letter code")
    )
    technical_contact_name = forms.CharField(label=_("Technical contact"), max_length=200, required=False)
    contact_email = forms.EmailField(label=_("Technical contact e-mail"), required=False)
    phone = forms.CharField(label=_("Technical contact phone"), max_length=40, required=False)
    language = forms.ChoiceField(label=_("Preferred language"), choices=settings.LANGUAGES)
    time_zone = forms.CharField(label=_("Time zone"), max_length=64)

    def clean_time_zone(self) -> str:
        value = str(self.cleaned_data["time_zone"]).strip()
        if value not in zoneinfo.available_timezones():
            raise forms.ValidationError(_("Not a known time zone (e.g. Asia/Shanghai)."))
        return value


class SecurityForm(forms.Form):
    input_model = OrganizationPatch

    password_min_length = forms.IntegerField(label=_("Minimum password length"), min_value=8, max_value=128)
    password_expiry_days = forms.IntegerField(
        label=_("Passwords expire after (days)"), min_value=0, max_value=730, help_text=_("0: never")
    )
    lockout_threshold = forms.IntegerField(
        label=_("Refuse an address after this many failed sign-ins"),
        min_value=0,
        max_value=100,
        help_text=_("Counted per account and address: others can still sign in. 0: never"),
    )
    lockout_minutes = forms.IntegerField(
        label=_("First refusal (minutes)"),
        min_value=1,
        max_value=1440,
        help_text=_("Doubles with each further failure."),
    )


class ReleaseForm(forms.Form):
    input_model = OrganizationPatch

    release_preference = forms.ChoiceField(
        label=_("Who sees Message center posts about new releases first"),
        choices=SecuritySettings.Release.choices,
        widget=forms.RadioSelect,
    )


class SignInFilterForm(forms.Form):
    """The sign-in log's filters, from the query string; a date that is no date is a form error."""

    result = forms.ChoiceField(label=_("Result"), required=False)
    email = forms.CharField(label=_("User"), required=False, max_length=254)
    since = forms.DateField(label=_("From"), required=False)
    until = forms.DateField(label=_("To"), required=False)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["result"].choices = [("", _("Any")), *SignInEvent.Result.choices]  # type: ignore[attr-defined]
