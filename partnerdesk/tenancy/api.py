"""API: partners, customers and delegated relationships."""

import uuid
from datetime import datetime
from typing import Any

from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from ninja import Router, Status
from pydantic import Field

from partnerdesk import etags
from partnerdesk.access import policy
from partnerdesk.access.permissions import OrgKind, Permission
from partnerdesk.access.principal import Principal
from partnerdesk.api import ERRORS, ErrorOut, OrgRef, Out, PageOut, principal_of, requires
from partnerdesk.pagination import paginate
from partnerdesk.tenancy import services
from partnerdesk.tenancy.inputs import (
    BillingProfile,
    CustomerIn,
    CustomerPatch,
    PartnerIn,
    PartnerPatch,
    RelationshipIn,
)
from partnerdesk.tenancy.models import DelegatedRelationship, Organization

router = Router(tags=["organizations"])


class AdminOut(Out):
    email: str
    temporary_password: str


class PartnerOut(Out):
    id: uuid.UUID
    name: str
    status: str
    suspension_reason: str
    contact_email: str
    phone: str
    website: str
    country: str
    address: str
    created_at: datetime


class PartnerCreatedOut(PartnerOut):
    admin: AdminOut


class CustomerOut(Out):
    id: uuid.UUID
    name: str
    partner: OrgRef
    initial_domain: str
    contact_email: str
    phone: str
    country: str
    address: str
    language: str
    time_zone: str
    created_at: datetime
    billing: BillingProfile | None = Field(
        description="Present only for callers allowed to see the billing profile (customers.billing)."
    )


class CustomerCreatedOut(CustomerOut):
    admin: AdminOut


class RelationshipOut(Out):
    id: uuid.UUID
    name: str
    partner: OrgRef
    customer: OrgRef
    roles: list[str]
    duration_days: int
    status: str = Field(description="pending, active, expired, declined or ended")
    requested_at: datetime
    decided_at: datetime | None
    expires_at: datetime | None
    ended_at: datetime | None


def _partner_out(partner: Organization) -> dict[str, Any]:
    return PartnerOut.model_validate(partner, from_attributes=True).model_dump()


def _customer_out(principal: Principal, customer: Organization) -> dict[str, Any]:
    data = {
        **{f: getattr(customer, f) for f in ["id", "name", "initial_domain", *services.CUSTOMER_FIELDS[1:]]},
        "created_at": customer.created_at,
        "partner": {"id": customer.partner_id, "name": customer.partner.name if customer.partner else ""},
        "billing": None,
    }
    if principal.has(Permission.CUSTOMERS_BILLING):
        data["billing"] = {f: getattr(customer, f) for f in services.BILLING_FIELDS}
    return data


def _relationship_out(relationship: DelegatedRelationship) -> dict[str, Any]:
    status = relationship.status
    if status == DelegatedRelationship.Status.ACTIVE and not relationship.is_active:
        status = "expired"
    return {
        "id": relationship.id,
        "name": relationship.name,
        "partner": {"id": relationship.partner.id, "name": relationship.partner.name},
        "customer": {"id": relationship.customer.id, "name": relationship.customer.name},
        "roles": relationship.roles,
        "duration_days": relationship.duration_days,
        "status": status,
        "requested_at": relationship.requested_at,
        "decided_at": relationship.decided_at,
        "expires_at": relationship.expires_at,
        "ended_at": relationship.ended_at,
    }


def _partners(principal: Principal) -> Any:
    return policy.visible(principal, Organization).filter(kind=OrgKind.PARTNER)


def _customers(principal: Principal) -> Any:
    return policy.visible(principal, Organization).filter(kind=OrgKind.CUSTOMER).select_related("partner")


# --- Partners (operator console) -------------------------------------------------------------


@router.get("/partners", response=PageOut[PartnerOut], summary="List partners")
@requires(Permission.PARTNERS_VIEW)
def list_partners(
    request: HttpRequest, q: str = "", status: str = "", limit: int | None = None, cursor: str | None = None
) -> dict[str, Any]:
    queryset = _partners(principal_of(request))
    if q:
        queryset = queryset.filter(name__icontains=q)
    if status:
        queryset = queryset.filter(status=status)
    return paginate(queryset, ordering=["name", "id"], cursor=cursor, limit=limit).answer(_partner_out)


@router.post(
    "/partners", response={201: PartnerCreatedOut, **ERRORS}, summary="Create a partner and its first admin"
)
@requires(Permission.PARTNERS_MANAGE)
def create_partner(request: HttpRequest, payload: PartnerIn) -> Status:
    new = services.create_partner(principal_of(request), payload)
    return Status(
        201,
        {
            **_partner_out(new.organization),
            "admin": {"email": new.admin.user.email, "temporary_password": new.admin.temporary_password},
        },
    )


@router.get("/partners/{partner_id}", response={200: PartnerOut, 404: ErrorOut}, summary="One partner")
@requires(Permission.PARTNERS_VIEW)
def get_partner(request: HttpRequest, partner_id: str, response: HttpResponse) -> Organization:
    partner = policy.get_visible(principal_of(request), _partners(principal_of(request)), pk=partner_id)
    etags.tag(response, partner)
    return partner


@router.patch(
    "/partners/{partner_id}", response={200: PartnerOut, **ERRORS}, summary="Edit, suspend or reactivate"
)
@requires(Permission.PARTNERS_MANAGE)
def patch_partner(
    request: HttpRequest, partner_id: str, payload: PartnerPatch, response: HttpResponse
) -> Organization:
    principal = principal_of(request)
    partner = policy.get_visible(principal, _partners(principal), pk=partner_id)
    changes = payload.model_dump(exclude_unset=True, exclude={"status", "suspension_reason"})
    with etags.guarded(etags.if_match(request), partner):
        if changes:
            partner = services.update_partner(principal, partner, changes)
        if payload.status is not None and payload.status != partner.status:
            partner = services.set_partner_suspended(
                principal, partner, suspended=payload.status == "suspended", reason=payload.suspension_reason
            )
    fresh = policy.get_visible(principal, _partners(principal), pk=partner_id)
    etags.tag(response, fresh)
    return fresh


# --- Customers (partner center) --------------------------------------------------------------


@router.get("/customers", response=PageOut[CustomerOut], summary="List and search customers")
@requires(Permission.CUSTOMERS_VIEW)
def list_customers(
    request: HttpRequest, q: str = "", limit: int | None = None, cursor: str | None = None
) -> dict[str, Any]:
    principal = principal_of(request)
    queryset = _customers(principal)
    if q:
        queryset = queryset.filter(Q(name__icontains=q) | Q(initial_domain__icontains=q))
    return paginate(queryset, ordering=["name", "id"], cursor=cursor, limit=limit).answer(
        lambda c: _customer_out(principal, c)
    )


@router.post(
    "/customers",
    response={201: CustomerCreatedOut, **ERRORS},
    summary="Create a customer and its first global admin",
)
@requires(Permission.CUSTOMERS_CREATE)
def create_customer(request: HttpRequest, payload: CustomerIn) -> Status:
    principal = principal_of(request)
    new = services.create_customer(principal, payload)
    return Status(
        201,
        {
            **_customer_out(principal, new.organization),
            "admin": {"email": new.admin.user.email, "temporary_password": new.admin.temporary_password},
        },
    )


@router.get("/customers/{customer_id}", response={200: CustomerOut, 404: ErrorOut}, summary="One customer")
@requires(Permission.CUSTOMERS_VIEW)
def get_customer(request: HttpRequest, customer_id: str, response: HttpResponse) -> dict[str, Any]:
    principal = principal_of(request)
    customer = policy.get_visible(principal, _customers(principal), pk=customer_id)
    etags.tag(response, customer)
    return _customer_out(principal, customer)


@router.patch("/customers/{customer_id}", response={200: CustomerOut, **ERRORS}, summary="Edit a customer")
@requires(Permission.CUSTOMERS_VIEW)
def patch_customer(
    request: HttpRequest, customer_id: str, payload: CustomerPatch, response: HttpResponse
) -> dict[str, Any]:
    principal = principal_of(request)
    customer = policy.get_visible(principal, _customers(principal), pk=customer_id)
    with etags.guarded(etags.if_match(request), customer):
        services.update_customer(principal, customer, payload)
    fresh = policy.get_visible(principal, _customers(principal), pk=customer_id)
    etags.tag(response, fresh)
    return _customer_out(principal, fresh)


# --- Delegated relationships -----------------------------------------------------------------


@router.post(
    "/customers/{customer_id}/relationship-requests",
    response={201: RelationshipOut, **ERRORS},
    summary="Ask a customer for delegated admin roles",
)
@requires(Permission.RELATIONSHIPS_REQUEST, fresh_mfa=True)
def request_relationship(request: HttpRequest, customer_id: str, payload: RelationshipIn) -> Status:
    principal = principal_of(request)
    customer = policy.get_visible(principal, _customers(principal), pk=customer_id)
    relationship = services.request_relationship(
        principal, customer, name=payload.name, roles=payload.roles, duration_days=payload.duration_days
    )
    return Status(201, _relationship_out(relationship))


def _relationships(principal: Principal) -> Any:
    return policy.visible(principal, DelegatedRelationship).select_related("partner", "customer")


@router.get(
    "/relationships", response=PageOut[RelationshipOut], summary="Delegated relationships you are part of"
)
@requires(Permission.RELATIONSHIPS_VIEW)
def list_relationships(
    request: HttpRequest, status: str = "", limit: int | None = None, cursor: str | None = None
) -> dict[str, Any]:
    principal = principal_of(request)
    queryset = _relationships(principal)
    if status:
        queryset = queryset.filter(status=status)
    return paginate(queryset, ordering=["-requested_at", "-id"], cursor=cursor, limit=limit).answer(
        _relationship_out
    )


@router.get(
    "/relationships/{relationship_id}",
    response={200: RelationshipOut, 404: ErrorOut},
    summary="One relationship",
)
@requires(Permission.RELATIONSHIPS_VIEW)
def get_relationship(request: HttpRequest, relationship_id: str) -> dict[str, Any]:
    principal = principal_of(request)
    return _relationship_out(policy.get_visible(principal, _relationships(principal), pk=relationship_id))


def _act(request: HttpRequest, relationship_id: str, action: str) -> dict[str, Any]:
    principal = principal_of(request)
    relationship = policy.get_visible(principal, _relationships(principal), pk=relationship_id)
    transition = {
        "accept": services.accept_relationship,
        "decline": services.decline_relationship,
        "end": services.end_relationship,
    }[action]
    return _relationship_out(transition(principal, relationship))


@router.post(
    "/relationships/{relationship_id}/accept",
    response={200: RelationshipOut, **ERRORS},
    summary="Accept (customer global admin)",
)
@requires(Permission.RELATIONSHIPS_MANAGE, fresh_mfa=True)
def accept_relationship(request: HttpRequest, relationship_id: str) -> dict[str, Any]:
    return _act(request, relationship_id, "accept")


@router.post(
    "/relationships/{relationship_id}/decline",
    response={200: RelationshipOut, **ERRORS},
    summary="Decline (customer global admin)",
)
@requires(Permission.RELATIONSHIPS_MANAGE, fresh_mfa=True)
def decline_relationship(request: HttpRequest, relationship_id: str) -> dict[str, Any]:
    return _act(request, relationship_id, "decline")


@router.post(
    "/relationships/{relationship_id}/end",
    response={200: RelationshipOut, **ERRORS},
    summary="End delegated access (customer or partner)",
)
@requires(Permission.RELATIONSHIPS_VIEW, fresh_mfa=True)
def end_relationship(request: HttpRequest, relationship_id: str) -> dict[str, Any]:
    return _act(request, relationship_id, "end")
