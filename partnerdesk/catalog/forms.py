"""Forms for the operator's catalog pages."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from partnerdesk import inputs
from partnerdesk.catalog.inputs import (
    AddOnRuleIn,
    OfferIn,
    PolicyIn,
    PriceChangeIn,
    ProductIn,
    SkuIn,
    UpgradePathIn,
)
from partnerdesk.catalog.models import Offer, OfferPolicy, Service, Sku


class ProductForm(forms.Form):
    input_model = ProductIn

    name = forms.CharField(label=_("Product name"), max_length=200)
    description = forms.CharField(
        label=_("Description"), widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=4000
    )


class SkuForm(forms.Form):
    input_model = SkuIn  # of the product the page shows (`product`); services named by their key

    name = forms.CharField(label=_("SKU name"), max_length=200)
    services = forms.ModelMultipleChoiceField(
        label=_("Included services"),
        queryset=Service.objects.none(),
        to_field_name="key",
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    def __init__(self, *args: Any, product: Any, services: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.product = product
        self.fields["services"].queryset = services  # type: ignore[attr-defined]

    def input_data(self, model: type[inputs.Input]) -> dict[str, Any]:
        """The page's fields, and the product it is about (the API names it in the payload)."""
        return {**inputs.form_data(self, model), "product_id": self.product.pk}


class OfferForm(forms.Form):
    input_model = OfferIn  # the page leaves the policy row at its defaults
    input_names = {"sku": "sku_id"}

    sku = forms.ModelChoiceField(label=_("SKU"), queryset=Sku.objects.none())
    name = forms.CharField(label=_("Offer name"), max_length=200, required=False)
    term = forms.ChoiceField(label=_("Term"), choices=Offer.Term.choices)
    billing_cycle = forms.ChoiceField(label=_("Billing cycle"), choices=Offer.BillingCycle.choices)
    unit_price = forms.DecimalField(
        label=_("Unit price"), min_value=Decimal(0), max_digits=12, decimal_places=2
    )
    currency = forms.CharField(label=_("Currency"), min_length=3, max_length=3, initial="CNY")
    min_quantity = forms.IntegerField(
        label=_("Minimum quantity"), min_value=1, max_value=1_000_000, initial=1
    )
    max_quantity = forms.IntegerField(
        label=_("Maximum quantity"), min_value=1, max_value=1_000_000, initial=300
    )
    valid_until = forms.DateTimeField(
        label=_("Valid until"), required=False, help_text=_("Empty: no end date")
    )

    def __init__(self, *args: Any, skus: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["sku"].queryset = skus  # type: ignore[attr-defined]


class PolicyForm(forms.Form):
    input_model = PolicyIn

    cancellation_window_hours = forms.IntegerField(
        label=_("Cancellation window (hours)"), min_value=0, max_value=24 * 365
    )
    seat_decrease = forms.ChoiceField(label=_("Seat decreases"), choices=OfferPolicy.SeatDecrease.choices)
    billing_continues_while_suspended = forms.BooleanField(
        label=_("Billing continues while suspended"), required=False
    )


class PriceChangeForm(forms.Form):
    input_model = PriceChangeIn

    unit_price = forms.DecimalField(
        label=_("New unit price"), min_value=Decimal(0), max_digits=12, decimal_places=2
    )
    effective_at = forms.DateTimeField(
        label=_("Effective from"), help_text=_("YYYY-MM-DD HH:MM, in the future")
    )


class SkuPairForm(forms.Form):
    """Two SKUs of the catalog: an upgrade path (`UpgradePathForm`) or an add-on rule (`AddOnRuleForm`)."""

    addon = False

    first = forms.ModelChoiceField(label=_("From SKU"), queryset=Sku.objects.none())
    second = forms.ModelChoiceField(label=_("To SKU"), queryset=Sku.objects.none())
    coterminous = forms.BooleanField(label=_("Co-terminous with the base"), required=False, initial=True)

    def __init__(self, *args: Any, skus: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["first"].queryset = skus  # type: ignore[attr-defined]
        self.fields["second"].queryset = skus  # type: ignore[attr-defined]
        if self.addon:
            self.fields["first"].label = _("Add-on SKU")
            self.fields["second"].label = _("Requires base SKU")
        else:
            del self.fields["coterminous"]


class UpgradePathForm(SkuPairForm):
    input_model = UpgradePathIn
    input_names = {"first": "from_sku_id", "second": "to_sku_id"}


class AddOnRuleForm(SkuPairForm):
    input_model = AddOnRuleIn
    input_names = {"first": "addon_sku_id", "second": "base_sku_id"}

    addon = True
