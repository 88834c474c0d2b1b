"""If-Match on every PATCH, PUT and DELETE of the API, enumerated from the OpenAPI document.

Each operation of the document needs a case below (who changes what, with which body, and where the
resource's ETag is read); a new operation without one fails `test_every_change_honours_if_match`
until its case is written, so no change can ship without If-Match.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import connection

from partnerdesk import encryption
from partnerdesk.catalog.models import Service
from partnerdesk.sso.models import SsoConnection
from partnerdesk.sso.services import SECRET_PURPOSE
from partnerdesk.subscriptions.tests.conftest import build_catalog, subscribe
from partnerdesk.support.models import SupportRequest, SupportTopic
from partnerdesk.testing import World, database_state
from partnerdesk.urls import api as ninja_api

STALE = '"stale"'  # well-formed, never the current ETag of anything


@dataclass
class Case:
    user: str
    path: str
    body: dict[str, Any] | None
    etag: str


Setup = Callable[[Any, World], Case]


def _etag_of(api: Any, user: str, path: str) -> str:
    response = api(user).get(path)
    assert response.status_code == 200, response.json_body
    return str(response["ETag"])


def _read(user: str, path: str, body: dict[str, Any] | None = None, *, etag_path: str = "") -> Setup:
    """A resource that exists in the tiny world: its ETag from GET (of `etag_path` or `path`)."""
    return lambda api, world: Case(user, path, body, _etag_of(api, user, etag_path or path))


def _token(api: Any, world: World) -> Case:
    made = api("a1.global_admin").post("/tokens", {"name": "ci"})
    return Case("a1.global_admin", f"/tokens/{made.json_body['id']}", None, made["ETag"])


def _organization_token(api: Any, world: World) -> Case:
    made = api("a1.user").post("/tokens", {"name": "ci"})
    return Case("a1.global_admin", f"/organization/tokens/{made.json_body['id']}", None, made["ETag"])


def _oauth_app(api: Any, world: World) -> Case:
    made = api("a.partner_global_admin").post("/oauth-apps", {"name": "ci", "scopes": ["read"]})
    return Case("a.partner_global_admin", f"/oauth-apps/{made.json_body['id']}", None, made["ETag"])


def _webhook_endpoint(body: dict[str, Any] | None) -> Setup:
    """Fabrikam's webhook endpoint, registered through the API; its ETag from GET."""

    def setup(api: Any, world: World) -> Case:
        user = "a.partner_global_admin"
        made = api(user).post(
            "/webhook-endpoints", {"url": "http://127.0.0.1:9/hooks", "events": ["subscription.*"]}
        )
        assert made.status_code == 201, made.json_body
        return _read(user, f"/webhook-endpoints/{made.json_body['id']}", body)(api, world)

    return setup


def _user(method: str) -> Setup:
    def setup(api: Any, world: World) -> Case:
        path = f"/users/{world.user('a1.user').pk}"
        body = {"display_name": "Renamed"} if method == "patch" else None
        return Case("a1.global_admin", path, body, _etag_of(api, "a1.global_admin", path))

    return setup


def _group(api: Any, world: World) -> Case:
    group = api("a1.global_admin").post("/groups", {"name": "Sales"}).json_body
    path = f"/groups/{group['id']}"
    return Case("a1.global_admin", path, None, _etag_of(api, "a1.global_admin", path))


def _member(api: Any, world: World) -> Case:
    client = api("a1.global_admin")
    group = client.post("/groups", {"name": "Sales"}).json_body
    user_id = str(world.user("a1.user").pk)
    added = client.post(f"/groups/{group['id']}/members", {"user_id": user_id, "role": "member"})
    assert added.status_code == 201, added.json_body
    return Case("a1.global_admin", f"/groups/{group['id']}/members/{user_id}", None, added["ETag"])


def _domain(api: Any, world: World) -> Case:
    assert api("a1.global_admin").post("/domains", {"name": "contoso.com"}).status_code == 201
    return Case(
        "a1.global_admin",
        "/domains/contoso.com",
        None,
        _etag_of(api, "a1.global_admin", "/domains/contoso.com"),
    )


def _offer_policy(api: Any, world: World) -> Case:
    offer = build_catalog().basic_monthly
    user = "operator.catalog_manager"
    return Case(
        user,
        f"/catalog/offers/{offer.pk}/policy",
        {"cancellation_window_hours": 24},
        _etag_of(api, user, f"/catalog/offers/{offer.pk}"),
    )


def _issue(api: Any, world: World) -> Case:
    service = Service.objects.create(key="mail", name="Mail")
    user = "operator.communications_manager"
    issue = api(user).post(
        "/health/issues",
        {
            "title": "Mail delivery delays",
            "impact_description": "Users may see delays sending mail.",
            "services": [str(service.pk)],
            "status": "service_degradation",
            "first_post": "We are investigating.",
            "publish": True,
        },
    )
    assert issue.status_code == 201, issue.json_body
    path = f"/health/issues/{issue.json_body['id']}"
    return Case(user, path, {"title": "Mail delivery delayed"}, _etag_of(api, user, path))


def _message(api: Any, world: World) -> Case:
    service = Service.objects.create(key="mail", name="Mail")
    user = "operator.communications_manager"
    post = api(user).post(
        "/messages",
        {
            "title": "Retiring basic authentication",
            "body": "We will retire basic auth.",
            "category": "plan_for_change",
            "severity": "high",
            "services": [str(service.pk)],
            "audience": {"type": "partner_customers", "partner_id": str(world.partner_a.pk)},
            "publish": True,
        },
    )
    assert post.status_code == 201, post.json_body
    path = f"/messages/{post.json_body['id']}"
    return Case(user, path, {"title": "Basic authentication retires"}, _etag_of(api, user, path))


def _subscription(api: Any, world: World) -> Case:
    subscription = subscribe(world, build_catalog().basic_monthly, 10)
    path = f"/subscriptions/{subscription.pk}"
    return Case("a.admin_agent", path, {"friendly_name": "HQ"}, _etag_of(api, "a.admin_agent", path))


def _support_request(api: Any, world: World) -> Case:
    made = api("a1.global_admin").post(
        "/support-requests",
        {
            "title": "Mail stopped arriving",
            "description": "No external mail since this morning.",
            "severity": "moderate",
            "contact_name": "Chen",
            "contact_email": "chen@contoso.test",
        },
    )
    assert made.status_code == 201, made.json_body
    path = f"/support-requests/{made.json_body['id']}"
    return Case("a.helpdesk_agent", path, {"severity": "minimal"}, _etag_of(api, "a.helpdesk_agent", path))


def _service_request(api: Any, world: World) -> Case:
    topic = SupportTopic.objects.create(name="Billing")
    made = api("a.helpdesk_agent").post(
        "/service-requests",
        {
            "title": "Invoice wrong",
            "description": "October",
            "severity": "minimal",
            "topic_id": str(topic.pk),
        },
    )
    assert made.status_code == 201, made.json_body
    path = f"/service-requests/{made.json_body['id']}"
    user = "operator.support_engineer"
    return Case(user, path, {"severity": "moderate"}, _etag_of(api, user, path))


def _sso_connection(body: dict[str, Any] | None) -> Setup:
    """Contoso's identity provider, saved as it was checked (changing flags asks the provider nothing)."""

    def setup(api: Any, world: World) -> Case:
        SsoConnection.objects.create(
            organization=world.customer_a1,
            issuer="https://idp.contoso.test",
            client_id="partnerdesk",
            client_secret_sealed=encryption.seal(SECRET_PURPOSE, b"secret"),
        )
        return _read("a1.global_admin", "/sso-connection", body)(api, world)

    return setup


CASES: dict[str, Setup] = {
    "PUT /api/v1/sso-connection": _sso_connection(
        {"issuer": "https://idp.contoso.test", "client_id": "partnerdesk", "just_in_time": True}
    ),
    "DELETE /api/v1/sso-connection": _sso_connection(None),
    "DELETE /api/v1/tokens/{token_id}": _token,
    "DELETE /api/v1/organization/tokens/{token_id}": _organization_token,
    "DELETE /api/v1/oauth-apps/{app_id}": _oauth_app,
    "PATCH /api/v1/webhook-endpoints/{endpoint_id}": _webhook_endpoint({"description": "ERP"}),
    "DELETE /api/v1/webhook-endpoints/{endpoint_id}": _webhook_endpoint(None),
    "PATCH /api/v1/catalog/offers/{offer_id}/policy": _offer_policy,
    "PATCH /api/v1/users/{user_id}": _user("patch"),
    "DELETE /api/v1/users/{user_id}": _user("delete"),
    "DELETE /api/v1/groups/{group_id}": _group,
    "DELETE /api/v1/groups/{group_id}/members/{user_id}": _member,
    "DELETE /api/v1/domains/{name}": _domain,
    "PATCH /api/v1/organization": _read("a1.global_admin", "/organization", {"phone": "+1 555 0100"}),
    "PATCH /api/v1/health/issues/{issue_id}": _issue,
    "PUT /api/v1/messages/preferences": _read(
        "a1.global_admin", "/messages/preferences", {"weekly_digest": False, "email_major_changes": True}
    ),
    "PATCH /api/v1/messages/{message_id}": _message,
    "PATCH /api/v1/subscriptions/{subscription_id}": _subscription,
    "PATCH /api/v1/support-requests/{request_id}": _support_request,
    "PATCH /api/v1/service-requests/{request_id}": _service_request,
    "PATCH /api/v1/support-profile": _read("a.partner_global_admin", "/support-profile", {"hours": "9-17"}),
    "PATCH /api/v1/partners/{partner_id}": lambda api, world: _read(
        "operator.operator_admin", f"/partners/{world.partner_a.pk}", {"name": "Fabrikam Ltd"}
    )(api, world),
    "PATCH /api/v1/customers/{customer_id}": lambda api, world: _read(
        "a.admin_agent", f"/customers/{world.customer_a1.pk}", {"name": "Contoso Ltd"}
    )(api, world),
}


def _changing_operations() -> list[tuple[str, dict[str, Any]]]:
    schema = ninja_api.get_openapi_schema()
    return [
        (f"{method.upper()} {path}", operation)
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        if method in ("patch", "put", "delete")
    ]


OPERATIONS = _changing_operations()


def _send(client: Any, method: str, case: Case, etag: str) -> Any:
    headers = {"If-Match": etag}
    if method == "DELETE":
        return client.delete(case.path, headers=headers)
    return getattr(client, method.lower())(case.path, case.body, headers=headers)


def test_the_document_lists_the_changing_operations() -> None:
    assert len(OPERATIONS) >= 17


@pytest.mark.parametrize(("key", "operation"), OPERATIONS, ids=[key for key, _op in OPERATIONS])
def test_every_change_honours_if_match(api: Any, world: World, key: str, operation: dict[str, Any]) -> None:
    setup = CASES.get(key)
    assert setup is not None, f"{key} has no If-Match case: add one to CASES in {__name__}"
    headers = [p["name"] for p in operation.get("parameters", []) if p["in"] == "header"]
    assert "If-Match" in headers and "412" in {str(status) for status in operation["responses"]}
    method = key.split(" ", 1)[0]
    case = setup(api, world)
    client = api(case.user)
    before = database_state()

    stale = _send(client, method, case, STALE)

    assert stale.status_code == 412, stale.json_body
    assert stale.json_body["error"]["code"] == "precondition_failed"
    assert stale.json_body["error"]["message"]
    assert database_state() == before

    current = _send(client, method, case, case.etag)

    assert current.status_code in (200, 204), current.json_body
    assert database_state() != before
    if method != "DELETE":
        assert current["ETag"] != case.etag
        assert _send(client, method, case, case.etag).status_code == 412  # now it is stale


def test_without_if_match_a_change_proceeds_and_a_list_of_etags_matches(api: Any, world: World) -> None:
    path = f"/users/{world.user('a1.user').pk}"
    client = api("a1.global_admin")
    etag = client.get(path)["ETag"]

    assert client.patch(path, {"display_name": "One"}).status_code == 200
    renamed = client.get(path)["ETag"]
    assert renamed != etag
    response = client.patch(path, {"display_name": "Two"}, headers={"If-Match": f"{STALE}, W/{renamed}"})
    assert response.status_code == 200
    assert client.patch(path, {"display_name": "Three"}, headers={"If-Match": "*"}).status_code == 200


@pytest.mark.django_db(transaction=True)
def test_of_two_writers_with_the_same_etag_one_wins_and_the_other_gets_412(api: Any, world: World) -> None:
    """Both send the ETag they read; the check is atomic with the write, on SQLite and PostgreSQL."""
    made = api("a1.global_admin").post(
        "/support-requests",
        {
            "title": "Mail",
            "description": "Down.",
            "severity": "moderate",
            "contact_name": "Chen",
            "contact_email": "chen@contoso.test",
        },
    )
    path = f"/support-requests/{made.json_body['id']}"
    etag = api("a.helpdesk_agent").get(path)["ETag"]
    writers = [("a.helpdesk_agent", "minimal"), ("a.admin_agent", "critical")]
    clients = [api(user) for user, _severity in writers]
    barrier = threading.Barrier(len(writers))
    results: list[tuple[int, str]] = []
    lock = threading.Lock()

    def attempt(client: Any, severity: str) -> None:
        try:
            barrier.wait()
            response = client.patch(path, {"severity": severity}, headers={"If-Match": etag})
            code = response.json_body.get("error", {}).get("code", "") if response.status_code != 200 else ""
            with lock:
                results.append((response.status_code, code))
        finally:
            connection.close()

    threads = [
        threading.Thread(target=attempt, args=(client, severity))
        for client, (_user, severity) in zip(clients, writers, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(results) == [(200, ""), (412, "precondition_failed")]
    request = SupportRequest.objects.get(pk=made.json_body["id"])
    assert request.severity in ("minimal", "critical")
    assert request.version == 2
