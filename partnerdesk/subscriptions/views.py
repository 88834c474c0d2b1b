"""Partner center: customers' subscriptions and change requests. Admin center: read-only subscriptions,
change requests to the partner, and licences."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from partnerdesk import etags, inputs
from partnerdesk.access import policy
from partnerdesk.access.permissions import OrgKind, Permission
from partnerdesk.access.principal import principal_of
from partnerdesk.access.web import View, requires
from partnerdesk.accounts.models import User
from partnerdesk.catalog.models import AddOnRule, Offer, Sku
from partnerdesk.confirm import Confirmation, confirmation, confirmed
from partnerdesk.errors import DomainError, NotFound
from partnerdesk.pagination import paginate
from partnerdesk.subscriptions import (
    change_requests,
    common,
    consequences,
    forms,
    licences,
    lifecycle,
    queries,
    seats,
)
from partnerdesk.subscriptions import rules as subscription_rules
from partnerdesk.subscriptions.inputs import ChangeRequestIn, ReplyIn, SubscriptionIn
from partnerdesk.subscriptions.models import ChangeRequest, LicenseAssignment, Subscription
from partnerdesk.tenancy.models import Organization

P = Permission


def partner_changes(view: View) -> View:
    """`requires(subscriptions.change, portal="partner")`: a customer is told to ask its partner (audited)."""
    return requires(subscription_rules.CHANGE, portal="partner")(view)


def _subscriptions(request: HttpRequest) -> Any:
    return policy.visible(principal_of(request), Subscription).select_related(
        "customer", "partner", "offer", "offer__sku"
    )


def _customer(request: HttpRequest, customer_id: Any) -> Organization:
    customers = policy.visible(principal_of(request), Organization).filter(kind=OrgKind.CUSTOMER)
    return policy.get_visible(principal_of(request), customers, pk=customer_id)


def _offers_on_sale(request: HttpRequest) -> Any:
    now = timezone.now()
    return (
        policy.visible(principal_of(request), Offer)
        .filter(valid_from__lte=now)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gt=now))
        .exclude(sku__addon_rules__isnull=False)
        .select_related("sku")
        .order_by("sku__name", "name")
    )


# --- Partner center ----------------------------------------------------------------------------


@requires(P.SUBSCRIPTIONS_VIEW, portal="partner")
def partner_subscriptions(request: HttpRequest) -> HttpResponse:
    subscriptions = _subscriptions(request)
    status = request.GET.get("status", "")
    if status in Subscription.Status.values:
        subscriptions = subscriptions.filter(status=status)
    ends_within = request.GET.get("ends_within", "").strip()
    if not (ends_within.isdigit() and 0 < int(ends_within) <= 366):
        ends_within = ""
    if ends_within:
        subscriptions = queries.ending_within(subscriptions, int(ends_within))
    page = paginate(
        subscriptions, ordering=["-created_at", "-id"], cursor=request.GET.get("cursor"), limit=50
    )
    return render(
        request,
        "subscriptions/partner_list.html",
        {
            "page": page,
            "status": status,
            "ends_within": ends_within,
            "statuses": Subscription.Status.choices,
            "query_string": urlencode({"status": status, "ends_within": ends_within}),
        },
    )


@requires(P.SUBSCRIPTIONS_VIEW, portal="partner")
def customer_subscriptions(request: HttpRequest, customer_id: str) -> HttpResponse:
    customer = _customer(request, customer_id)
    page = paginate(
        _subscriptions(request).filter(customer=customer),
        ordering=["-created_at", "-id"],
        cursor=request.GET.get("cursor"),
        limit=50,
    )
    return render(
        request,
        "subscriptions/customer_subscriptions.html",
        {
            "customer": customer,
            "page": page,
            "form": forms.NewSubscriptionForm(offers=_offers_on_sale(request)),
        },
    )


@partner_changes
def subscription_create(request: HttpRequest, customer_id: str) -> HttpResponse:
    customer = _customer(request, customer_id)
    form = forms.NewSubscriptionForm(request.POST or None, offers=_offers_on_sale(request))
    purchase = inputs.from_form(form, SubscriptionIn) if request.method == "POST" else None
    if purchase is not None:
        try:
            subscription = lifecycle.create_subscription(
                principal_of(request),
                customer=customer,
                offer=form.cleaned_data["offer"],  # the row the form's choices looked up
                quantity=purchase.quantity,
                friendly_name=purchase.friendly_name,
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("The subscription was added."))
            return redirect("subscriptions:partner_detail", subscription_id=subscription.pk)
    return render(
        request,
        "subscriptions/subscription_form.html",
        {"customer": customer, "form": form},
        status=400 if form.errors else 200,
    )


def _detail_context(request: HttpRequest, subscription: Subscription, **overrides: Any) -> dict[str, Any]:
    now = timezone.now()
    addon_skus = (
        policy.visible(principal_of(request), AddOnRule)
        .filter(base_sku_id=subscription.offer.sku_id)
        .values_list("addon_sku_id", flat=True)
    )
    addon_offers = (
        policy.visible(principal_of(request), Offer).filter(sku_id__in=addon_skus).select_related("sku")
    )
    return {
        "subscription": subscription,
        "removable": seats.removable_now(subscription, now),
        "cancel_until": lifecycle.cancel_deadline(subscription),
        "can_cancel": now <= lifecycle.cancel_deadline(subscription),
        "assigned": common.assigned_seats(subscription.customer_id, subscription.offer.sku_id),
        "lots": subscription.lots.order_by("-created_at"),
        "scheduled": subscription.scheduled_changes.order_by("-created_at"),
        "upgrades": lifecycle.upgrade_targets(subscription, now),
        "add_ons": subscription.add_ons.select_related("offer"),
        "addon_form": forms.NewSubscriptionForm(offers=addon_offers) if addon_offers else None,
        "change_requests": subscription.change_requests.order_by("-created_at")[:20],
        "quantity_form": overrides.get("quantity_form")
        or forms.QuantityForm(initial={"quantity": subscription.quantity}),
        "settings_form": overrides.get("settings_form")
        or forms.SettingsForm(
            initial={"friendly_name": subscription.friendly_name, "auto_renew": subscription.auto_renew}
        ),
        "suspend_form": forms.SuspendForm(),
        "error": overrides.get("error"),
    }


@requires(P.SUBSCRIPTIONS_VIEW, portal="partner")
def partner_detail(request: HttpRequest, subscription_id: str) -> HttpResponse:
    subscription = policy.get_visible(principal_of(request), _subscriptions(request), pk=subscription_id)
    return render(request, "subscriptions/partner_detail.html", _detail_context(request, subscription))


@require_POST
@partner_changes
def subscription_action(request: HttpRequest, subscription_id: str, action: str) -> HttpResponse:
    """One change to a subscription: quantity, settings, suspend, reactivate, cancel, upgrade, add-on."""
    principal = principal_of(request)
    subscription = policy.get_visible(principal, _subscriptions(request), pk=subscription_id)
    etag = etags.posted(request)
    back = reverse("subscriptions:partner_detail", args=[subscription.pk])
    form: Any = None
    try:
        if action == "quantity":
            form = forms.QuantityForm(request.POST)
            fewer = form.is_valid() and form.cleaned_data["quantity"] < subscription.quantity
            if fewer and not confirmed(request):
                preview = change_requests.preview(
                    subscription, kind="decrease", seats=form.cleaned_data["quantity"]
                )
                return confirmation(
                    request,
                    Confirmation(
                        title=_("Reduce %(name)s from %(before)s to %(after)s seats?")
                        % {
                            "name": subscription,
                            "before": preview.seats_before,
                            "after": preview.seats_after,
                        },
                        consequences=[preview.consequence, *([preview.problem] if preview.problem else [])],
                        button=_("Reduce seats"),
                        back=back,
                    ),
                )
            if form.is_valid():
                result = seats.change_quantity(
                    principal, subscription, form.cleaned_data["quantity"], expected_etag=etag
                )
                if result.scheduled:
                    messages.success(
                        request,
                        _("The decrease to %(quantity)s seats is scheduled for the renewal on %(date)s.")
                        % {"quantity": result.scheduled.quantity, "date": subscription.term_end.date()},
                    )
                else:
                    messages.success(
                        request,
                        _("The quantity is now %(quantity)s.") % {"quantity": result.subscription.quantity},
                    )
        elif action == "settings":
            form = forms.SettingsForm(request.POST)
            if form.is_valid():
                lifecycle.update_settings(principal, subscription, form.cleaned_data, expected_etag=etag)
                messages.success(request, _("Saved."))
        elif action == "suspend":
            form = forms.SuspendForm(request.POST)
            if form.is_valid() and not confirmed(request):
                return confirmation(
                    request,
                    Confirmation(
                        title=_("Suspend %(name)s?") % {"name": subscription},
                        consequences=consequences.of_suspension(subscription),
                        button=_("Suspend"),
                        back=back,
                    ),
                )
            if form.is_valid():
                lifecycle.suspend(
                    principal, subscription, reason=form.cleaned_data["reason"], expected_etag=etag
                )
                messages.success(request, _("The subscription is suspended."))
        elif action == "reactivate":
            lifecycle.reactivate(principal, subscription, expected_etag=etag)
            messages.success(request, _("The subscription is active again."))
        elif action == "cancel":
            if not confirmed(request):
                return confirmation(
                    request,
                    Confirmation(
                        title=_("Cancel %(name)s?") % {"name": subscription},
                        consequences=consequences.of_cancellation(subscription),
                        button=_("Cancel subscription"),
                        back=back,
                    ),
                )
            lifecycle.cancel(principal, subscription, expected_etag=etag)
            messages.success(request, _("The subscription is cancelled."))
        elif action == "upgrade":
            target = policy.get_visible(principal, Offer, pk=request.POST.get("offer", ""))
            new = lifecycle.upgrade(principal, subscription, target)
            messages.success(request, _("Upgraded."))
            return redirect("subscriptions:partner_detail", subscription_id=new.pk)
        elif action == "addon":
            form = forms.NewSubscriptionForm(request.POST, offers=policy.visible(principal, Offer))
            purchase = inputs.from_form(form, SubscriptionIn, base_subscription_id=subscription.pk)
            if purchase is not None:
                addon = lifecycle.create_subscription(
                    principal,
                    customer=subscription.customer,
                    offer=form.cleaned_data["offer"],
                    quantity=purchase.quantity,
                    friendly_name=purchase.friendly_name,
                    base=subscription,
                )
                messages.success(request, _("The add-on was added."))
                return redirect("subscriptions:partner_detail", subscription_id=addon.pk)
        else:
            raise NotFound(_("Not found."))
    except DomainError as error:
        subscription.refresh_from_db()
        return render(
            request,
            "subscriptions/partner_detail.html",
            _detail_context(request, subscription, error=error.message),
            status=etags.page_status(error, error.status),
        )
    if form is not None and form.errors:
        overrides = {f"{action}_form": form}
        return render(
            request,
            "subscriptions/partner_detail.html",
            _detail_context(request, subscription, **overrides),
            status=400,
        )
    return redirect("subscriptions:partner_detail", subscription_id=subscription.pk)


def _change_requests(request: HttpRequest) -> Any:
    return policy.visible(principal_of(request), ChangeRequest).select_related(
        "subscription", "subscription__offer", "customer", "partner", "created_by"
    )


def _change_request_page(request: HttpRequest, requests_: Any) -> tuple[str, Any]:
    """`?show=open` (the default: not decided yet, as the home pages count them) or `all`, newest
    first, a keyset page of 50."""
    show = "all" if request.GET.get("show") == "all" else "open"
    if show == "open":
        requests_ = queries.open_change_requests(requests_)
    page = paginate(requests_, ordering=["-created_at", "-id"], cursor=request.GET.get("cursor"), limit=50)
    return show, page


@requires(P.SUBSCRIPTIONS_VIEW, portal="partner")
def partner_change_requests(request: HttpRequest) -> HttpResponse:
    show, page = _change_request_page(request, _change_requests(request))
    return render(
        request,
        "subscriptions/partner_change_requests.html",
        {"page": page, "show": show, "query_string": f"show={show}", "form": forms.DecisionForm()},
    )


@require_POST
@partner_changes
def change_request_decide(request: HttpRequest, request_id: str) -> HttpResponse:
    principal = principal_of(request)
    change_request = policy.get_visible(principal, _change_requests(request), pk=request_id)
    form = forms.DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose approve, reject or ask for information."))
        return redirect("subscriptions:partner_change_requests")
    decision, message = form.cleaned_data["decision"], form.cleaned_data["message"]
    if decision == "approve":
        # Approval applies the change: it goes through the page that says what it will do.
        return redirect("subscriptions:change_request_approve", request_id=change_request.pk)
    try:
        if decision == "reject":
            change_requests.reject_change_request(principal, change_request, reason=message)
            messages.success(request, _("Rejected."))
        else:
            change_requests.inquire_change_request(principal, change_request, question=message)
            messages.success(request, _("Your question was sent to the customer."))
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("subscriptions:partner_change_requests")


@partner_changes
def change_request_approve(request: HttpRequest, request_id: str) -> HttpResponse:
    """The confirmation step: seats before → after, the price after and the consequence, then apply."""
    principal = principal_of(request)
    change_request = policy.get_visible(principal, _change_requests(request), pk=request_id)
    if not change_request.is_open:
        messages.error(request, _("This change request was already decided."))
        return redirect("subscriptions:partner_change_requests")
    error = ""
    if request.method == "POST":
        try:
            change_requests.approve_change_request(
                principal, change_request, response=request.POST.get("message", "")
            )
        except DomainError as refused:
            error = refused.message
        else:
            messages.success(request, _("Approved and applied."))
            return redirect("subscriptions:partner_change_requests")
    return render(
        request,
        "subscriptions/partner_change_request_approve.html",
        {
            "change": change_request,
            "preview": change_requests.preview_request(change_request),
            "error": error,
            "message": request.POST.get("message", ""),
        },
        status=409 if error else 200,
    )


# --- Admin center --------------------------------------------------------------------------------


@requires(P.SUBSCRIPTIONS_VIEW, portal="admin")
def admin_subscriptions(request: HttpRequest) -> HttpResponse:
    principal = principal_of(request)
    customer = principal.organization
    subscriptions = list(
        _subscriptions(request)
        .filter(customer=customer)
        .exclude(status=Subscription.Status.DELETED)
        .order_by("-created_at", "-id")[:200]
    )
    pools = {pool.sku.pk: pool for pool in licences.pools(customer.pk)}
    rows = [(s, pools.get(s.offer.sku_id)) for s in subscriptions]
    # The latest few; the page of all of them (keyset-paginated, open or all) is linked.
    change_requests = _change_requests(request).filter(customer=customer).order_by("-created_at", "-id")[:5]
    return render(
        request,
        "subscriptions/admin_subscriptions.html",
        {
            "rows": rows,
            "partner": customer.partner,
            "change_requests": change_requests,
            "reply_form": forms.ReplyForm(),
        },
    )


@requires(P.SUBSCRIPTIONS_REQUEST_CHANGE, portal="admin")
def admin_request_change(request: HttpRequest, subscription_id: str) -> HttpResponse:
    """Two steps: the form, then what the change will do (seats, price, refunds) and "Send request"."""
    principal = principal_of(request)
    subscription = policy.get_visible(principal, _subscriptions(request), pk=subscription_id)
    if principal.is_delegated:
        # The partner acting for its customer changes the subscription itself, in its own portal.
        return redirect("subscriptions:partner_detail", subscription_id=subscription.pk)
    upgrade_skus = policy.visible(principal, Sku).filter(upgrades_from__from_sku_id=subscription.offer.sku_id)
    form = forms.ChangeRequestForm(request.POST or None, subscription=subscription, upgrade_skus=upgrade_skus)
    preview = None
    change = inputs.from_form(form, ChangeRequestIn) if request.method == "POST" else None
    if change is not None:
        target = form.cleaned_data.get("target_sku")  # the row the form's choices looked up
        try:
            if change.type in change_requests.SEAT_KINDS:
                change_requests.requested_total(subscription, change.type, change.seats, None)
            if "confirm" not in request.POST:
                preview = change_requests.preview(
                    subscription, kind=change.type, seats=change.seats, target_sku_id=target and target.pk
                )
            else:
                change_requests.request_change(
                    principal,
                    subscription,
                    kind=change.type,
                    seats=change.seats,
                    target_sku=target,
                    note=change.note,
                )
                messages.success(
                    request,
                    _("Your request was sent to %(partner)s.") % {"partner": subscription.partner.name},
                )
                return redirect("subscriptions:admin_subscriptions")
        except DomainError as error:
            form.add_error("seats" if error.code.startswith(("seats", "quantity")) else None, error.message)
    return render(
        request,
        "subscriptions/admin_request_form.html",
        {"subscription": subscription, "form": form, "preview": preview},
        status=400 if form.errors else 200,
    )


@requires(P.SUBSCRIPTIONS_VIEW, portal="admin")
def admin_change_requests(request: HttpRequest) -> HttpResponse:
    """The customer's change requests: those its partner has not decided yet (`?show=open`, what the
    home page's card counts) or all of them."""
    customer = principal_of(request).organization
    show, page = _change_request_page(request, _change_requests(request).filter(customer=customer))
    return render(
        request,
        "subscriptions/admin_change_requests.html",
        {"page": page, "show": show, "query_string": f"show={show}", "reply_form": forms.ReplyForm()},
    )


@require_POST
@requires(P.SUBSCRIPTIONS_REQUEST_CHANGE, portal="admin")
def admin_change_request_reply(request: HttpRequest, request_id: str) -> HttpResponse:
    principal = principal_of(request)
    change_request = policy.get_visible(principal, _change_requests(request), pk=request_id)
    form = forms.ReplyForm(request.POST)
    answer = inputs.from_form(form, ReplyIn)
    if answer is not None:
        try:
            change_requests.reply_change_request(principal, change_request, note=answer.note)
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Your answer was sent."))
    elif str(form.data.get("note", "")).strip():  # written, but refused (too long): say why
        messages.error(request, " ".join(map(str, form.errors["note"])))
    else:
        messages.error(request, _("Write your answer."))
    return redirect("subscriptions:admin_change_requests")


@requires(P.LICENSES_VIEW, portal="admin")
def admin_licences(request: HttpRequest) -> HttpResponse:
    principal = principal_of(request)
    pools = queries.all_pool_rows(principal)
    running_out = request.GET.get("running_out") == "1"
    if running_out:
        # The same question the admin center's home page counts, so the card and the list agree.
        short = set(queries.pools_running_out(principal.organization.pk).values_list("pk", flat=True))
        pools = [pool for pool in pools if pool["sku"]["pk"] in short]
    return render(request, "subscriptions/admin_licences.html", {"pools": pools, "running_out": running_out})


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _customer_users(request: HttpRequest) -> Any:
    return policy.visible(principal_of(request), User)


@requires(P.LICENSES_VIEW, portal="admin")
def admin_pool(request: HttpRequest, sku_id: str) -> HttpResponse:
    principal = principal_of(request)
    customer = principal.organization
    sku = policy.get_visible(principal, Sku.objects.select_related("product"), pk=sku_id)
    if request.method == "POST":
        principal.require(P.LICENSES_ASSIGN)
        user_ids = [u for u in request.POST.getlist("users") if _is_uuid(u)]
        users = list(_customer_users(request).filter(pk__in=user_ids)) if user_ids else []
        try:
            if not users:
                raise DomainError(_("Choose at least one user."), code="users_required")
            if request.POST.get("action") == "remove" and not confirmed(request):
                return confirmation(
                    request,
                    Confirmation(
                        title=_("Remove %(sku)s licences?") % {"sku": sku.name},
                        consequences=consequences.of_licence_removal(sku, [str(u) for u in users]),
                        button=_("Remove licences"),
                        back=request.get_full_path(),
                    ),
                )
            if request.POST.get("action") == "remove":
                removed = licences.remove_licences(principal, customer=customer, sku=sku, users=users)
                messages.success(
                    request, _("%(count)s licences removed.") % {"count": len(removed.assignments)}
                )
            else:
                assigned = licences.assign_licences(principal, customer=customer, sku=sku, users=users)
                messages.success(
                    request, _("%(count)s licences assigned.") % {"count": len(assigned.assignments)}
                )
        except DomainError as error:
            return _render_pool(request, sku, error=error.message, status=error.status)
        return redirect("subscriptions:admin_pool", sku_id=sku.pk)
    return _render_pool(request, sku)


def _render_pool(request: HttpRequest, sku: Sku, *, error: str = "", status: int = 200) -> HttpResponse:
    customer = principal_of(request).organization
    pool = next(
        (p for p in licences.pools(customer.pk) if p.sku.pk == sku.pk),
        licences.Pool(sku=sku, purchased=0, suspended=0, assigned=0),
    )
    holders = (
        policy.visible(principal_of(request), LicenseAssignment)
        .filter(customer=customer, sku=sku)
        .values_list("user_id", flat=True)
    )
    users = _customer_users(request)
    query = request.GET.get("q", "").strip()
    candidates = users.exclude(pk__in=holders)
    if query:
        candidates = candidates.filter(Q(display_name__icontains=query) | Q(email__icontains=query))
    return render(
        request,
        "subscriptions/admin_pool.html",
        {
            "pool": pool,
            "sku": sku,
            "assigned_users": users.filter(pk__in=holders).order_by("display_name", "id")[:500],
            "candidates": candidates.order_by("display_name", "id")[:200],
            "q": query,
            "error": error,
        },
        status=status,
    )


@requires(P.LICENSES_VIEW, portal="admin")
def admin_user_licences(request: HttpRequest, user_id: str) -> HttpResponse:
    """One user's licences, with a checkbox per SKU: the user page links here."""
    principal = principal_of(request)
    customer = principal.organization
    person = policy.get_visible(principal, User, pk=user_id)
    pools = licences.pools(customer.pk)
    held = set(
        policy.visible(principal, LicenseAssignment).filter(user=person).values_list("sku_id", flat=True)
    )
    error, status = "", 200
    if request.method == "POST":
        principal.require(P.LICENSES_ASSIGN)
        wanted = set(request.POST.getlist("skus"))
        losing = [p.sku for p in pools if str(p.sku.pk) not in wanted and p.sku.pk in held]
        if losing and not confirmed(request):
            return confirmation(
                request,
                Confirmation(
                    title=_("Remove licences from %(name)s?") % {"name": person.display_name},
                    consequences=[
                        line
                        for sku in losing
                        for line in consequences.of_licence_removal(sku, [person.display_name])
                    ],
                    button=_("Remove licences"),
                    back=request.get_full_path(),
                ),
            )
        try:
            licences.set_user_licences(principal, customer=customer, user=person, sku_ids=wanted)
        except DomainError as failure:
            error, status = failure.message, failure.status
        else:
            messages.success(
                request, _("The licences of %(name)s were saved.") % {"name": person.display_name}
            )
            return redirect("subscriptions:admin_user_licences", user_id=person.pk)
        pools = licences.pools(customer.pk)
        held = set(
            policy.visible(principal, LicenseAssignment).filter(user=person).values_list("sku_id", flat=True)
        )
    return render(
        request,
        "subscriptions/admin_user_licences.html",
        {"person": person, "pools": pools, "held": held, "error": error},
        status=status,
    )
