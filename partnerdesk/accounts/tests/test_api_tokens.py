"""Personal API tokens: expiry, scopes, last use, the per-user cap, and the organization's list."""

from __future__ import annotations

import importlib
import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.apps import apps
from django.utils import timezone

from partnerdesk.access.principal import principal_for
from partnerdesk.accounts import services
from partnerdesk.accounts.models import ApiToken
from partnerdesk.api import api as ninja_api
from partnerdesk.audit.models import AuditEvent
from partnerdesk.conftest import ApiClient
from partnerdesk.testing import PASSWORD, World, database_state

pytestmark = pytest.mark.django_db


def token_for(world: World, key: str, **choices: Any) -> tuple[ApiClient, ApiToken]:
    """A client with a new token of the user `key`, made through the service (`choices`: scopes, days)."""
    new = services.create_token(principal_for(world.user(key), channel="api"), name="test", **choices)
    return ApiClient(new.raw), new.token


# --- Expiry -------------------------------------------------------------------------------------------


def test_a_new_token_expires_in_90_days_unless_chosen(api, world):
    made = api(None).post("/auth/tokens", {"email": "auditor@operator.test", "password": PASSWORD})
    chosen = api("a1.global_admin").post("/tokens", {"name": "nightly", "expires_in_days": 7})

    assert made.status_code == 201
    stored = ApiToken.objects.get(pk=made.json_body["id"])
    assert timedelta(days=89, hours=23) < stored.expires_at - timezone.now() <= timedelta(days=90)
    assert chosen.status_code == 201
    listed = {t["id"]: t for t in api("a1.global_admin").get("/tokens").json_body["items"]}
    expires = listed[chosen.json_body["id"]]["expires_at"]
    assert expires == chosen.json_body["expires_at"]
    assert (
        timedelta(days=6, hours=23)
        < ApiToken.objects.get(pk=chosen.json_body["id"]).expires_at - timezone.now()
    )


def test_an_expiry_beyond_the_maximum_is_refused_and_nothing_changes(api, world, settings):
    settings.API_TOKEN_MAX_DAYS = 30
    client = api("a1.global_admin")
    before = database_state()

    response = client.post("/tokens", {"name": "forever", "expires_in_days": 31})

    assert response.status_code == 400
    assert response.json_body["error"]["code"] == "invalid_expiry"
    assert database_state() == before


def test_an_expired_token_is_refused_like_an_unknown_one(world):
    client, token = token_for(world, "a1.global_admin")
    assert client.get("/me").status_code == 200
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    expired = client.get("/me")
    unknown = ApiClient("pd_no-such-token").get("/me")

    assert expired.status_code == unknown.status_code == 401
    assert expired.json_body == unknown.json_body
    assert expired.json_body["error"]["code"] == "not_authenticated"


def test_a_revoked_token_is_refused(world):
    client, token = token_for(world, "a1.global_admin")
    services.revoke_token(principal_for(world.user("a1.global_admin")), token)

    assert client.get("/me").status_code == 401


# --- Scopes -------------------------------------------------------------------------------------------


def test_a_read_only_token_reads_and_changes_nothing(world):
    client, _token = token_for(world, "a1.global_admin", scopes=["read"])
    before = database_state()

    created = client.post("/groups", {"name": "Finance"})
    new_token = client.post("/tokens", {"name": "wider"})

    assert created.status_code == 403
    assert created.json_body["error"]["code"] == "insufficient_scope"
    assert new_token.status_code == 403
    assert database_state() == before
    assert client.get("/groups").status_code == 200
    assert client.get("/tokens").status_code == 200


def test_an_area_token_reaches_only_its_areas(world):
    client, _token = token_for(world, "a1.global_admin", scopes=["directory"])
    before = database_state()

    outside = client.get("/support-requests")
    identity = client.post("/tokens", {"name": "wider"})

    assert outside.status_code == 403
    assert outside.json_body["error"]["code"] == "insufficient_scope"
    assert identity.status_code == 403
    assert database_state() == before
    assert client.get("/groups").status_code == 200
    assert client.post("/groups", {"name": "Finance"}).status_code == 201


def test_read_with_an_area_reads_only_that_area(world):
    client, _token = token_for(world, "a1.global_admin", scopes=["read", "support"])

    assert client.get("/support-requests").status_code == 200
    assert client.get("/groups").status_code == 403
    assert client.post("/support-requests", {"title": "x"}).status_code in (403, 422)


def test_scopes_never_grant_what_the_roles_do_not(world):
    client, _token = token_for(world, "a1.user", scopes=["directory"])
    before = database_state()

    response = client.post("/groups", {"name": "Finance"})

    assert response.status_code == 403
    assert response.json_body["error"]["code"] == "permission_denied"
    assert database_state() == before


def test_the_graph_surface_honours_scopes(world):
    client, _token = token_for(world, "a1.global_admin", scopes=["support"])
    path = "/graph/v1.0/admin/serviceAnnouncement/messages"

    refused = client.client.get(path, headers=client.headers)
    health_client, _ = token_for(world, "a1.global_admin", scopes=["health", "read"])
    admitted = health_client.client.get(path, headers=health_client.headers)

    assert refused.status_code == 403
    assert admitted.status_code == 200


def test_scopes_are_chosen_at_creation_and_listed(api, world):
    client = api("a1.global_admin")
    made = client.post("/tokens", {"name": "reports", "scopes": ["support", "read", "support"]})
    unknown = client.post("/tokens", {"name": "x", "scopes": ["everything"]})

    assert made.status_code == 201
    assert made.json_body["scopes"] == ["read", "support"]
    listed = {t["id"]: t for t in client.get("/tokens").json_body["items"]}
    assert listed[made.json_body["id"]]["scopes"] == ["read", "support"]
    assert unknown.status_code == 422


def test_the_openapi_document_describes_the_scopes(world):
    scheme = ninja_api.get_openapi_schema()["components"]["securitySchemes"]["TokenAuth"]

    for scope in ("read", "support", "subscriptions", "directory", "health", "catalog", "tenancy", "audit"):
        assert f"`{scope}`" in scheme["description"]
    assert "insufficient_scope" in scheme["description"]


# --- Last use -----------------------------------------------------------------------------------------


def test_last_use_is_noted_at_most_once_a_minute_with_the_address(world):
    client, token = token_for(world, "a1.global_admin")

    client.get("/me", REMOTE_ADDR="198.51.100.7")
    first = ApiToken.objects.get(pk=token.pk)
    client.get("/me", REMOTE_ADDR="203.0.113.9")
    second = ApiToken.objects.get(pk=token.pk)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now() - timedelta(minutes=2))
    client.get("/me", REMOTE_ADDR="203.0.113.9")
    third = ApiToken.objects.get(pk=token.pk)

    assert first.last_used_at is not None
    assert first.last_used_from == "198.51.100.7"
    assert (second.last_used_at, second.last_used_from) == (first.last_used_at, "198.51.100.7")
    assert third.last_used_from == "203.0.113.9"
    assert third.last_used_at > first.last_used_at
    listed = client.get("/tokens").json_body["items"]
    assert [t["last_used_from"] for t in listed if t["id"] == str(token.pk)] == ["203.0.113.9"]


# --- The cap ------------------------------------------------------------------------------------------


def test_a_user_holds_at_most_the_configured_number_of_live_tokens(api, world, settings):
    settings.API_TOKEN_MAX_PER_USER = 2
    api("a1.global_admin")  # the fixture already gave every user one token
    client, first = token_for(world, "a1.global_admin")
    before = database_state()

    refused = client.post("/tokens", {"name": "one too many"})

    assert refused.status_code == 409
    assert refused.json_body["error"]["code"] == "too_many_tokens"
    assert database_state() == before
    # The exchange of a password is capped the same way (its sign-in is logged: the password was right).
    exchanged = api(None).post("/auth/tokens", {"email": "global_admin@contoso.test", "password": PASSWORD})
    assert exchanged.status_code == 409
    assert ApiToken.objects.filter(user=world.user("a1.global_admin")).live().count() == 2
    services.revoke_token(principal_for(world.user("a1.global_admin")), first)
    assert (
        api(None)
        .post("/auth/tokens", {"email": "global_admin@contoso.test", "password": PASSWORD})
        .status_code
        == 201
    )


def test_expired_tokens_do_not_count_against_the_cap(world, settings):
    settings.API_TOKEN_MAX_PER_USER = 1
    _client, token = token_for(world, "a1.user")
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(days=1))

    services.create_token(principal_for(world.user("a1.user")), name="again")

    assert ApiToken.objects.filter(user=world.user("a1.user")).live().count() == 1


# --- The organization's tokens (API) --------------------------------------------------------------


def test_an_admin_lists_the_organizations_live_tokens_without_secrets(api, world):
    _client, token = token_for(world, "a1.user", scopes=["read"])
    _other, revoked = token_for(world, "a1.user")
    services.revoke_token(principal_for(world.user("a1.user")), revoked)
    token_for(world, "b1.global_admin")

    response = api("a1.global_admin").get("/organization/tokens")

    assert response.status_code == 200
    items = {item["id"]: item for item in response.json_body["items"]}
    assert str(token.pk) in items
    assert str(revoked.pk) not in items
    owners = {item["owner"]["email"] for item in items.values()}
    assert "admin@tailspin.test" not in owners
    listed = items[str(token.pk)]
    assert listed["owner"]["email"] == "user@contoso.test"
    assert listed["scopes"] == ["read"]
    assert {"created_at", "expires_at", "last_used_at", "prefix"} <= set(listed)
    assert "token" not in listed
    assert token.token_hash not in response.content.decode()


def test_an_admin_revokes_a_colleagues_token_audited(api, world):
    client, token = token_for(world, "a1.user")

    response = api("a1.global_admin").delete(f"/organization/tokens/{token.pk}")

    assert response.status_code == 204
    assert client.get("/me").status_code == 401
    event = AuditEvent.objects.get(action="api_token.revoked", object_id=str(token.pk))
    assert event.actor_email == "global_admin@contoso.test"
    assert event.after == {"owner": "user@contoso.test"}


def test_another_organizations_admin_cannot_revoke_it(api, world):
    _client, token = token_for(world, "a1.user")
    before = database_state()

    response = api("b1.global_admin").delete(f"/organization/tokens/{token.pk}")
    personal = api("b1.global_admin").delete(f"/tokens/{token.pk}")

    assert response.status_code == 404
    assert personal.status_code == 404
    assert database_state() == before


def test_a_plain_user_cannot_see_or_revoke_the_organizations_tokens(api, world):
    _client, token = token_for(world, "a1.global_admin")
    before = database_state()

    listed = api("a1.user").get("/organization/tokens")
    revoked = api("a1.user").delete(f"/organization/tokens/{token.pk}")
    anonymous = api(None).delete(f"/organization/tokens/{token.pk}")

    assert listed.status_code == 403
    assert revoked.status_code == 403
    assert anonymous.status_code == 401
    assert database_state() == before


def test_an_admin_does_not_revoke_a_colleagues_token_through_the_personal_endpoint(api, world):
    _client, token = token_for(world, "a1.user")
    before = database_state()

    response = api("a1.global_admin").delete(f"/tokens/{token.pk}")

    assert response.status_code == 404
    assert database_state() == before


# --- The organization's tokens (pages) ------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "page", "colleague"),
    [
        ("a1.global_admin", "/admin/users/tokens/", "a1.user"),
        ("a.partner_global_admin", "/partner/team/tokens/", "a.helpdesk_agent"),
        ("operator.operator_admin", "/operator/team/tokens/", "operator.auditor"),
    ],
)
def test_each_portal_lists_and_revokes_its_organizations_tokens(web, world, key, page, colleague):
    client_of_colleague, token = token_for(world, colleague)
    admin = web(key)

    listed = admin.get(page)
    revoked = admin.post(f"{page}{token.pk}/revoke/")

    assert listed.status_code == 200
    assert token.prefix in listed.content.decode()
    assert revoked.status_code == 302
    assert client_of_colleague.get("/me").status_code == 401
    assert AuditEvent.objects.filter(action="api_token.revoked", object_id=str(token.pk)).exists()


def test_the_token_pages_refuse_wrong_roles_and_other_organizations(web, world):
    _client, token = token_for(world, "a1.user")
    before = database_state()

    plain = web("a1.user")
    other = web("b1.global_admin")

    assert plain.get("/admin/users/tokens/").status_code == 403
    assert plain.post(f"/admin/users/tokens/{token.pk}/revoke/").status_code == 403
    assert other.post(f"/admin/users/tokens/{token.pk}/revoke/").status_code == 404
    assert web("a.partner_global_admin").post(f"/partner/team/tokens/{token.pk}/revoke/").status_code == 404
    assert web(None).get("/admin/users/tokens/").status_code == 302
    assert database_state() == before


def test_the_profile_creates_a_token_with_its_expiry_and_scopes(web, world):
    client = web("a1.global_admin")

    made = client.post("/account/tokens/", {"name": "nightly", "expires_in_days": "10", "scopes": ["read"]})
    page = client.get("/account/profile/")

    assert made.status_code == 302
    token = ApiToken.objects.get(user=world.user("a1.global_admin"), name="nightly")
    assert token.scopes == ["read"]
    assert timedelta(days=9, hours=23) < token.expires_at - timezone.now() <= timedelta(days=10)
    assert "nightly" in page.content.decode()


def test_the_profile_says_why_a_token_was_not_made(web, world, settings):
    settings.API_TOKEN_MAX_PER_USER = 1
    token_for(world, "a1.global_admin")
    client = web("a1.global_admin")
    before = database_state()

    response = client.post("/account/tokens/", {"name": "again", "expires_in_days": "10"})

    assert response.status_code == 409
    assert "live API tokens" in response.content.decode()
    assert database_state() == before


# --- The tokens made before expiry existed -------------------------------------------------------


def test_existing_tokens_expire_90_days_after_creation_but_not_at_once(world):
    migration = importlib.import_module("partnerdesk.accounts.migrations.0007_existing_tokens_expire")
    user = world.user("a1.user")
    now = timezone.now()
    recent = ApiToken.objects.create(
        user=user,
        name="recent",
        prefix="pd_r",
        token_hash=uuid.uuid4().hex,
        created_at=now - timedelta(days=10),
    )
    old = ApiToken.objects.create(
        user=user,
        name="old",
        prefix="pd_o",
        token_hash=uuid.uuid4().hex,
        created_at=now - timedelta(days=400),
    )

    migration.set_expiry(apps, None)

    recent.refresh_from_db()
    old.refresh_from_db()
    assert recent.expires_at == recent.created_at + timedelta(days=90)
    assert timedelta(days=13, hours=23) < old.expires_at - now <= timedelta(days=14, minutes=1)
