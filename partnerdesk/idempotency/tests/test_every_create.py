"""Every creating POST of the OpenAPI document: retried with one key, it makes one object.

The rule: a POST operation creates when its documented success answer is 201 Created, or when it
is listed in ALSO_CREATING (a POST that makes objects but answers 200 with a report). The document
is read at collection time, so a new creating operation gets its own case here without anyone
writing it; the case fails until CASES has its row (who may call it, and a valid request on the
tiny world).

Each case: the request twice with the same key gives the same status and body and changes the
database once; the same key with another body is 422 `idempotency_key_reused` and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from partnerdesk.support.models import SupportTopic
from partnerdesk.testing import PASSWORD, World, database_state
from partnerdesk.urls import api as ninja_api

API_PREFIX = "/api/v1"
ALSO_CREATING = {"POST /api/v1/users/import"}  # answers 200 with a per-row report of the users it made
KEY = {"Idempotency-Key": "retry-once"}
# Fields changed (in this order) to make "another body" of the same operation.
TEXT_FIELDS = ("title", "name", "friendly_name", "body", "query", "reason", "note", "display_name")


def creating_operations() -> list[str]:
    """`POST <path>` of every creating operation of the document, in document order."""
    found = []
    for path, operations in ninja_api.get_openapi_schema()["paths"].items():
        post = operations.get("post")
        if post is None:
            continue
        name = f"POST {path}"
        if 201 in post["responses"] or "201" in post["responses"] or name in ALSO_CREATING:
            found.append(name)
    return found


@dataclass(frozen=True)
class Request:
    """One valid request: a JSON body, a multipart upload, or a raw body with its content type."""

    path: str
    json: dict[str, Any] | None = None
    upload: bytes | None = None
    raw: tuple[bytes, str] | None = None
    other_json: dict[str, Any] | None = field(default=None, compare=False)

    def another(self) -> Request:
        """The same operation with a different, still valid, body."""
        if self.upload is not None:
            return replace(self, upload=self.upload + b" (again)")
        if self.raw is not None:
            content, content_type = self.raw
            return replace(self, raw=(content + b"extra@contoso.partnerdesk.test,Extra\n", content_type))
        if self.other_json is not None:
            return replace(self, json=self.other_json)
        assert self.json is not None
        for name in TEXT_FIELDS:
            if isinstance(self.json.get(name), str):
                return replace(self, json={**self.json, name: self.json[name] + " (again)"})
        raise AssertionError(f"{self.path}: give the case an other_json")


class World2:
    """The tiny world plus objects made through the cases of their own creating operations."""

    def __init__(self, world: World, api: Any) -> None:
        self.world = world
        self.api = api
        self._made: dict[str, dict[str, Any]] = {}
        self.answers: dict[str, Any] = {}  # each operation's response, for the response test

    def made(self, operation: str) -> dict[str, Any]:
        """The answer of `operation`'s own case, sent once without a key (the object to build on)."""
        if operation not in self._made:
            case = CASES_AND_HELPERS[operation]
            response = send(self.api(case.user), case.request(self), key=None)
            assert response.status_code in (200, 201), (operation, response.content)
            self.answers[operation] = response
            self._made[operation] = response.json_body
        return self._made[operation]

    def id(self, operation: str) -> str:
        return str(self.made(operation)["id"])

    @property
    def topic(self) -> str:
        if "topic" not in self._made:
            self._made["topic"] = {"id": str(SupportTopic.objects.create(name="Mail flow").pk)}
        return self._made["topic"]["id"]


@dataclass(frozen=True)
class Case:
    user: str | None  # a tiny-world user key; None: anonymous
    request: Callable[[World2], Request]


def send(client: Any, request: Request, *, key: dict[str, str] | None) -> Any:
    headers = key or {}
    if request.upload is not None:
        upload = SimpleUploadedFile("trace.txt", request.upload, content_type="text/plain")
        response = client.client.post(
            API_PREFIX + request.path, {"file": upload}, headers={**client.headers, **headers}
        )
        response.json_body = response.json()
        return response
    if request.raw is not None:
        content, content_type = request.raw
        return client._call("post", request.path, headers=headers, data=content, content_type=content_type)
    return client.post(request.path, request.json, headers=headers)


SUPPORT_REQUEST = {
    "title": "Mail stopped arriving",
    "description": "Since this morning no external mail reaches our mailboxes.",
    "severity": "moderate",
    "contact_name": "Chen",
    "contact_email": "chen@contoso.test",
}
CSV = "user_principal_name,display_name\nli@contoso.partnerdesk.test,Li Na\n"


def _service(w: World2) -> str:
    return w.id("POST /api/v1/health/services")


def _subscription(w: World2) -> str:
    return w.id("POST /api/v1/customers/{customer_id}/subscriptions")


def _sku(w: World2) -> str:
    return w.id("POST /api/v1/catalog/skus")


def _upgrade(w: World2) -> Request:
    w.made("POST /api/v1/catalog/upgrade-paths")  # E3 → E5
    return Request(
        f"/subscriptions/{_subscription(w)}/upgrade",
        {"offer_id": w.id("POST /api/v1/catalog/offers (premium)")},
        other_json={"offer_id": w.id("POST /api/v1/catalog/offers")},
    )


CASES: dict[str, Case] = {
    # --- identity and tenancy
    "POST /api/v1/auth/tokens": Case(
        None,
        lambda w: Request(
            "/auth/tokens",
            {"email": "admin_agent@fabrikam.test", "password": PASSWORD, "name": "CLI"},
            other_json={"email": "admin_agent@fabrikam.test", "password": PASSWORD, "name": "Other CLI"},
        ),
    ),
    "POST /api/v1/tokens": Case("a.admin_agent", lambda w: Request("/tokens", {"name": "Deploy"})),
    # Enrolling an authenticator app with the user's own token (no factor yet, so none to be fresh):
    # it makes the pending factor. The operation reads no body; another body is another request.
    "POST /api/v1/auth/mfa/totp": Case(
        "a.sales_agent", lambda w: Request("/auth/mfa/totp", {}, other_json={"name": "Phone"})
    ),
    "POST /api/v1/oauth-apps": Case(
        "a.partner_global_admin",
        lambda w: Request("/oauth-apps", {"name": "PSA sync", "scopes": ["support", "read"]}),
    ),
    "POST /api/v1/partners": Case(
        "operator.operator_admin",
        lambda w: Request(
            "/partners",
            {
                "name": "Proseware",
                "contact_email": "help@proseware.test",
                "admin": {"email": "admin@proseware.test", "display_name": "Pat Proseware"},
            },
        ),
    ),
    "POST /api/v1/customers": Case(
        "a.admin_agent",
        lambda w: Request(
            "/customers",
            {
                "name": "Northwind Traders",
                "domain_prefix": "northwindtraders",
                "admin": {"display_name": "Nadia", "email": "nadia@northwindtraders.test"},
            },
        ),
    ),
    "POST /api/v1/customers/{customer_id}/relationship-requests": Case(
        "a.admin_agent",
        lambda w: Request(
            f"/customers/{w.world.customer_a1.pk}/relationship-requests",
            {"name": "Privacy review", "roles": ["privacy_reader"], "duration_days": 10},
        ),
    ),
    # --- support
    "POST /api/v1/support-requests": Case(
        "a1.service_support_admin", lambda w: Request("/support-requests", SUPPORT_REQUEST)
    ),
    "POST /api/v1/support-requests/{request_id}/messages": Case(
        "a.admin_agent",
        lambda w: Request(
            f"/support-requests/{w.id('POST /api/v1/support-requests')}/messages", {"body": "On it."}
        ),
    ),
    "POST /api/v1/support-requests/{request_id}/escalate": Case(
        "a.admin_agent",
        lambda w: Request(
            f"/support-requests/{w.id('POST /api/v1/support-requests')}/escalate",
            {"topic_id": w.topic, "severity": "critical", "title": "Mail relay down"},
        ),
    ),
    "POST /api/v1/support-requests/{request_id}/attachments": Case(
        "a1.service_support_admin",
        lambda w: Request(
            f"/support-requests/{w.id('POST /api/v1/support-requests')}/attachments", upload=b"trace"
        ),
    ),
    "POST /api/v1/service-requests": Case(
        "a.admin_agent",
        lambda w: Request(
            "/service-requests",
            {"title": "Invoice wrong", "description": "Twice.", "severity": "minimal", "topic_id": w.topic},
        ),
    ),
    "POST /api/v1/service-requests/{request_id}/notes": Case(
        "operator.support_engineer",
        lambda w: Request(
            f"/service-requests/{w.id('POST /api/v1/service-requests')}/notes", {"body": "Which invoice?"}
        ),
    ),
    "POST /api/v1/service-requests/{request_id}/attachments": Case(
        "a.admin_agent",
        lambda w: Request(
            f"/service-requests/{w.id('POST /api/v1/service-requests')}/attachments", upload=b"invoice"
        ),
    ),
    "POST /api/v1/support-topics": Case(
        "operator.support_engineer", lambda w: Request("/support-topics", {"name": "Billing"})
    ),
    "POST /api/v1/deflections": Case(
        "a1.global_admin", lambda w: Request("/deflections", {"query": "password"})
    ),
    "POST /api/v1/partners/{partner_id}/flags": Case(
        "operator.support_engineer",
        lambda w: Request(
            f"/partners/{w.world.partner_a.pk}/flags",
            {"reason": "Password reset escalated", "remediation": "Training"},
        ),
    ),
    # --- catalog
    "POST /api/v1/catalog/products": Case(
        "operator.catalog_manager", lambda w: Request("/catalog/products", {"name": "Office 365"})
    ),
    "POST /api/v1/catalog/skus": Case(
        "operator.catalog_manager",
        lambda w: Request(
            "/catalog/skus",
            {
                "product_id": w.id("POST /api/v1/catalog/products"),
                "name": "Office 365 E3",
                "services": [w.made("POST /api/v1/health/services")["key"]],
            },
        ),
    ),
    "POST /api/v1/catalog/offers": Case(
        "operator.catalog_manager",
        lambda w: Request(
            "/catalog/offers",
            {
                "sku_id": _sku(w),
                "name": "E3 monthly",
                "term": "P1M",
                "unit_price": "40.00",
                "valid_from": "2020-01-01T00:00:00Z",
            },
        ),
    ),
    "POST /api/v1/catalog/offers/{offer_id}/price-changes": Case(
        "operator.catalog_manager",
        lambda w: Request(
            f"/catalog/offers/{w.id('POST /api/v1/catalog/offers')}/price-changes",
            {"unit_price": "130.00", "effective_at": "2099-01-01T00:00:00Z"},
            other_json={"unit_price": "140.00", "effective_at": "2099-01-01T00:00:00Z"},
        ),
    ),
    "POST /api/v1/catalog/upgrade-paths": Case(
        "operator.catalog_manager",
        lambda w: Request(
            "/catalog/upgrade-paths",
            {"from_sku_id": _sku(w), "to_sku_id": w.id("POST /api/v1/catalog/skus (premium)")},
            other_json={"to_sku_id": _sku(w), "from_sku_id": w.id("POST /api/v1/catalog/skus (premium)")},
        ),
    ),
    "POST /api/v1/catalog/addon-rules": Case(
        "operator.catalog_manager",
        lambda w: Request(
            "/catalog/addon-rules",
            {"addon_sku_id": w.id("POST /api/v1/catalog/skus (premium)"), "base_sku_id": _sku(w)},
            other_json={
                "addon_sku_id": w.id("POST /api/v1/catalog/skus (premium)"),
                "base_sku_id": _sku(w),
                "coterminous": False,
            },
        ),
    ),
    # --- subscriptions
    "POST /api/v1/customers/{customer_id}/subscriptions": Case(
        "a.admin_agent",
        lambda w: Request(
            f"/customers/{w.world.customer_a1.pk}/subscriptions",
            {"offer_id": w.id("POST /api/v1/catalog/offers"), "quantity": 5, "friendly_name": "Head office"},
        ),
    ),
    "POST /api/v1/subscriptions/{subscription_id}/upgrade": Case("a.admin_agent", lambda w: _upgrade(w)),
    "POST /api/v1/change-requests": Case(
        "a1.global_admin",
        lambda w: Request(
            "/change-requests",
            {"subscription_id": _subscription(w), "type": "increase", "quantity": 5, "note": "New hires"},
        ),
    ),
    "POST /api/v1/service-credentials": Case(
        "operator.catalog_manager", lambda w: Request("/service-credentials", {"name": "teams"})
    ),
    # --- service health and Message center
    "POST /api/v1/health/services": Case(
        "operator.communications_manager",
        lambda w: Request("/health/services", {"key": "exchange", "name": "Exchange Online"}),
    ),
    "POST /api/v1/health/issues": Case(
        "operator.communications_manager",
        lambda w: Request(
            "/health/issues",
            {"title": "Mail delays", "impact_description": "Mail is slow.", "services": [_service(w)]},
        ),
    ),
    "POST /api/v1/health/issues/{issue_id}/posts": Case(
        "operator.communications_manager",
        lambda w: Request(
            f"/health/issues/{w.id('POST /api/v1/health/issues')}/posts", {"body": "We are investigating."}
        ),
    ),
    "POST /api/v1/maintenance": Case(
        "operator.communications_manager",
        lambda w: Request(
            "/maintenance",
            {
                "title": "Database upgrade",
                "services": [_service(w)],
                "starts_at": "2030-01-01T01:00:00Z",
                "ends_at": "2030-01-01T03:00:00Z",
            },
        ),
    ),
    "POST /api/v1/messages": Case(
        "operator.communications_manager",
        lambda w: Request(
            "/messages",
            {
                "title": "Retiring basic authentication",
                "body": "We will retire basic auth.",
                "category": "plan_for_change",
                "audience": {"type": "all"},
            },
        ),
    ),
    "POST /api/v1/messages/{message_id}/attachments": Case(
        "operator.communications_manager",
        lambda w: Request(f"/messages/{w.id('POST /api/v1/messages')}/attachments", upload=b"plan"),
    ),
    # --- the customer's directory
    "POST /api/v1/users": Case(
        "a1.user_admin",
        lambda w: Request(
            "/users", {"user_principal_name": "kim@contoso.partnerdesk.test", "display_name": "Kim"}
        ),
    ),
    "POST /api/v1/users/import": Case(
        "a1.user_admin", lambda w: Request("/users/import", raw=(CSV.encode(), "text/csv"))
    ),
    "POST /api/v1/groups": Case("a1.user_admin", lambda w: Request("/groups", {"name": "Sales"})),
    "POST /api/v1/groups/{group_id}/members": Case(
        "a1.user_admin",
        lambda w: Request(
            f"/groups/{w.id('POST /api/v1/groups')}/members",
            {"user_id": str(w.world.user("a1.user").pk)},
            other_json={"user_id": str(w.world.user("a1.user").pk), "role": "owner"},
        ),
    ),
    "POST /api/v1/domains": Case(
        "a1.global_admin",
        lambda w: Request("/domains", {"name": "contoso.com"}, other_json={"name": "contoso.net"}),
    ),
    # --- webhooks
    "POST /api/v1/webhook-endpoints": Case(
        "a.partner_global_admin",
        lambda w: Request(
            "/webhook-endpoints",
            {"url": "http://127.0.0.1:9/hooks", "events": ["subscription.*"], "description": "ERP"},
            other_json={"url": "http://127.0.0.1:9/other", "events": ["*"], "description": "ERP"},
        ),
    ),
}

# Second objects some cases build on (not operations of the document: a second SKU and offer).
HELPERS: dict[str, Case] = {
    "POST /api/v1/catalog/skus (premium)": Case(
        "operator.catalog_manager",
        lambda w: Request(
            "/catalog/skus",
            {
                "product_id": w.id("POST /api/v1/catalog/products"),
                "name": "E5",
                "services": [w.made("POST /api/v1/health/services")["key"]],
            },
        ),
    ),
    "POST /api/v1/catalog/offers (premium)": Case(
        "operator.catalog_manager",
        lambda w: Request(
            "/catalog/offers",
            {
                "sku_id": w.id("POST /api/v1/catalog/skus (premium)"),
                "term": "P1M",
                "unit_price": "120.00",
                "valid_from": "2020-01-01T00:00:00Z",
            },
        ),
    ),
}
CASES_AND_HELPERS = {**CASES, **HELPERS}


def test_every_case_is_a_creating_operation_of_the_document() -> None:
    assert sorted(set(CASES) - set(creating_operations())) == []


@pytest.mark.parametrize("operation", creating_operations())
def test_a_retried_create_makes_one_object_and_answers_the_same(
    operation: str, api: Any, world: World
) -> None:
    case = CASES.get(operation)
    if case is None:
        pytest.fail(f"{operation} creates: add its row to CASES (who may call it, a valid request)")
    built = World2(world, api)
    request = case.request(built)
    client = api(case.user)
    before = database_state()

    first = send(client, request, key=KEY)
    assert first.status_code in (200, 201), first.content
    after_first = database_state()
    again = send(client, request, key=KEY)
    reused = send(client, request.another(), key=KEY)

    assert (again.status_code, again.content) == (first.status_code, first.content)
    assert again["Idempotent-Replayed"] == "true"
    changed = [table for table in after_first if after_first[table] != before[table]]
    assert set(changed) - {"idempotency.idempotencyrecord", "audit.auditevent"}, (
        "the first request made nothing"
    )
    assert reused.status_code == 422, reused.content
    assert reused.json_body["error"]["code"] == "idempotency_key_reused"
    assert database_state() == after_first
