"""Forms of the service health and Message center pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from partnerdesk import inputs
from partnerdesk.access import policy
from partnerdesk.access.permissions import OrgKind
from partnerdesk.access.principal import Principal
from partnerdesk.catalog.models import Feature, Region, Service, ServiceStatus
from partnerdesk.health.inputs import (
    IssueIn,
    IssuePatch,
    IssuePostIn,
    MaintenanceIn,
    MessageIn,
    MessagePatch,
    PreferencesIO,
    ReportIn,
    RescheduleIn,
    ServiceIn,
)
from partnerdesk.health.models import ISSUE_STATUSES, HealthIssue, MessagePost
from partnerdesk.inputs import Input


def offer_visible_choices(form: forms.Form, principal: Principal) -> None:
    """Offer in the form's choice fields only the services, features, regions and organizations the
    principal sees (the operator: all of them), looked up through the choke point."""
    from partnerdesk.tenancy.models import Organization

    organizations = policy.visible(principal, Organization).order_by("name")
    querysets: dict[str, Any] = {
        "services": lambda: policy.visible(principal, Service).order_by("name"),
        "audience_services": lambda: policy.visible(principal, Service).order_by("name"),
        "features": lambda: (
            policy.visible(principal, Feature)
            .select_related("service")
            .order_by("service__name", "group", "name")
        ),
        "regions": lambda: policy.visible(principal, Region).order_by("name"),
        "audience_partner": lambda: organizations.filter(kind=OrgKind.PARTNER),
        "audience_customers": lambda: organizations.filter(kind=OrgKind.CUSTOMER),
    }
    for name, queryset in querysets.items():
        if name in form.fields:
            field: Any = form.fields[name]
            field.queryset = queryset()


STATUS_CHOICES = [(s.value, s.label) for s in ISSUE_STATUSES]
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


def _service_field(label: Any, *, required: bool = True) -> forms.ModelMultipleChoiceField:
    return forms.ModelMultipleChoiceField(
        queryset=Service.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        label=label,
        required=required,
    )


class ServiceForm(forms.Form):
    input_model = ServiceIn

    key = forms.SlugField(label=_("Key"), max_length=64)
    name = forms.CharField(label=_("Name"), max_length=200)
    description = forms.CharField(
        label=_("Description"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )


class FeatureForm(forms.Form):
    group = forms.CharField(label=_("Feature group"), max_length=200, required=False)
    name = forms.CharField(label=_("Feature"), max_length=200)


class RegionForm(forms.Form):
    key = forms.SlugField(label=_("Key"), max_length=64)
    name = forms.CharField(label=_("Name"), max_length=200)


class IssueForm(forms.Form):
    input_model = IssueIn  # what it validates into (`partnerdesk.inputs`), as the API does

    classification = forms.ChoiceField(label=_("Classification"), choices=HealthIssue.Classification.choices)
    title = forms.CharField(label=_("Title"), max_length=300)
    impact_description = forms.CharField(label=_("User impact"), widget=forms.Textarea(attrs={"rows": 3}))
    status = forms.ChoiceField(label=_("Status"), choices=STATUS_CHOICES, initial=ServiceStatus.INVESTIGATING)
    services = _service_field(_("Affected services"))
    features: forms.ModelMultipleChoiceField[Any] = forms.ModelMultipleChoiceField(
        queryset=Feature.objects.none(),
        label=_("Affected features (optional)"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 5}),
    )
    regions: forms.ModelMultipleChoiceField[Any] = forms.ModelMultipleChoiceField(
        queryset=Region.objects.none(),
        label=_("Affected regions (optional)"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    first_post = forms.CharField(
        label=_("First update"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    publish = forms.BooleanField(label=_("Publish now (otherwise a draft)"), required=False)

    def __init__(self, *args: Any, principal: Principal, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        offer_visible_choices(self, principal)


class IssuePostForm(forms.Form):
    input_model = IssuePostIn

    status = forms.ChoiceField(label=_("New status"), choices=STATUS_CHOICES)
    body = forms.CharField(label=_("Update"), widget=forms.Textarea(attrs={"rows": 3}))
    notifies = forms.BooleanField(label=_("Notify subscribers"), required=False, initial=True)
    correction = forms.BooleanField(label=_("This corrects an earlier update"), required=False)


class IssueReviseForm(forms.Form):
    input_model = IssuePatch  # the page revises the title and the impact, saying why

    title = forms.CharField(label=_("Title"), max_length=300)
    impact_description = forms.CharField(label=_("User impact"), widget=forms.Textarea(attrs={"rows": 3}))
    note = forms.CharField(label=_("What changed and why"), max_length=2000)


class ReportForm(forms.Form):
    input_model = ReportIn

    report = forms.CharField(label=_("Post-incident report"), widget=forms.Textarea(attrs={"rows": 6}))


class MaintenanceForm(forms.Form):
    input_model = MaintenanceIn  # what it validates into (`partnerdesk.inputs`), as the API does

    title = forms.CharField(label=_("Title"), max_length=300)
    description = forms.CharField(
        label=_("Description"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    services = _service_field(_("Services"))
    starts_at = forms.DateTimeField(label=_("Starts"), widget=DATETIME)
    ends_at = forms.DateTimeField(label=_("Ends"), widget=DATETIME)
    reminder_hours = forms.CharField(
        label=_("Reminders (hours before, comma-separated)"), initial="72, 24, 1", required=False
    )

    def __init__(self, *args: Any, principal: Principal, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        offer_visible_choices(self, principal)

    def clean_reminder_hours(self) -> list[int]:
        raw = self.cleaned_data.get("reminder_hours", "")
        try:
            return [int(part) for part in raw.replace(" ", "").split(",") if part]
        except ValueError:
            raise forms.ValidationError(_("Enter whole hours, e.g. 72, 24, 1.")) from None

    def input_data(self, model: type[Input]) -> dict[str, Any]:
        """The typed input's data: reminders left empty are none (not the API's default ones)."""
        return {**inputs.form_data(self, model), "reminder_hours": self.cleaned_data["reminder_hours"]}


class RescheduleForm(forms.Form):
    input_model = RescheduleIn

    starts_at = forms.DateTimeField(label=_("Starts"), widget=DATETIME)
    ends_at = forms.DateTimeField(label=_("Ends"), widget=DATETIME)


AUDIENCE_CHOICES = MessagePost.Audience.choices


class MessageForm(forms.Form):
    input_model = MessageIn  # the view adds `publish` (the button pressed)
    input_names = {
        "audience": "audience.type",
        "audience_services": "audience.services",
        "audience_partner": "audience.partner_id",
        "audience_customers": "audience.customer_ids",
    }

    title = forms.CharField(label=_("Title"), max_length=300)
    body = forms.CharField(label=_("Body (Markdown)"), widget=forms.Textarea(attrs={"rows": 8}))
    category = forms.ChoiceField(label=_("Category"), choices=MessagePost.Category.choices)
    severity = forms.ChoiceField(label=_("Severity"), choices=MessagePost.Severity.choices)
    is_major_change = forms.BooleanField(label=_("Major change"), required=False)
    act_by = forms.DateField(
        label=_("Act by"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    services = _service_field(_("Services this post is about"), required=False)
    tags = forms.MultipleChoiceField(
        label=_("Tags"), choices=MessagePost.Tag.choices, widget=forms.CheckboxSelectMultiple, required=False
    )
    expires_at = forms.DateTimeField(label=_("Expires"), required=False, widget=DATETIME)
    audience = forms.ChoiceField(label=_("Audience"), choices=AUDIENCE_CHOICES, widget=forms.RadioSelect)
    audience_services = _service_field(_("Audience: tenants entitled to"), required=False)
    audience_partner: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        queryset=None, label=_("Audience: customers of partner"), required=False
    )
    audience_customers: forms.ModelMultipleChoiceField[Any] = forms.ModelMultipleChoiceField(
        queryset=None,
        label=_("Audience: these tenants"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )
    publish_at = forms.DateTimeField(label=_("Publish at (optional)"), required=False, widget=DATETIME)

    def __init__(self, *args: Any, principal: Principal, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        offer_visible_choices(self, principal)


class MessageReviseForm(forms.Form):
    input_model = MessagePatch  # the page revises the title, the body and the act-by date

    title = forms.CharField(label=_("Title"), max_length=300)
    body = forms.CharField(label=_("Body (Markdown)"), widget=forms.Textarea(attrs={"rows": 8}))
    act_by = forms.DateField(
        label=_("Act by"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    note = forms.CharField(label=_("What changed"), max_length=2000, required=False)
    notifies = forms.BooleanField(label=_("Notify (marks the post unread again)"), required=False)

    def input_data(self, model: type[Input]) -> dict[str, Any]:
        """The page's fields; an act-by date left empty clears it (the API's null)."""
        return {**inputs.form_data(self, model), "act_by": self.cleaned_data.get("act_by")}


class PreferencesForm(forms.Form):
    input_model = PreferencesIO  # the page has a field for each of the two extra addresses

    services: forms.ModelMultipleChoiceField[Any] = forms.ModelMultipleChoiceField(
        queryset=None,
        label=_("Services shown (none chosen: all)"),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    weekly_digest = forms.BooleanField(label=_("Weekly digest e-mail"), required=False)
    email_major_changes = forms.BooleanField(label=_("E-mail me major changes at once"), required=False)
    email_data_privacy = forms.BooleanField(label=_("E-mail me data privacy posts at once"), required=False)
    email_health_issues = forms.BooleanField(label=_("E-mail me health issues"), required=False)
    health_services: forms.ModelMultipleChoiceField[Any] = forms.ModelMultipleChoiceField(
        queryset=None,
        label=_("Health issue e-mails for (none chosen: all)"),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    extra_email_1 = forms.EmailField(label=_("Also send to"), required=False)
    extra_email_2 = forms.EmailField(label=_("And to"), required=False)

    def __init__(self, *args: Any, services: Any, privacy: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("services", "health_services"):
            field: Any = self.fields[name]
            field.queryset = services
        if not privacy:
            del self.fields["email_data_privacy"]

    def input_data(self, model: type[Input]) -> dict[str, Any]:
        """The page's fields; its two extra addresses are the API's list (the service drops an empty one)."""
        data = inputs.form_data(self, model)
        data["extra_emails"] = [data.pop("extra_email_1", ""), data.pop("extra_email_2", "")]
        return data
