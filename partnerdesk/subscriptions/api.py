"""API: subscriptions (partner), change requests (customer to partner), licences, entitlement checks.

Every operation that changes a subscription requires the rule `subscriptions.rules.CHANGE`: a
customer (or a partner agent acting in the admin center) gets 403 `subscription_change_not_allowed` naming its
partner, and the attempt is audited. Creates accept `Idempotency-Key`; PATCH honours `If-Match`.
"""

import contextlib
import dataclasses
import uuid
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal, TypeVar

from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from ninja.security import HttpBearer
from pydantic import Field

from partnerdesk import etags
from partnerdesk.access import policy
from partnerdesk.access.permissions import OrgKind, Permission, TokenScope
from partnerdesk.access.principal import Principal
from partnerdesk.accounts.models import User
from partnerdesk.api import ERRORS, ErrorOut, OAuth2, OrgRef, Out, PageOut, principal_of, requires
from partnerdesk.catalog.models import Offer, Sku
from partnerdesk.errors import NotFound
from partnerdesk.pagination import paginate
from partnerdesk.subscriptions import change_requests, entitlements, licences, lifecycle, queries, seats
from partnerdesk.subscriptions import rules as subscription_rules
from partnerdesk.subscriptions.inputs import ChangeRequestIn, ReplyIn, SubscriptionIn
from partnerdesk.subscriptions.models import ChangeRequest, ServiceCredential, Subscription
from partnerdesk.tenancy.models import Organization

router = Router(tags=["subscriptions"])

F = TypeVar("F", bound=Callable[..., Any])


# --- Schemas ---------------------------------------------------------------------------------


class OfferRef(Out):
    id: uuid.UUID
    name: str
    sku_id: uuid.UUID
    sku_name: str
    term: str


class ScheduledChangeOut(Out):
    id: uuid.UUID
    quantity: int
    status: str
    invalid_reason: str = Field(description="Why it no longer applies, in your language.")
    created_at: datetime


class LotOut(Out):
    kind: str
    quantity: int
    remaining: int
    refundable_until: datetime
    created_at: datetime


class RemovableOut(Out):
    seats: int = Field(description="Seats that can be removed now, with a refund")
    until: datetime | None = Field(description="When the earliest of those seats stops being refundable")


class SubscriptionOut(Out):
    id: uuid.UUID
    customer: OrgRef
    partner: OrgRef
    offer: OfferRef
    quantity: int
    status: str
    suspension_reason: str
    term_start: datetime
    term_end: datetime
    unit_price: Decimal
    currency: str
    auto_renew: bool
    friendly_name: str
    base_id: uuid.UUID | None
    upgraded_from_id: uuid.UUID | None
    etag: str


class SubscriptionDetailOut(SubscriptionOut):
    removable_now: RemovableOut
    cancel_until: datetime
    lots: list[LotOut]
    scheduled_changes: list[ScheduledChangeOut]


class SubscriptionPatch(Schema):
    quantity: int | None = Field(default=None, ge=1)
    status: Literal["active", "suspended", "cancelled"] | None = None
    suspension_reason: Literal["non_payment", "fraud", "customer_request"] | None = None
    auto_renew: bool | None = None
    friendly_name: str | None = Field(default=None, max_length=200)


class UpgradeTargetOut(Out):
    offer: OfferRef
    eligible: bool
    reason: str


class UpgradeIn(Schema):
    offer_id: uuid.UUID


class ChangeRequestOut(Out):
    id: uuid.UUID
    subscription_id: uuid.UUID
    subscription_name: str
    customer: OrgRef
    partner: OrgRef
    type: str
    seats: int | None = Field(description="More or fewer seats: the new total asked for.")
    quantity: int | None = Field(description="The difference in seats from the quantity when asked.")
    target_sku_id: uuid.UUID | None
    note: str
    status: str
    response: str
    created_at: datetime
    decided_at: datetime | None


class ChangePreviewOut(Out):
    """What a change request does if approved now (`change_requests.Preview`)."""

    seats_before: int
    seats_after: int
    unit_price: Decimal
    price_after: Decimal = Field(description="The price per billing period after the change.")
    currency: str
    billing_cycle: str
    consequence: str = Field(description="What happens, in words: refunds, renewal, data deletion.")
    applicable: bool
    problem: str = Field(description='Why approval would be refused now, or "".')


def _preview_out(preview: change_requests.Preview) -> dict[str, Any]:
    return {**dataclasses.asdict(preview), "applicable": preview.applicable}


class ResponseIn(Schema):
    response: str = Field(default="", max_length=4000)


class ReasonIn(Schema):
    reason: str = Field(min_length=1, max_length=4000)


class QuestionIn(Schema):
    question: str = Field(min_length=1, max_length=4000)


class PoolOut(Out):
    sku_id: uuid.UUID
    sku_name: str
    product_name: str
    purchased: int
    suspended: int
    assigned: int
    available: int
    over_assigned: int


class LicencesIn(Schema):
    sku_id: uuid.UUID
    user_ids: list[uuid.UUID] = Field(min_length=1, max_length=500)


class LicencesOut(Out):
    pool: PoolOut
    changed: int


class EntitlementOut(Out):
    allowed: bool
    reason: str
    user_id: uuid.UUID | None
    service: str


class CredentialIn(Schema):
    name: str = Field(min_length=1, max_length=100)


class CredentialOut(Out):
    id: uuid.UUID
    name: str
    prefix: str
    secret: str = Field(description="Shown once; send it as `Authorization: Bearer <secret>`")


# --- Helpers ---------------------------------------------------------------------------------


def _offer_ref(offer: Offer) -> dict[str, Any]:
    return {
        "id": offer.pk,
        "name": offer.name,
        "sku_id": offer.sku_id,
        "sku_name": offer.sku.name,
        "term": offer.term,
    }


def _subscription_out(subscription: Subscription) -> dict[str, Any]:
    return {
        **{
            f: getattr(subscription, f)
            for f in [
                "id",
                "quantity",
                "status",
                "suspension_reason",
                "term_start",
                "term_end",
                "unit_price",
                "currency",
                "auto_renew",
                "friendly_name",
                "base_id",
                "upgraded_from_id",
                "etag",
            ]
        },
        "customer": {"id": subscription.customer_id, "name": subscription.customer.name},
        "partner": {"id": subscription.partner_id, "name": subscription.partner.name},
        "offer": _offer_ref(subscription.offer),
    }


def _detail_out(subscription: Subscription) -> dict[str, Any]:
    removable = seats.removable_now(subscription)
    return {
        **_subscription_out(subscription),
        "removable_now": {"seats": removable.seats, "until": removable.until},
        "cancel_until": lifecycle.cancel_deadline(subscription),
        "lots": list(subscription.lots.order_by("-created_at").values(*LotOut.model_fields)),
        "scheduled_changes": [
            {
                "id": change.id,
                "quantity": change.quantity,
                "status": change.status,
                "invalid_reason": change.reason_text,
                "created_at": change.created_at,
            }
            for change in subscription.scheduled_changes.order_by("-created_at")
        ],
    }


def _subscriptions(principal: Principal) -> Any:
    return policy.visible(principal, Subscription).select_related(
        "customer", "partner", "offer", "offer__sku", "offer__policy"
    )


def _get(request: HttpRequest, subscription_id: Any) -> Subscription:
    principal = principal_of(request)
    return policy.get_visible(principal, _subscriptions(principal), pk=subscription_id)


def _change_request_out(change_request: ChangeRequest) -> dict[str, Any]:
    return {
        **{
            f: getattr(change_request, f)
            for f in [
                "id",
                "subscription_id",
                "seats",
                "quantity",
                "target_sku_id",
                "note",
                "status",
                "response",
                "created_at",
                "decided_at",
            ]
        },
        "type": change_request.kind,
        "subscription_name": str(change_request.subscription),
        "customer": {"id": change_request.customer_id, "name": change_request.customer.name},
        "partner": {"id": change_request.partner_id, "name": change_request.partner.name},
    }


def _change_requests(principal: Principal) -> Any:
    return policy.visible(principal, ChangeRequest).select_related(
        "subscription", "subscription__offer", "customer", "partner"
    )


def _pool_out(pool: licences.Pool) -> dict[str, Any]:
    return {
        "sku_id": pool.sku.pk,
        "sku_name": pool.sku.name,
        "product_name": pool.sku.product.name,
        "purchased": pool.purchased,
        "suspended": pool.suspended,
        "assigned": pool.assigned,
        "available": pool.available,
        "over_assigned": pool.over_assigned,
    }


def _pool_row_out(row: dict[str, Any]) -> dict[str, Any]:
    """`_pool_out` of a pool row (`queries.pool_rows`)."""
    sku = row["sku"]
    return {
        "sku_id": sku["pk"],
        "sku_name": sku["name"],
        "product_name": sku["product"]["name"],
        **{f: row[f] for f in ("purchased", "suspended", "assigned", "available", "over_assigned")},
    }


# --- Subscriptions (partner center) ----------------------------------------------------------


@router.get(
    "/customers/{customer_id}/subscriptions",
    response={200: PageOut[SubscriptionOut], 404: ErrorOut},
    summary="A customer's subscriptions",
)
@requires(Permission.SUBSCRIPTIONS_VIEW)
def list_subscriptions(
    request: HttpRequest,
    customer_id: str,
    status: str = "",
    limit: int | None = None,
    cursor: str | None = None,
) -> Any:
    principal = principal_of(request)
    customer = policy.get_visible(
        principal, Organization.objects.filter(kind=OrgKind.CUSTOMER), pk=customer_id
    )
    queryset = _subscriptions(principal).filter(customer=customer)
    if status:
        queryset = queryset.filter(status=status)
    return paginate(queryset, ordering=["-created_at", "-id"], cursor=cursor, limit=limit).answer(
        _subscription_out
    )


@router.post(
    "/customers/{customer_id}/subscriptions",
    response={201: SubscriptionDetailOut, **ERRORS},
    summary="Buy an offer for a customer (partner)",
)
@requires(subscription_rules.CHANGE)
def create_subscription(request: HttpRequest, customer_id: str, payload: SubscriptionIn) -> Status:
    principal = principal_of(request)
    customer = policy.get_visible(
        principal, Organization.objects.filter(kind=OrgKind.CUSTOMER), pk=customer_id
    )
    offer = policy.get_visible(principal, Offer.objects.select_related("sku"), pk=payload.offer_id)
    base = _get(request, payload.base_subscription_id) if payload.base_subscription_id else None

    subscription = lifecycle.create_subscription(
        principal,
        customer=customer,
        offer=offer,
        quantity=payload.quantity,
        friendly_name=payload.friendly_name,
        base=base,
    )
    return Status(201, _detail_out(_get(request, subscription.pk)))


@router.get(
    "/subscriptions/{subscription_id}",
    response={200: SubscriptionDetailOut, 404: ErrorOut},
    summary="One subscription",
)
@requires(Permission.SUBSCRIPTIONS_VIEW)
def get_subscription(request: HttpRequest, subscription_id: str, response: HttpResponse) -> Any:
    subscription = _get(request, subscription_id)
    response["ETag"] = subscription.etag
    return _detail_out(subscription)


@router.patch(
    "/subscriptions/{subscription_id}",
    response={200: SubscriptionDetailOut, 412: ErrorOut, **ERRORS},
    summary="Change quantity, status (suspend, reactivate, cancel), auto-renew or friendly name",
)
@requires(subscription_rules.CHANGE)
def patch_subscription(
    request: HttpRequest, subscription_id: str, payload: SubscriptionPatch, response: HttpResponse
) -> Any:
    principal = principal_of(request)
    subscription = _get(request, subscription_id)
    etag = etags.if_match(request)

    def compute() -> Any:
        nonlocal subscription, etag
        # A PATCH that changes nothing still answers 412 to a stale If-Match.
        with etags.guarded(etag, subscription):
            settings_changes = payload.model_dump(include={"auto_renew", "friendly_name"}, exclude_none=True)
            if settings_changes:
                subscription = lifecycle.update_settings(
                    principal, subscription, settings_changes, expected_etag=etag
                )
                etag = subscription.etag
            if payload.quantity is not None:
                subscription = seats.change_quantity(
                    principal, subscription, payload.quantity, expected_etag=etag
                ).subscription
                etag = subscription.etag
            if payload.status is not None and payload.status != subscription.status:
                if payload.status == "suspended":
                    subscription = lifecycle.suspend(
                        principal, subscription, reason=payload.suspension_reason or "", expected_etag=etag
                    )
                elif payload.status == "active":
                    subscription = lifecycle.reactivate(principal, subscription, expected_etag=etag)
                else:
                    subscription = lifecycle.cancel(principal, subscription, expected_etag=etag)
        fresh = _get(request, subscription.pk)
        response["ETag"] = fresh.etag
        return _detail_out(fresh)

    return compute()


@router.get(
    "/subscriptions/{subscription_id}/upgrades",
    response={200: PageOut[UpgradeTargetOut], 400: ErrorOut, 404: ErrorOut},
    summary="Upgrade offers, each with the reason it is not eligible",
)
@requires(Permission.SUBSCRIPTIONS_VIEW)
def list_upgrades(
    request: HttpRequest, subscription_id: str, cursor: str | None = None, limit: int | None = None
) -> Any:
    subscription = _get(request, subscription_id)
    page = paginate(
        lifecycle.upgrade_offers(subscription),
        ordering=lifecycle.UPGRADE_ORDERING,
        cursor=cursor,
        limit=limit,
    )
    targets = lifecycle.upgrade_targets(subscription, offers=page.items)
    return {
        "items": [
            {"offer": _offer_ref(t.offer), "eligible": t.eligible, "reason": t.reason} for t in targets
        ],
        "next_cursor": page.next_cursor,
    }


@router.post(
    "/subscriptions/{subscription_id}/upgrade",
    response={201: SubscriptionDetailOut, **ERRORS},
    summary="Upgrade to an eligible offer (returns the new subscription)",
)
@requires(subscription_rules.CHANGE)
def upgrade_subscription(request: HttpRequest, subscription_id: str, payload: UpgradeIn) -> Status:
    principal = principal_of(request)
    subscription = _get(request, subscription_id)
    target = policy.get_visible(principal, Offer, pk=payload.offer_id)

    new = lifecycle.upgrade(principal, subscription, target)
    return Status(201, _detail_out(_get(request, new.pk)))


# --- Change requests -------------------------------------------------------------------------


@router.get(
    "/change-requests", response=PageOut[ChangeRequestOut], summary="Change requests you sent or received"
)
@requires(Permission.SUBSCRIPTIONS_VIEW)
def list_change_requests(
    request: HttpRequest, status: str = "", limit: int | None = None, cursor: str | None = None
) -> Any:
    queryset = _change_requests(principal_of(request))
    if status:
        queryset = queryset.filter(status=status)
    return paginate(queryset, ordering=["-created_at", "-id"], cursor=cursor, limit=limit).answer(
        _change_request_out
    )


@router.post(
    "/change-requests",
    response={201: ChangeRequestOut, **ERRORS},
    summary="Ask the partner to change a subscription (customer admin)",
)
@requires(Permission.SUBSCRIPTIONS_REQUEST_CHANGE)
def create_change_request(request: HttpRequest, payload: ChangeRequestIn) -> Status:
    principal = principal_of(request)
    subscription = _get(request, payload.subscription_id)
    target_sku = (
        policy.get_visible(principal, Sku, pk=payload.target_sku_id) if payload.target_sku_id else None
    )

    change_request = change_requests.request_change(
        principal,
        subscription,
        kind=payload.type,
        seats=payload.seats,
        quantity=payload.quantity,
        target_sku=target_sku,
        note=payload.note,
    )
    return Status(201, _change_request_out(_change_requests(principal).get(pk=change_request.pk)))


@router.get(
    "/change-requests/{request_id}",
    response={200: ChangeRequestOut, 404: ErrorOut},
    summary="One change request",
)
@requires(Permission.SUBSCRIPTIONS_VIEW)
def get_change_request(request: HttpRequest, request_id: str) -> Any:
    principal = principal_of(request)
    return _change_request_out(policy.get_visible(principal, _change_requests(principal), pk=request_id))


@router.get(
    "/change-requests/{request_id}/preview",
    response={200: ChangePreviewOut, 404: ErrorOut},
    summary="What approving the change request would do now (seats, price, consequence)",
)
@requires(Permission.SUBSCRIPTIONS_VIEW)
def preview_change_request(request: HttpRequest, request_id: str) -> Any:
    principal = principal_of(request)
    change_request = policy.get_visible(principal, _change_requests(principal), pk=request_id)
    return _preview_out(change_requests.preview_request(change_request))


@router.get(
    "/subscriptions/{subscription_id}/change-preview",
    response={200: ChangePreviewOut, **ERRORS},
    summary="What a change request would do, before sending it (customer admin)",
)
@requires(Permission.SUBSCRIPTIONS_REQUEST_CHANGE)
def preview_new_change_request(
    request: HttpRequest,
    subscription_id: uuid.UUID,
    type: Literal["increase", "decrease", "upgrade", "cancel"],
    seats: int | None = Query(default=None, ge=1, description="The new total of seats."),
    target_sku_id: uuid.UUID | None = None,
) -> Any:
    principal = principal_of(request)
    subscription = _get(request, subscription_id)
    if type in change_requests.SEAT_KINDS:
        seats = change_requests.requested_total(subscription, type, seats, None)
    target = policy.get_visible(principal, Sku, pk=target_sku_id).pk if target_sku_id else None
    return _preview_out(change_requests.preview(subscription, kind=type, seats=seats, target_sku_id=target))


def _decide(
    request: HttpRequest, request_id: str, decide: Callable[[Principal, ChangeRequest], Any]
) -> Status:
    principal = principal_of(request)
    change_request = policy.get_visible(principal, _change_requests(principal), pk=request_id)

    decide(principal, change_request)
    return Status(200, _change_request_out(_change_requests(principal).get(pk=change_request.pk)))


@router.post(
    "/change-requests/{request_id}/approve",
    response={200: ChangeRequestOut, **ERRORS},
    summary="Approve and apply",
)
@requires(subscription_rules.CHANGE)
def approve_change_request(request: HttpRequest, request_id: str, payload: ResponseIn) -> Status:
    return _decide(
        request,
        request_id,
        lambda p, c: change_requests.approve_change_request(p, c, response=payload.response),
    )


@router.post(
    "/change-requests/{request_id}/reject",
    response={200: ChangeRequestOut, **ERRORS},
    summary="Reject with a reason",
)
@requires(subscription_rules.CHANGE)
def reject_change_request(request: HttpRequest, request_id: str, payload: ReasonIn) -> Status:
    return _decide(
        request, request_id, lambda p, c: change_requests.reject_change_request(p, c, reason=payload.reason)
    )


@router.post(
    "/change-requests/{request_id}/inquire",
    response={200: ChangeRequestOut, **ERRORS},
    summary="Ask the customer for information",
)
@requires(subscription_rules.CHANGE)
def inquire_change_request(request: HttpRequest, request_id: str, payload: QuestionIn) -> Status:
    return _decide(
        request,
        request_id,
        lambda p, c: change_requests.inquire_change_request(p, c, question=payload.question),
    )


@router.post(
    "/change-requests/{request_id}/reply",
    response={200: ChangeRequestOut, **ERRORS},
    summary="Answer the partner's question (customer)",
)
@requires(Permission.SUBSCRIPTIONS_REQUEST_CHANGE)
def reply_change_request(request: HttpRequest, request_id: str, payload: ReplyIn) -> Status:
    return _decide(
        request, request_id, lambda p, c: change_requests.reply_change_request(p, c, note=payload.note)
    )


# --- Licences (admin center) -----------------------------------------------------------------


@router.get(
    "/licenses", response={200: PageOut[PoolOut], 400: ErrorOut}, summary="The tenant's licence pools"
)
@requires(Permission.LICENSES_VIEW)
def list_pools(request: HttpRequest, cursor: str | None = None, limit: int | None = None) -> Any:
    page = queries.pool_rows(principal_of(request), cursor=cursor, limit=limit)
    return page.answer(_pool_row_out)


def _licence_change(request: HttpRequest, payload: LicencesIn, assign: bool) -> Status:
    principal = principal_of(request)
    # licenses.assign is held by customer roles only (directly or delegated): this is a tenant.
    customer = principal.organization
    sku = policy.get_visible(principal, Sku.objects.select_related("product"), pk=payload.sku_id)
    wanted = set(payload.user_ids)
    users = list(policy.visible(principal, User).filter(pk__in=wanted))
    if len(users) != len(wanted):
        raise NotFound(_("Not found."))

    change = licences.assign_licences if assign else licences.remove_licences
    done = change(principal, customer=customer, sku=sku, users=users)
    return Status(200, {"pool": _pool_out(done.pool), "changed": len(done.assignments)})


@router.post(
    "/licenses/assign", response={200: LicencesOut, **ERRORS}, summary="Assign licences (all or none)"
)
@requires(Permission.LICENSES_ASSIGN)
def assign_licences(request: HttpRequest, payload: LicencesIn) -> Status:
    return _licence_change(request, payload, assign=True)


@router.post("/licenses/remove", response={200: LicencesOut, **ERRORS}, summary="Remove licences")
@requires(Permission.LICENSES_ASSIGN)
def remove_licences(request: HttpRequest, payload: LicencesIn) -> Status:
    return _licence_change(request, payload, assign=False)


# --- Entitlement checks (the operator's services) ----------------------------------------------


class ServiceCredentialAuth(HttpBearer):
    """Deprecated: `Authorization: Bearer pds_…`, a credential of one of the operator's services.

    The operator's services call the entitlement check as OAuth apps now (scope `entitlements`,
    ADR 0012); these keep working, their answers marked `Deprecation` and `Sunset`, until removed.
    """

    openapi_description = (
        "**Deprecated**: a service credential `pds_…` of the operator's services. Use an OAuth app of "
        "the operator with the `entitlements` scope instead (the OAuth2 scheme). Answers to these "
        "credentials carry `Deprecation` and `Sunset` headers (RFC 9745, RFC 8594)."
    )

    def authenticate(self, request: HttpRequest, token: str) -> ServiceCredential | None:
        return entitlements.credential_for(token)


@router.get(
    "/entitlements/check",
    response={200: EntitlementOut, 401: ErrorOut, 403: ErrorOut},
    auth=[OAuth2(), ServiceCredentialAuth()],
    summary="May this user use this service now? (the operator's apps, scope entitlements)",
    description="For an OAuth app of the operator with the `entitlements` scope. The deprecated "
    "service credentials `pds_…` are still accepted, with `Deprecation` and `Sunset` headers.",
)
@requires(Permission.ENTITLEMENTS_CHECK, area=TokenScope.ENTITLEMENTS)
def check_entitlement(request: HttpRequest, user: str, service: str, response: HttpResponse) -> Any:
    if isinstance(request.auth, ServiceCredential):  # type: ignore[attr-defined]
        entitlements.mark_deprecated(response)
    lookup = Q(email__iexact=user)
    with contextlib.suppress(ValueError):
        lookup |= Q(pk=uuid.UUID(user))
    # unscoped: an entitlement check is the operator's service asking about any tenant's user
    person = User.objects.filter(lookup, organization__kind=OrgKind.CUSTOMER, is_app=False).first()
    if person is None:
        return {"allowed": False, "reason": "unknown_user", "user_id": None, "service": service}
    decision = entitlements.check_entitlement(person, service)
    return {"allowed": decision.allowed, "reason": decision.reason, "user_id": person.pk, "service": service}


@router.post(
    "/service-credentials",
    response={201: CredentialOut, **ERRORS},
    summary="Issue a credential for one of the operator's services (deprecated: register an OAuth app)",
    deprecated=True,
)
@requires(Permission.CATALOG_MANAGE)
def create_service_credential(request: HttpRequest, payload: CredentialIn) -> Status:
    credential, secret = entitlements.create_service_credential(principal_of(request), name=payload.name)
    return Status(
        201, {"id": credential.pk, "name": credential.name, "prefix": credential.prefix, "secret": secret}
    )
