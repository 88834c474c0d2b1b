"""Forms for partners, customers and delegated relationships."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from partnerdesk.access.permissions import DELEGABLE_ROLES, ROLE_LABELS
from partnerdesk.inputs import Input
from partnerdesk.tenancy.inputs import CustomerIn, CustomerPatch, PartnerIn, PartnerPatch, RelationshipIn


class PartnerForm(forms.Form):
    input_model: type[Input] = PartnerPatch  # what it validates into (`partnerdesk.inputs`), as the API

    name = forms.CharField(label=_("Partner name"), max_length=200)
    contact_email = forms.EmailField(label=_("Contact e-mail"), required=False)
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    website = forms.URLField(label=_("Website"), required=False, assume_scheme="https")
    country = forms.CharField(
        label=_("Country"), max_length=2, required=False, help_text=_("Two-letter code, e.g. CN")
    )
    address = forms.CharField(label=_("Address"), widget=forms.Textarea(attrs={"rows": 3}), required=False)


class NewPartnerForm(PartnerForm):
    input_model = PartnerIn
    input_names = {"admin_name": "admin.display_name", "admin_email": "admin.email"}

    admin_name = forms.CharField(label=_("First admin's name"), max_length=200)
    admin_email = forms.EmailField(label=_("First admin's e-mail"))


class SuspendForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)


class CustomerForm(forms.Form):
    input_model: type[Input] = CustomerPatch  # what it validates into (`partnerdesk.inputs`), as the API

    name = forms.CharField(label=_("Company name"), max_length=200)
    contact_email = forms.EmailField(label=_("Contact e-mail"), required=False)
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    country = forms.CharField(
        label=_("Country"), max_length=2, required=False, help_text=_("Two-letter code, e.g. CN")
    )
    address = forms.CharField(label=_("Address"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    language = forms.ChoiceField(label=_("Preferred language"), choices=settings.LANGUAGES)
    time_zone = forms.CharField(label=_("Time zone"), max_length=64, initial="UTC")

    billing_fields = ["billing_contact", "billing_email", "billing_phone", "billing_address"]

    def __init__(self, *args: object, with_billing: bool, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        if with_billing:
            self.fields["billing_contact"] = forms.CharField(
                label=_("Billing contact"), max_length=200, required=False
            )
            self.fields["billing_email"] = forms.EmailField(label=_("Billing e-mail"), required=False)
            self.fields["billing_phone"] = forms.CharField(
                label=_("Billing phone"), max_length=40, required=False
            )
            self.fields["billing_address"] = forms.CharField(
                label=_("Billing address"), widget=forms.Textarea(attrs={"rows": 3}), required=False
            )

    def clean_time_zone(self) -> str:
        import zoneinfo

        value = self.cleaned_data["time_zone"]
        if value not in zoneinfo.available_timezones():
            raise forms.ValidationError(_("Not a known time zone (e.g. Asia/Shanghai)."))
        return str(value)


class NewCustomerForm(CustomerForm):
    input_model = CustomerIn
    input_names = {
        "admin_name": "admin.display_name",
        "admin_email": "admin.email",
        **{f"billing_{name}": f"billing.billing_{name}" for name in ("contact", "email", "phone", "address")},
    }

    domain_prefix = forms.CharField(
        label=_("Domain prefix"),
        max_length=40,
        # Interpolated when shown, not at import, so the help text follows the active language.
        help_text=lazy(
            lambda: (
                _("Letters and digits; the customer's initial domain becomes <prefix>.%(suffix)s")
                % {"suffix": settings.INITIAL_DOMAIN_SUFFIX}
            ),
            str,
        )(),
    )
    admin_name = forms.CharField(label=_("First global admin's name"), max_length=200)
    admin_email = forms.EmailField(label=_("First global admin's e-mail"))


class RelationshipRequestForm(forms.Form):
    input_model = RelationshipIn

    name = forms.CharField(label=_("Name"), max_length=120, initial=_("Delegated administration"))
    roles = forms.MultipleChoiceField(
        label=_("Roles to delegate"),
        choices=[(r.value, ROLE_LABELS[r]) for r in DELEGABLE_ROLES],
        widget=forms.CheckboxSelectMultiple,
    )
    duration_days = forms.IntegerField(
        label=_("Duration in days"), min_value=1, max_value=settings.RELATIONSHIP_MAX_DAYS, initial=365
    )
