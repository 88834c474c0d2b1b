"""Operator console: the catalog of products, SKUs, offers and their policy rows."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from partnerdesk import etags, inputs
from partnerdesk.access import policy
from partnerdesk.access.permissions import Permission
from partnerdesk.access.principal import principal_of
from partnerdesk.access.web import requires
from partnerdesk.catalog import forms, services
from partnerdesk.catalog.inputs import OfferIn, PolicyIn, PriceChangeIn, ProductIn, SkuIn, UpgradePathIn
from partnerdesk.catalog.models import AddOnRule, Offer, Product, Service, Sku, UpgradePath
from partnerdesk.errors import DomainError
from partnerdesk.inputs import Input
from partnerdesk.pagination import paginate

P = Permission


@requires(P.CATALOG_VIEW, portal="operator")
def catalog_home(request: HttpRequest) -> HttpResponse:
    form = forms.ProductForm(request.POST or None)
    if request.method == "POST":
        principal_of(request).require(P.CATALOG_MANAGE)
        typed = inputs.from_form(form, ProductIn)
        if typed is not None:
            try:
                product = services.create_product(
                    principal_of(request), name=typed.name, description=typed.description
                )
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, _("The product was added."))
                return redirect("catalog:product_detail", product_id=product.pk)
    products = policy.visible(principal_of(request), Product)
    page = paginate(products, ordering=["name", "id"], cursor=request.GET.get("cursor"), limit=50)
    return render(
        request, "catalog/catalog_home.html", {"page": page, "form": form}, status=400 if form.errors else 200
    )


def _services(request: HttpRequest) -> Any:
    """The services a SKU may include: the whole service catalog, as the operator sees it."""
    return policy.visible(principal_of(request), Service).order_by("name")


def _product_context(request: HttpRequest, product: Product, **forms_: Any) -> dict[str, Any]:
    skus = policy.visible(principal_of(request), Sku).filter(product=product).prefetch_related("services")
    all_skus = policy.visible(principal_of(request), Sku).order_by("name")
    offers = (
        policy.visible(principal_of(request), Offer)
        .filter(sku__product=product)
        .select_related("sku", "policy")
        .order_by("sku__name", "name", "id")
    )
    return {
        "product": product,
        "skus": skus.order_by("name", "id"),
        "offers": offers,
        "upgrade_paths": policy.visible(principal_of(request), UpgradePath)
        .filter(from_sku__product=product)
        .select_related("from_sku", "to_sku"),
        "addon_rules": policy.visible(principal_of(request), AddOnRule)
        .filter(addon_sku__product=product)
        .select_related("addon_sku", "base_sku"),
        "sku_form": forms_.get("sku_form") or forms.SkuForm(product=product, services=_services(request)),
        "offer_form": forms_.get("offer_form") or forms.OfferForm(skus=skus),
        "upgrade_form": forms_.get("upgrade_form") or forms.UpgradePathForm(skus=all_skus),
        "addon_form": forms_.get("addon_form") or forms.AddOnRuleForm(skus=all_skus),
    }


@requires(P.CATALOG_VIEW, portal="operator")
def product_detail(request: HttpRequest, product_id: str) -> HttpResponse:
    product = policy.get_visible(principal_of(request), Product, pk=product_id)
    return render(request, "catalog/product_detail.html", _product_context(request, product))


@require_POST
@requires(P.CATALOG_MANAGE, portal="operator")
def product_add(request: HttpRequest, product_id: str, what: str) -> HttpResponse:
    """Add a SKU, an offer, an upgrade path or an add-on rule from the product page."""
    principal = principal_of(request)
    product = policy.get_visible(principal, Product, pk=product_id)
    skus = policy.visible(principal, Sku)
    form: Any
    if what == "sku":
        form = forms.SkuForm(request.POST, product=product, services=_services(request))
    elif what == "offer":
        form = forms.OfferForm(request.POST, skus=skus.filter(product=product))
    elif what == "upgrade":
        form = forms.UpgradePathForm(request.POST, skus=skus)
    elif what == "addon":
        form = forms.AddOnRuleForm(request.POST, skus=skus)
    else:
        raise DomainError(_("Unknown catalog entry."), code="not_found", status=404)
    typed: Input | None = inputs.from_form(form)
    if typed is not None:
        data = form.cleaned_data  # the rows the form's choices looked up
        try:
            if isinstance(typed, SkuIn):
                services.create_sku(principal, product=product, name=typed.name, service_keys=typed.services)
            elif isinstance(typed, OfferIn):
                fields = typed.model_dump(exclude={"sku_id", "policy"})
                fields["name"] = fields["name"] or f"{data['sku'].name} ({typed.term})"
                services.create_offer(principal, sku=data["sku"], **fields)
            elif isinstance(typed, UpgradePathIn):
                services.add_upgrade_path(principal, from_sku=data["first"], to_sku=data["second"])
            else:
                services.add_addon_rule(
                    principal,
                    addon_sku=data["first"],
                    base_sku=data["second"],
                    coterminous=data["coterminous"],
                )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Saved."))
            return redirect("catalog:product_detail", product_id=product.pk)
    context = _product_context(request, product, **{f"{what}_form": form})
    return render(request, "catalog/product_detail.html", context, status=400)


@requires(P.CATALOG_VIEW, portal="operator")
def offer_detail(request: HttpRequest, offer_id: str) -> HttpResponse:
    principal = principal_of(request)
    offer = policy.get_visible(principal, Offer.objects.select_related("sku", "sku__product"), pk=offer_id)
    row = services.policy_of(offer)
    policy_form = forms.PolicyForm(
        request.POST if request.POST.get("form") == "policy" else None,
        initial={f: getattr(row, f) for f in services.POLICY_FIELDS},
    )
    price_form = forms.PriceChangeForm(request.POST if request.POST.get("form") == "price" else None)
    status = 200
    if request.method == "POST":
        principal.require(P.CATALOG_MANAGE)
        form = policy_form if request.POST.get("form") == "policy" else price_form
        typed: Input | None = inputs.from_form(form)
        if typed is not None:
            try:
                if isinstance(typed, PolicyIn):
                    with etags.guarded(etags.posted(request), row):
                        services.update_policy(principal, offer, typed.model_dump(exclude_none=True))
                else:
                    assert isinstance(typed, PriceChangeIn)
                    services.announce_price_change(
                        principal, offer, unit_price=typed.unit_price, effective_at=typed.effective_at
                    )
            except DomainError as error:
                form.add_error(None, error.message)
                status = etags.page_status(error, 400)
            else:
                messages.success(request, _("Saved."))
                return redirect("catalog:offer_detail", offer_id=offer.pk)
        else:
            status = 400
    return render(
        request,
        "catalog/offer_detail.html",
        {
            "offer": offer,
            "offer_policy": row,
            "price_changes": offer.price_changes.order_by("effective_at"),
            "policy_form": policy_form,
            "price_form": price_form,
        },
        status=status,
    )
