"""OAuth 2.0 client credentials: apps get short-lived tokens at the token endpoint and act as the app.

Everything goes through the real WSGI stack (Django's test client): the token endpoint, the API's
bearer authentication, the one wrapper's scopes, the audit log.
"""

from __future__ import annotations

import base64
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from partnerdesk.access.permissions import Role
from partnerdesk.access.principal import principal_for
from partnerdesk.audit.models import AuditEvent
from partnerdesk.audit.sentences import actor
from partnerdesk.catalog.models import Offer, Product, Service, Sku
from partnerdesk.integrations import services
from partnerdesk.integrations.models import OAuthAccessToken
from partnerdesk.subscriptions import entitlements
from partnerdesk.subscriptions.models import LicenseAssignment, Subscription
from partnerdesk.testing import World, database_state, make_user

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/oauth/token"


def register(world: World, key: str, scopes: list[str], name: str = "PSA sync") -> services.NewSecret:
    return services.register_app(principal_for(world.user(key)), name=name, scopes=scopes)


def basic(client_id: str, secret: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()}


def token_for(new: services.NewSecret, **form: str) -> str:
    response = Client().post(
        TOKEN_URL, {"grant_type": "client_credentials", **form}, headers=basic(new.app.client_id, new.secret)
    )
    assert response.status_code == 200, response.content
    return str(response.json()["access_token"])


def bearer(token: str) -> Client:
    return Client(headers={"Authorization": f"Bearer {token}"})


@pytest.fixture
def licensed(world: World) -> dict[str, Any]:
    """A customer user licensed for a service through an active subscription."""
    service = Service.objects.create(key="mail", name="Mail")
    sku = Sku.objects.create(product=Product.objects.create(name="Suite"), name="Suite E3")
    sku.services.set([service])
    offer = Offer.objects.create(sku=sku, name="Monthly", term="P1M", unit_price=5)
    Subscription.objects.create(
        customer=world.customer_a1,
        partner=world.partner_a,
        offer=offer,
        quantity=5,
        status=Subscription.Status.ACTIVE,
        term_end=timezone.now() + timedelta(days=300),
    )
    person = make_user(world.customer_a1, "mia@contoso.partnerdesk.test", [Role.USER])
    LicenseAssignment.objects.create(customer=world.customer_a1, sku=sku, user=person)
    return {"user": person, "service": service.key}


# --- The acceptance: a token, then the entitlement check --------------------------------------------


def test_an_oauth_client_gets_a_token_and_calls_the_entitlement_check(
    world: World, licensed: dict[str, Any]
) -> None:
    new = register(world, "operator.operator_admin", ["entitlements"], name="Mail service")
    response = Client().post(
        TOKEN_URL, {"grant_type": "client_credentials"}, headers=basic(new.app.client_id, new.secret)
    )
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    assert body["token_type"].lower() == "bearer"
    assert body["expires_in"] == 3600
    assert body["scope"] == "entitlements"
    assert body["access_token"].startswith("pdo_")
    # Only its hash is kept.
    assert not OAuthAccessToken.objects.filter(token_hash=body["access_token"]).exists()

    check = bearer(body["access_token"]).get(
        "/api/v1/entitlements/check", {"user": licensed["user"].email, "service": licensed["service"]}
    )
    assert check.status_code == 200, check.content
    assert check.json()["allowed"] is True
    assert "Deprecation" not in check


def test_the_client_may_authenticate_in_the_form_and_narrow_its_token(world: World) -> None:
    new = register(world, "a.partner_global_admin", ["support", "tenancy"])
    response = Client().post(
        TOKEN_URL,
        {
            "grant_type": "client_credentials",
            "client_id": new.app.client_id,
            "client_secret": new.secret,
            "scope": "support",
        },
    )
    assert response.status_code == 200
    assert response.json()["scope"] == "support"
    token = response.json()["access_token"]
    assert bearer(token).get("/api/v1/customers").json()["error"]["code"] == "insufficient_scope"


def test_a_token_is_never_wider_than_its_app(world: World) -> None:
    new = register(world, "a.partner_global_admin", ["read", "support"])
    for scope in ("support", "read", "tenancy", "entitlements"):
        response = Client().post(
            TOKEN_URL,
            {"grant_type": "client_credentials", "scope": scope},
            headers=basic(new.app.client_id, new.secret),
        )
        assert response.status_code == 400, scope
        assert response.json()["error"] == "invalid_scope"


def test_a_wrong_secret_or_an_unknown_client_is_401_invalid_client(world: World) -> None:
    new = register(world, "a.partner_global_admin", ["support"])
    before = database_state()
    attempts = [
        {"headers": basic(new.app.client_id, "pdcs_wrong")},
        {"headers": basic("pdc_nobody", "pdcs_wrong")},
        {"data": {"client_id": new.app.client_id, "client_secret": "pdcs_wrong"}},
        {"data": {"client_id": "pdc_nobody", "client_secret": "pdcs_wrong"}},
        {},
    ]
    answers = []
    for attempt in attempts:
        data = {"grant_type": "client_credentials", **attempt.get("data", {})}
        response = Client().post(TOKEN_URL, data, headers=attempt.get("headers", {}))
        assert response.status_code == 401, response.content
        assert response.json()["error"] == "invalid_client"
        assert "WWW-Authenticate" in response
        answers.append(response.json())
    # Unknown and wrong answer alike.
    assert all(answer == answers[0] for answer in answers)
    assert not OAuthAccessToken.objects.exists()
    assert _without_counters(database_state()) == _without_counters(before)


def _without_counters(state: dict[str, Any]) -> dict[str, Any]:
    return {label: rows for label, rows in state.items() if label != "ratelimits.ratecounter"}


def test_only_the_client_credentials_grant_is_offered(world: World) -> None:
    new = register(world, "a.partner_global_admin", ["support"])
    response = Client().post(
        TOKEN_URL, {"grant_type": "password", "username": "x"}, headers=basic(new.app.client_id, new.secret)
    )
    assert response.status_code == 400
    assert response.json()["error"] == "unsupported_grant_type"


# --- Tokens that no longer authenticate -----------------------------------------------------------------


def test_an_expired_token_is_401(world: World) -> None:
    new = register(world, "a.partner_global_admin", ["tenancy"])
    token = token_for(new)
    assert bearer(token).get("/api/v1/customers").status_code == 200
    OAuthAccessToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = bearer(token).get("/api/v1/customers")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_the_lifetime_is_a_setting(world: World, settings: Any) -> None:
    settings.OAUTH_ACCESS_TOKEN_SECONDS = 300
    new = register(world, "a.partner_global_admin", ["tenancy"])
    token_for(new)
    token = OAuthAccessToken.objects.get()
    assert timedelta(seconds=299) <= token.expires_at - token.issued_at <= timedelta(seconds=301)


def test_rotating_the_secret_ends_the_tokens_and_the_old_secret(world: World) -> None:
    new = register(world, "a.partner_global_admin", ["tenancy"])
    token = token_for(new)
    rotated = services.rotate_secret(principal_for(world.user("a.partner_global_admin")), new.app)
    assert bearer(token).get("/api/v1/customers").status_code == 401
    old = Client().post(
        TOKEN_URL, {"grant_type": "client_credentials"}, headers=basic(new.app.client_id, new.secret)
    )
    assert old.status_code == 401
    assert bearer(token_for(rotated)).get("/api/v1/customers").status_code == 200


def test_deleting_the_app_ends_its_tokens(world: World) -> None:
    new = register(world, "a.partner_global_admin", ["tenancy"])
    token = token_for(new)
    services.delete_app(principal_for(world.user("a.partner_global_admin")), new.app)
    assert bearer(token).get("/api/v1/customers").status_code == 401
    assert not OAuthAccessToken.objects.exists()


# --- Scopes, enforced by the one wrapper ----------------------------------------------------------------


def test_a_read_only_app_reads_but_cannot_write(world: World) -> None:
    new = register(world, "a.partner_global_admin", ["read"])
    client = bearer(token_for(new))
    assert client.get("/api/v1/customers").status_code == 200
    before = database_state()
    response = client.patch(
        f"/api/v1/customers/{world.customer_a1.pk}", {"phone": "+1 555"}, content_type="application/json"
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "insufficient_scope"
    assert database_state() == before


def test_an_operation_outside_the_apps_scopes_is_403(world: World) -> None:
    new = register(world, "a.partner_global_admin", ["support"])
    client = bearer(token_for(new))
    before = database_state()
    response = client.patch(
        f"/api/v1/customers/{world.customer_a1.pk}", {"phone": "+1 555"}, content_type="application/json"
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "insufficient_scope"
    assert database_state() == before


def test_only_the_operators_apps_hold_the_entitlement_check(world: World, licensed: dict[str, Any]) -> None:
    with pytest.raises(Exception, match="entitlements"):
        register(world, "a.partner_global_admin", ["entitlements"])
    # An operator's app without the scope is refused by the scope; with the scope only, nothing else.
    reader = bearer(token_for(register(world, "operator.operator_admin", ["read"])))
    query = {"user": licensed["user"].email, "service": licensed["service"]}
    assert reader.get("/api/v1/entitlements/check", query).status_code == 403
    checker = bearer(token_for(register(world, "operator.operator_admin", ["entitlements"], name="Mail")))
    assert checker.get("/api/v1/partners").json()["error"]["code"] == "insufficient_scope"
    # A person's token never reaches it: the operation takes apps and service credentials only.
    person = Client(headers={"Authorization": "Bearer pd_someone"})
    assert person.get("/api/v1/entitlements/check", query).status_code == 401


def test_an_app_never_manages_apps_or_tokens(world: World) -> None:
    client = bearer(token_for(register(world, "a.partner_global_admin", ["read"])))
    assert client.get("/api/v1/oauth-apps").status_code == 403
    assert client.get("/api/v1/organization/tokens").status_code == 403
    before = database_state()
    response = client.post("/api/v1/tokens", {"name": "wider"}, content_type="application/json")
    assert response.status_code == 403
    assert database_state() == before


# --- Audit: the app is the actor ------------------------------------------------------------------------


def test_what_an_app_changes_is_audited_as_the_app(world: World, api: Any) -> None:
    new = register(world, "a.partner_global_admin", ["tenancy"], name="Billing bridge")
    response = bearer(token_for(new)).patch(
        f"/api/v1/customers/{world.customer_a1.pk}", {"phone": "+1 555"}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    event = AuditEvent.objects.exclude(action__startswith="oauth_app.").get()
    assert event.actor_app_name == "Billing bridge"
    assert event.actor_app_id == new.app.pk
    assert event.actor_email == ""
    assert event.role == "app"
    assert event.channel == "api"
    assert actor(event) == "The app Billing bridge (Fabrikam)"
    listed = api("a.partner_global_admin").get(f"/audit-events?object_id={world.customer_a1.pk}")
    assert [item["actor_app_name"] for item in listed.json_body["items"]] == ["Billing bridge"]
    by_name = api("a.partner_global_admin").get("/audit-events?actor=billing bridge")
    assert len(by_name.json_body["items"]) == 1


def test_registering_rotating_and_deleting_are_audited(world: World) -> None:
    admin = principal_for(world.user("a1.global_admin"))
    new = services.register_app(admin, name="Script", scopes=["directory"])
    services.rotate_secret(admin, new.app)
    services.delete_app(admin, new.app)
    actions = list(AuditEvent.objects.order_by("id").values_list("action", "actor_email", "organization"))
    email = world.user("a1.global_admin").email
    assert actions == [
        ("oauth_app.created", email, world.customer_a1.pk),
        ("oauth_app.secret_rotated", email, world.customer_a1.pk),
        ("oauth_app.deleted", email, world.customer_a1.pk),
    ]


def test_the_apps_stand_in_is_nobody(world: World, api: Any) -> None:
    new = register(world, "a1.global_admin", ["directory"])
    agent = new.app.agent
    assert agent.is_app and agent.blocked and not agent.has_usable_password()
    users = api("a1.global_admin").get("/users?limit=100").json_body["items"]
    assert str(agent.pk) not in {item["id"] for item in users}


# --- Rate limits ----------------------------------------------------------------------------------------


def test_token_requests_are_limited_per_client(world: World, settings: Any) -> None:
    settings.OAUTH_TOKEN_REQUESTS_PER_CLIENT_PER_MINUTE = 3
    new = register(world, "a.partner_global_admin", ["support"])
    statuses = []
    for _ in range(4):
        response = Client().post(
            TOKEN_URL, {"grant_type": "client_credentials"}, headers=basic(new.app.client_id, "pdcs_guess")
        )
        statuses.append(response.status_code)
    assert statuses == [401, 401, 401, 429]
    assert int(response["Retry-After"]) >= 1
    assert response.json()["error"] == "rate_limited"
    # Even the right secret waits now: the limit counts requests, not failures.
    right = Client().post(
        TOKEN_URL, {"grant_type": "client_credentials"}, headers=basic(new.app.client_id, new.secret)
    )
    assert right.status_code == 429
    # Another client from the same address is not held back by this one's count.
    other = register(world, "a.partner_global_admin", ["support"], name="Other")
    assert token_for(other)


def test_token_requests_are_limited_per_address(world: World, settings: Any) -> None:
    settings.OAUTH_TOKEN_REQUESTS_PER_ADDRESS_PER_MINUTE = 2
    for index in range(2):
        Client().post(TOKEN_URL, {"grant_type": "client_credentials"}, headers=basic(f"pdc_{index}", "x"))
    response = Client().post(TOKEN_URL, {"grant_type": "client_credentials"}, headers=basic("pdc_new", "x"))
    assert response.status_code == 429
    assert "Retry-After" in response
    elsewhere = Client(REMOTE_ADDR="192.0.2.9").post(
        TOKEN_URL, {"grant_type": "client_credentials"}, headers=basic("pdc_new", "x")
    )
    assert elsewhere.status_code == 401


# --- The deprecated service credentials -----------------------------------------------------------------


def test_service_credentials_still_work_marked_deprecated(world: World, licensed: dict[str, Any]) -> None:
    _credential, secret = entitlements.create_service_credential(
        principal_for(world.user("operator.operator_admin")), name="legacy"
    )
    response = bearer(secret).get(
        "/api/v1/entitlements/check", {"user": licensed["user"].email, "service": licensed["service"]}
    )
    assert response.status_code == 200
    assert response.json()["allowed"] is True
    assert response["Deprecation"].startswith("@")
    assert response["Sunset"].endswith("GMT")


def test_an_app_of_an_organization_that_acts_for_customers_keeps_the_relationship_rules(
    world: World,
) -> None:
    new = register(world, "a.partner_global_admin", ["directory"])
    client = Client(
        headers={
            "Authorization": f"Bearer {token_for(new)}",
            "X-On-Behalf-Of": str(world.customer_b1.pk),
        }
    )
    response = client.get("/api/v1/users")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "no_delegated_access"


def test_the_job_forgets_tokens_a_day_after_they_expire(world: World) -> None:
    from partnerdesk.integrations.jobs import forget_expired_tokens

    new = register(world, "a.partner_global_admin", ["support"])
    token_for(new)
    token_for(new)
    old, recent = OAuthAccessToken.objects.order_by("id")
    OAuthAccessToken.objects.filter(pk=old.pk).update(expires_at=timezone.now() - timedelta(days=2))
    OAuthAccessToken.objects.filter(pk=recent.pk).update(expires_at=timezone.now() - timedelta(hours=2))
    forget_expired_tokens()
    assert list(OAuthAccessToken.objects.values_list("pk", flat=True)) == [recent.pk]
