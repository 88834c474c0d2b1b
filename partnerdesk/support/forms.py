"""Forms of the support pages; the rules stay in services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from partnerdesk import inputs
from partnerdesk.accounts.models import User
from partnerdesk.catalog.models import Service
from partnerdesk.support.inputs import (
    EscalateIn,
    FlagIn,
    FlagResolveIn,
    NoteIn,
    ProfilePatch,
    RequestMessageIn,
    ServiceRequestIn,
    ServiceRequestPatch,
    SupportRequestIn,
    TopicIn,
)
from partnerdesk.support.models import Note, ServiceRequest, Severity, SupportRequest, SupportTopic


class SupportRequestForm(forms.Form):
    input_model = SupportRequestIn  # what it validates into (`partnerdesk.inputs`), as the API does
    input_names = {"service": "service_id"}

    # The services the customer is entitled to (from the view, through the choke point): a request
    # about another tenant's service is not valid input.
    service: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        queryset=Service.objects.none(), required=False, label=_("Service affected")
    )
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 6}))
    severity = forms.ChoiceField(label=_("Severity"), choices=Severity.choices, initial=Severity.MODERATE)
    contact_name = forms.CharField(label=_("Contact person"), max_length=200)
    contact_email = forms.EmailField(label=_("Contact e-mail"))
    contact_phone = forms.CharField(label=_("Contact phone"), max_length=40, required=False)
    contact_method = forms.ChoiceField(
        label=_("Preferred contact method"), choices=SupportRequest.ContactMethod.choices
    )
    attachment = forms.FileField(label=_("Attachment"), required=False)

    def __init__(self, *args: Any, services: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = services  # type: ignore[attr-defined]


class MessageForm(forms.Form):
    input_model = RequestMessageIn

    body = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 4}))
    visibility = forms.ChoiceField(
        label=_("Visibility"),
        choices=[("public", _("Public reply (the customer sees it)")), ("internal", _("Internal note"))],
        initial="public",
        required=False,
    )


class AttachmentForm(forms.Form):
    file = forms.FileField(label=_("File"))
    internal = forms.BooleanField(label=_("Internal (not shown to the other side)"), required=False)


class EscalateForm(forms.Form):
    input_model = EscalateIn
    input_names = {"topic": "topic_id", "contact": "contact_id", "shared": "shared_message_ids"}

    topic: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        queryset=SupportTopic.objects.none(), label=_("Support topic")
    )
    severity = forms.ChoiceField(label=_("Severity"), choices=Severity.choices)
    contact: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        queryset=User.objects.none(), label=_("Partner contact")
    )
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 5}))
    shared = forms.MultipleChoiceField(
        label=_("Conversation to share with the operator"),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    def __init__(self, *args: Any, topics: Any, people: Any, messages: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["topic"].queryset = topics  # type: ignore[attr-defined]
        self.fields["contact"].queryset = people  # type: ignore[attr-defined]
        self.fields["contact"].label_from_instance = lambda u: f"{u.display_name} <{u.email}>"  # type: ignore[attr-defined]
        internal = str(_("internal note"))
        self.fields["shared"].choices = [  # type: ignore[attr-defined]
            (
                str(m.pk),
                f"{m.author_name}: {m.body[:80]}" + (f" ({internal})" if m.visibility == "internal" else ""),
            )
            for m in messages
        ]


class ServiceRequestForm(forms.Form):
    input_model = ServiceRequestIn
    input_names = {"topic": "topic_id", "service": "service_id"}

    topic: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        queryset=SupportTopic.objects.none(), label=_("Support topic")
    )
    service: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        queryset=Service.objects.none(), required=False, label=_("Service")
    )
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 6}))
    severity = forms.ChoiceField(label=_("Severity"), choices=Severity.choices, initial=Severity.MODERATE)

    def __init__(self, *args: Any, topics: Any, services: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["topic"].queryset = topics  # type: ignore[attr-defined]
        self.fields["service"].queryset = services  # type: ignore[attr-defined]


class NoteForm(forms.Form):
    input_model = NoteIn

    body = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 4}))
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=[
            (Note.Kind.TO_PARTNER, _("Note to the partner")),
            (Note.Kind.OPERATOR_INTERNAL, _("Internal note")),
        ],
        required=False,
    )


class ServiceStatusForm(forms.Form):
    input_model = ServiceRequestPatch  # the page changes the status (a resolution to close)

    status = forms.ChoiceField(label=_("Status"), choices=ServiceRequest.Status.choices)
    resolution = forms.CharField(
        label=_("Resolution (to close)"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )


class FlagForm(forms.Form):
    input_model = FlagIn  # about the service request the page shows (`service_request`)

    reason = forms.CharField(
        label=_("Why the escalation was inappropriate"), widget=forms.Textarea(attrs={"rows": 3})
    )
    remediation = forms.CharField(label=_("Remediation plan"), widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, service_request: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.service_request = service_request

    def input_data(self, model: type[inputs.Input]) -> dict[str, Any]:
        """The page's fields, and the service request it is about (the API names it in the payload)."""
        return {**inputs.form_data(self, model), "service_request_id": self.service_request.pk}


class FlagResolveForm(forms.Form):
    input_model = FlagResolveIn

    note = forms.CharField(
        label=_("How it was resolved"), max_length=5000, widget=forms.Textarea(attrs={"rows": 2})
    )


class ProfileForm(forms.Form):
    input_model = ProfilePatch  # the page sends every field: one left empty is cleared

    email = forms.EmailField(label=_("Support e-mail"), required=False)
    phone = forms.CharField(label=_("Support phone"), max_length=40, required=False)
    website = forms.URLField(label=_("Support website"), required=False, assume_scheme="https")
    hours = forms.CharField(label=_("Support hours"), max_length=200, required=False)


class TopicForm(forms.Form):
    input_model = TopicIn

    name = forms.CharField(label=_("Name"), max_length=120)
    description = forms.CharField(label=_("Description"), max_length=300, required=False)


class ArticleForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    body = forms.CharField(label=_("Body"), widget=forms.Textarea(attrs={"rows": 10}))
    language = forms.ChoiceField(label=_("Language"), choices=[])
    services: forms.ModelMultipleChoiceField[Any] = forms.ModelMultipleChoiceField(
        queryset=Service.objects.none(),
        required=False,
        label=_("Services"),
        widget=forms.CheckboxSelectMultiple,
    )
    published = forms.BooleanField(label=_("Published"), required=False, initial=True)

    def __init__(self, *args: Any, services: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["services"].queryset = services  # type: ignore[attr-defined]
        from django.conf import settings

        self.fields["language"].choices = settings.LANGUAGES  # type: ignore[attr-defined]


class CannedReplyForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=120)
    body = forms.CharField(label=_("Body"), widget=forms.Textarea(attrs={"rows": 4}))


class SavedViewForm(forms.Form):
    name = forms.CharField(label=_("Save these filters as"), max_length=80)
    query = forms.CharField(widget=forms.HiddenInput, required=False)


class SlaPolicyForm(forms.Form):
    severity = forms.ChoiceField(label=_("Severity"), choices=Severity.choices)
    first_response_minutes = forms.IntegerField(label=_("First response (minutes)"), min_value=1)
    resolution_minutes = forms.IntegerField(label=_("Resolution (minutes)"), min_value=1)
    around_the_clock = forms.BooleanField(label=_("Around the clock (ignore business hours)"), required=False)
    time_zone = forms.CharField(label=_("Time zone"), max_length=64, initial="UTC")
    workday_start = forms.TimeField(label=_("Business hours start"), initial="09:00")
    workday_end = forms.TimeField(label=_("Business hours end"), initial="18:00")
    holidays = forms.CharField(
        label=_("Holidays (YYYY-MM-DD, one per line)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )


class SubscriptionContactForm(forms.Form):
    subscription: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        queryset=SupportTopic.objects.none(), label=_("Subscription")
    )
    name = forms.CharField(label=_("Designated contact"), max_length=200, required=False)
    email = forms.EmailField(label=_("E-mail"), required=False)
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)

    def __init__(self, *args: Any, subscriptions: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["subscription"].queryset = subscriptions  # type: ignore[attr-defined]
        self.fields["subscription"].label_from_instance = lambda s: f"{s.customer.name}: {s}"  # type: ignore[attr-defined]
        self.fields["name"].help_text = _("Leave name and e-mail empty to remove the designated contact.")


class ReleaseForm(forms.Form):
    """Where a quarantined mail goes: an open request, or a new request for a customer."""

    support_request: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=_("Add it to the open request"), queryset=SupportRequest.objects.none(), required=False
    )
    customer: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=_("Or open a new request for"), queryset=SupportRequest.objects.none(), required=False
    )

    def __init__(self, *args: Any, requests: Any, customers: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["support_request"].queryset = requests  # type: ignore[attr-defined]
        self.fields["support_request"].label_from_instance = (  # type: ignore[attr-defined]
            lambda r: f"{r.number} · {r.customer.name} · {r.title}"
        )
        self.fields["customer"].queryset = customers  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if bool(data.get("support_request")) == bool(data.get("customer")):
            raise forms.ValidationError(_("Choose an open request, or a customer to open a new request for."))
        return data
