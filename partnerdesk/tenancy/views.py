"""Operator: partners. Partner center: customers and relationships. Admin center: partner relationships."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from partnerdesk import etags, inputs
from partnerdesk.access import policy
from partnerdesk.access.permissions import ROLE_LABELS, OrgKind, Permission, Role
from partnerdesk.access.principal import NoDelegatedAccess, delegated_principal, principal_of
from partnerdesk.access.web import ACTING_FOR_SESSION_KEY, requires, signed_in
from partnerdesk.confirm import Confirmation, confirmation, confirmed
from partnerdesk.errors import DomainError
from partnerdesk.mfa import policy as mfa_policy
from partnerdesk.mfa.models import Requirement
from partnerdesk.pagination import paginate
from partnerdesk.tenancy import forms, queries, services
from partnerdesk.tenancy.models import DelegatedRelationship, Organization

P = Permission


def _partners(request: HttpRequest) -> Any:
    return policy.visible(principal_of(request), Organization).filter(kind=OrgKind.PARTNER)


def _customers(request: HttpRequest) -> Any:
    return policy.visible(principal_of(request), Organization).filter(kind=OrgKind.CUSTOMER)


def _status(form: Any) -> int:
    return 400 if form.errors else 200


# --- Operator console: partners --------------------------------------------------------------


@requires(P.PARTNERS_VIEW, portal="operator")
def partner_list(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    status = request.GET.get("status", "")
    partners = _partners(request)
    if query:
        partners = partners.filter(name__icontains=query)
    if status in Organization.Status.values:
        partners = partners.filter(status=status)
    page = paginate(partners, ordering=["name", "id"], cursor=request.GET.get("cursor"), limit=50)
    return render(
        request,
        "tenancy/partner_list.html",
        {
            "page": page,
            "q": query,
            "status": status,
            "query_string": urlencode({"q": query, "status": status}),
        },
    )


@requires(P.PARTNERS_MANAGE, portal="operator")
def partner_create(request: HttpRequest) -> HttpResponse:
    form = forms.NewPartnerForm(request.POST or None)
    typed = inputs.from_form(form) if request.method == "POST" else None
    if typed is not None:
        try:
            new = services.create_partner(principal_of(request), typed)
        except DomainError as error:
            form.add_error("domain_prefix" if error.code in DOMAIN_ERRORS else None, error.message)
        else:
            return render(
                request,
                "accounts/temporary_password.html",
                {
                    "new_user": new.admin,
                    "portal": "operator",
                    "next_url": reverse("tenancy:partner_detail", args=[new.organization.pk]),
                },
            )
    return render(
        request, "tenancy/partner_form.html", {"form": form, "creating": True}, status=_status(form)
    )


@requires(P.PARTNERS_VIEW, portal="operator")
def partner_detail(request: HttpRequest, partner_id: str) -> HttpResponse:
    partner = policy.get_visible(principal_of(request), _partners(request), pk=partner_id)
    customers = partner.customers.order_by("name", "id")[:50]
    return render(
        request,
        "tenancy/partner_detail.html",
        {
            "partner": partner,
            "customers": customers,
            "customer_count": partner.customers.count(),
            "suspend_form": forms.SuspendForm(),
            "mfa_requirement": mfa_policy.requirement_of(partner),
            "mfa_choices": Requirement.choices,
            "mfa_action": reverse("tenancy:partner_mfa", args=[partner.pk]),
        },
    )


@require_POST
@requires(P.PARTNERS_MANAGE, portal="operator", fresh_mfa=True)
def partner_mfa(request: HttpRequest, partner_id: str) -> HttpResponse:
    """The operator relaxes or restores a partner's multi-factor requirement (audited)."""
    principal = principal_of(request)
    partner = policy.get_visible(principal, _partners(request), pk=partner_id)
    try:
        mfa_policy.set_partner_requirement(principal, partner, request.POST.get("requirement", ""))
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request, _("The multi-factor requirement of %(name)s was saved.") % {"name": partner}
        )
    return redirect("tenancy:partner_detail", partner.pk)


@requires(P.PARTNERS_MANAGE, portal="operator")
def partner_edit(request: HttpRequest, partner_id: str) -> HttpResponse:
    partner = policy.get_visible(principal_of(request), _partners(request), pk=partner_id)
    form = forms.PartnerForm(
        request.POST or None, initial={f: getattr(partner, f) for f in services.PARTNER_FIELDS}
    )
    patch = inputs.from_form(form) if request.method == "POST" else None
    if patch is not None:
        try:
            with etags.guarded(etags.posted(request), partner):
                services.update_partner(principal_of(request), partner, patch.model_dump(exclude_unset=True))
        except DomainError as error:
            form.add_error(None, error.message)
            return render(
                request,
                "tenancy/partner_form.html",
                {"form": form, "partner": partner},
                status=etags.page_status(error, _status(form)),
            )
        else:
            messages.success(request, _("The partner was saved."))
            return redirect("tenancy:partner_detail", partner_id=partner.pk)
    return render(
        request, "tenancy/partner_form.html", {"form": form, "partner": partner}, status=_status(form)
    )


@require_POST
@requires(P.PARTNERS_MANAGE, portal="operator")
def partner_suspend(request: HttpRequest, partner_id: str) -> HttpResponse:
    partner = policy.get_visible(principal_of(request), _partners(request), pk=partner_id)
    suspend = request.POST.get("suspended") == "1"
    form = forms.SuspendForm(request.POST)
    reason = form.data.get("reason", "")
    try:
        with etags.guarded(etags.posted(request), partner):
            services.set_partner_suspended(principal_of(request), partner, suspended=suspend, reason=reason)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request, _("The partner is suspended.") if suspend else _("The partner is active again.")
        )
    return redirect("tenancy:partner_detail", partner_id=partner.pk)


# --- Partner center: customers ---------------------------------------------------------------


@requires(P.CUSTOMERS_VIEW, portal="partner")
def customer_list(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    customers = _customers(request)
    if query:
        customers = customers.filter(Q(name__icontains=query) | Q(initial_domain__icontains=query))
    page = paginate(customers, ordering=["name", "id"], cursor=request.GET.get("cursor"), limit=50)
    return render(
        request,
        "tenancy/customer_list.html",
        {"page": page, "q": query, "query_string": urlencode({"q": query})},
    )


DOMAIN_ERRORS = {"invalid_domain_prefix", "domain_taken"}


@requires(P.CUSTOMERS_CREATE, portal="partner")
def customer_create(request: HttpRequest) -> HttpResponse:
    principal = principal_of(request)
    with_billing = principal.has(P.CUSTOMERS_BILLING)
    form = forms.NewCustomerForm(request.POST or None, with_billing=with_billing)
    typed = inputs.from_form(form) if request.method == "POST" else None
    if typed is not None:
        try:
            new = services.create_customer(principal, typed)
        except DomainError as error:
            form.add_error("domain_prefix" if error.code in DOMAIN_ERRORS else None, error.message)
        else:
            return render(
                request,
                "accounts/temporary_password.html",
                {
                    "new_user": new.admin,
                    "portal": "partner",
                    # Next in the add-customer flow: its first subscription (or its page, for roles
                    # that cannot sell).
                    "next_url": reverse(
                        "subscriptions:subscription_create"
                        if principal.has(P.SUBSCRIPTIONS_CHANGE)
                        else "tenancy:customer_detail",
                        args=[new.organization.pk],
                    ),
                },
            )
    return render(
        request, "tenancy/customer_form.html", {"form": form, "creating": True}, status=_status(form)
    )


@requires(P.CUSTOMERS_VIEW, portal="partner")
def customer_detail(request: HttpRequest, customer_id: str) -> HttpResponse:
    principal = principal_of(request)
    customer = policy.get_visible(principal, _customers(request), pk=customer_id)
    relationships = (
        policy.visible(principal, DelegatedRelationship).filter(customer=customer).order_by("-requested_at")
    )
    return render(
        request,
        "tenancy/customer_detail.html",
        {
            "customer": customer,
            "relationships": relationships[:20],
            "can_administer": principal.has(P.DELEGATED_ADMINISTER)
            and any(r.is_active for r in relationships[:20]),
            "show_billing": principal.has(P.CUSTOMERS_BILLING),
        },
    )


@requires(P.CUSTOMERS_VIEW, portal="partner")
def customer_edit(request: HttpRequest, customer_id: str) -> HttpResponse:
    principal = principal_of(request)
    customer = policy.get_visible(principal, _customers(request), pk=customer_id)
    if not (principal.has(P.CUSTOMERS_EDIT) or principal.has(P.CUSTOMERS_BILLING)):
        principal.require(P.CUSTOMERS_EDIT)
    with_billing = principal.has(P.CUSTOMERS_BILLING)
    fields = (services.CUSTOMER_FIELDS if principal.has(P.CUSTOMERS_EDIT) else []) + (
        services.BILLING_FIELDS if with_billing else []
    )
    form = forms.CustomerForm(
        request.POST or None, with_billing=with_billing, initial={f: getattr(customer, f) for f in fields}
    )
    if not principal.has(P.CUSTOMERS_EDIT):
        for name in services.CUSTOMER_FIELDS:
            form.fields.pop(name, None)
    patch = inputs.from_form(form) if request.method == "POST" else None
    if patch is not None:
        try:
            with etags.guarded(etags.posted(request), customer):
                services.update_customer(principal, customer, patch)
        except DomainError as error:
            form.add_error(None, error.message)
            return render(
                request,
                "tenancy/customer_form.html",
                {"form": form, "customer": customer},
                status=etags.page_status(error, _status(form)),
            )
        else:
            messages.success(request, _("The customer was saved."))
            return redirect("tenancy:customer_detail", customer_id=customer.pk)
    return render(
        request, "tenancy/customer_form.html", {"form": form, "customer": customer}, status=_status(form)
    )


@requires(P.RELATIONSHIPS_REQUEST, portal="partner", fresh_mfa=True)
def relationship_request(request: HttpRequest, customer_id: str) -> HttpResponse:
    principal = principal_of(request)
    customer = policy.get_visible(principal, _customers(request), pk=customer_id)
    form = forms.RelationshipRequestForm(request.POST or None)
    asked = inputs.from_form(form) if request.method == "POST" else None
    if asked is not None:
        try:
            services.request_relationship(
                principal, customer, name=asked.name, roles=asked.roles, duration_days=asked.duration_days
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(
                request,
                _(
                    "The request was sent. A global admin of %(customer)s must accept it "
                    "in their admin center."
                )
                % {"customer": customer.name},
            )
            return redirect("tenancy:customer_detail", customer_id=customer.pk)
    return render(
        request, "tenancy/relationship_form.html", {"form": form, "customer": customer}, status=_status(form)
    )


@requires(P.RELATIONSHIPS_VIEW, portal="partner")
def partner_relationships(request: HttpRequest) -> HttpResponse:
    relationships = policy.visible(principal_of(request), DelegatedRelationship).select_related("customer")
    return _relationship_list(request, relationships, side="partner")


def _ending(relationship: DelegatedRelationship, *, back: str, partner_side: bool) -> Confirmation:
    """What ending delegated access does, said to the side that ends it."""
    roles = ", ".join(sorted(str(ROLE_LABELS[role]) for role in Role if role.value in relationship.roles))
    if partner_side:
        lines = [
            _(
                "Your agents lose their delegated access (%(roles)s) to %(customer)s at once and can no "
                "longer act in its admin center."
            )
            % {"roles": roles, "customer": relationship.customer.name},
            _("To work for %(customer)s again, you must send a new request and they must accept it.")
            % {"customer": relationship.customer.name},
        ]
    else:
        lines = [
            _(
                "%(partner)s loses its delegated access (%(roles)s) to your organization at once; its "
                "agents can no longer act in your admin center."
            )
            % {"roles": roles, "partner": relationship.partner.name},
            _("%(partner)s stays your partner for subscriptions and support.")
            % {"partner": relationship.partner.name},
        ]
    return Confirmation(
        title=_("End delegated access “%(name)s”?") % {"name": relationship.name},
        consequences=lines,
        button=_("End delegated access"),
        back=back,
    )


@require_POST
@requires(P.RELATIONSHIPS_REQUEST, portal="partner", fresh_mfa=True)
def partner_relationship_end(request: HttpRequest, relationship_id: str) -> HttpResponse:
    principal = principal_of(request)
    relationship = policy.get_visible(principal, DelegatedRelationship, pk=relationship_id)
    if not confirmed(request):
        return confirmation(
            request, _ending(relationship, back=reverse("tenancy:partner_relationships"), partner_side=True)
        )
    try:
        services.end_relationship(principal, relationship)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Delegated access ended."))
    return redirect("tenancy:partner_relationships")


@require_POST
@signed_in
def switch_organization(request: HttpRequest) -> HttpResponse:
    """Enter a customer's admin center through delegated access, or go back to your own organization."""
    principal = principal_of(request)
    target = request.POST.get("organization", "")
    if not target:
        request.session.pop(ACTING_FOR_SESSION_KEY, None)
        return redirect("portals:home")
    try:
        delegated_principal(principal, target)
    except NoDelegatedAccess as error:
        messages.error(request, error.message)
        return redirect("portals:home")
    request.session[ACTING_FOR_SESSION_KEY] = target
    return redirect("portals:admin_dashboard")


# --- Admin center: partner relationships -----------------------------------------------------


@requires(P.RELATIONSHIPS_VIEW, portal="admin")
def admin_relationships(request: HttpRequest) -> HttpResponse:
    relationships = policy.visible(principal_of(request), DelegatedRelationship).select_related("partner")
    return _relationship_list(request, relationships, side="customer")


RELATIONSHIP_FILTERS = ("status", "expires_within")


def _relationship_list(request: HttpRequest, relationships: Any, *, side: str) -> HttpResponse:
    """Either side's list of relationships, filtered by `?status=` and `?expires_within=` (days)."""
    filters = {name: request.GET.get(name, "").strip() for name in RELATIONSHIP_FILTERS}
    relationships = queries.filter_relationships(relationships, filters)
    page = paginate(
        relationships, ordering=["-requested_at", "-id"], cursor=request.GET.get("cursor"), limit=50
    )
    return render(
        request,
        "tenancy/relationship_list.html",
        {
            "page": page,
            "side": side,
            "filtered": any(filters.values()),
            "query_string": urlencode({k: v for k, v in filters.items() if v}),
        },
    )


@require_POST
@requires(P.RELATIONSHIPS_MANAGE, portal="admin", fresh_mfa=True)
def admin_relationship_decide(request: HttpRequest, relationship_id: str, decision: str) -> HttpResponse:
    principal = principal_of(request)
    relationship = policy.get_visible(principal, DelegatedRelationship, pk=relationship_id)
    transition = {
        "accept": (services.accept_relationship, _("You accepted the request from %(partner)s.")),
        "decline": (services.decline_relationship, _("You declined the request from %(partner)s.")),
        "end": (services.end_relationship, _("Delegated access for %(partner)s ended.")),
    }
    if decision not in transition:
        raise DomainError(_("Unknown action."), status=404, code="not_found")
    if decision == "end" and not confirmed(request):
        return confirmation(
            request, _ending(relationship, back=reverse("tenancy:admin_relationships"), partner_side=False)
        )
    function, message = transition[decision]
    try:
        function(principal, relationship)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, message % {"partner": relationship.partner.name})
    return redirect("tenancy:admin_relationships")
