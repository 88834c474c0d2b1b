"""Forms for the partner center's subscription pages and the admin center's requests and licences."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from partnerdesk import inputs
from partnerdesk.catalog.models import Offer, Sku
from partnerdesk.subscriptions.inputs import ChangeRequestIn, ReplyIn, SubscriptionIn
from partnerdesk.subscriptions.models import ChangeRequest, Subscription


class OfferChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name} — {obj.unit_price} {obj.currency} ({obj.get_term_display()})"


class NewSubscriptionForm(forms.Form):
    input_model = SubscriptionIn  # an add-on: the view adds the subscription the page shows, its base
    input_names = {"offer": "offer_id"}

    offer = OfferChoiceField(label=_("Offer"), queryset=Offer.objects.none())
    quantity = forms.IntegerField(label=_("Seats"), min_value=1, initial=1)
    friendly_name = forms.CharField(label=_("Friendly name"), max_length=200, required=False)

    def __init__(self, *args: Any, offers: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["offer"].queryset = offers  # type: ignore[attr-defined]


class QuantityForm(forms.Form):
    quantity = forms.IntegerField(label=_("Seats"), min_value=1)


class SettingsForm(forms.Form):
    friendly_name = forms.CharField(label=_("Friendly name"), max_length=200, required=False)
    auto_renew = forms.BooleanField(label=_("Renew automatically at term end"), required=False)


class SuspendForm(forms.Form):
    reason = forms.ChoiceField(label=_("Reason"), choices=Subscription.SuspensionReason.choices)


class ChangeRequestForm(forms.Form):
    input_model = ChangeRequestIn  # about the subscription the page shows (`subscription`)
    input_names = {"kind": "type", "target_sku": "target_sku_id"}

    kind = forms.ChoiceField(label=_("What do you need?"), choices=ChangeRequest.Kind.choices)
    seats = forms.IntegerField(
        label=_("New total of seats"),
        min_value=1,
        max_value=10**6,
        required=False,
        help_text=_("For more or fewer seats: the number you want in all, not the difference"),
    )
    target_sku = forms.ModelChoiceField(
        label=_("Upgrade to"), queryset=Sku.objects.none(), required=False, help_text=_("For an upgrade")
    )
    note = forms.CharField(
        label=_("Note for your partner"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )

    def __init__(self, *args: Any, subscription: Any, upgrade_skus: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.subscription = subscription
        if upgrade_skus is not None and upgrade_skus.exists():
            self.fields["target_sku"].queryset = upgrade_skus  # type: ignore[attr-defined]
        else:
            del self.fields["target_sku"]

    def input_data(self, model: type[inputs.Input]) -> dict[str, Any]:
        """The page's fields, and the subscription it is about (the API names it in the payload)."""
        return {**inputs.form_data(self, model), "subscription_id": self.subscription.pk}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("kind") in (ChangeRequest.Kind.INCREASE, ChangeRequest.Kind.DECREASE) and not data.get(
            "seats"
        ):
            self.add_error("seats", _("Say how many seats you want in total."))
        return data


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("approve", _("Approve")), ("reject", _("Reject")), ("inquire", _("Ask for information"))],
        widget=forms.HiddenInput,
    )
    message = forms.CharField(
        label=_("Message to the customer"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text=_("Required to reject or to ask for information"),
    )


class ReplyForm(forms.Form):
    input_model = ReplyIn

    note = forms.CharField(label=_("Your answer"), widget=forms.Textarea(attrs={"rows": 2}))
