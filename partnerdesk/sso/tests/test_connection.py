"""Connecting, changing and removing the organization's identity provider: pages and API."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from partnerdesk.audit.models import AuditEvent
from partnerdesk.conftest import free_port
from partnerdesk.sso.models import SsoConnection
from partnerdesk.sso.tests.conftest import CLIENT_ID, CLIENT_SECRET, Provider, connect, verify_domain
from partnerdesk.testing import World, database_state

pytestmark = pytest.mark.django_db


class _Documents(BaseHTTPRequestHandler):
    """Serves whatever `documents` holds for a path, as JSON (or as given when it is bytes)."""

    documents: dict[str, Any] = {}

    def do_GET(self) -> None:
        found = self.documents.get(self.path)
        if found is None:
            self.send_response(404)
            self.end_headers()
            return
        body = found if isinstance(found, bytes) else json.dumps(found).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def impostor() -> Iterator[str]:
    """A real HTTP server on loopback that serves broken discovery documents."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Documents)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    _Documents.documents = {
        "/not-json/.well-known/openid-configuration": b"<html>hello</html>",
        "/other/.well-known/openid-configuration": {"issuer": "https://someone-else.test"},
        "/incomplete/.well-known/openid-configuration": {"issuer": f"{base}/incomplete"},
    }
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield base
    server.shutdown()


def _form(issuer: str, **extra: Any) -> dict[str, Any]:
    return {"issuer": issuer, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, **extra}


def test_a_global_admin_connects_the_provider_on_the_admin_center_page(
    contoso: World, oidc_provider: Provider, web
) -> None:
    client = web("a1.global_admin")
    page = client.get("/admin/settings/single-sign-on/")
    assert page.status_code == 200
    assert "contoso.test" in page.content.decode()
    assert "/account/sso/callback/" in page.content.decode()
    response = client.post("/admin/settings/single-sign-on/", _form(oidc_provider.issuer, just_in_time="on"))
    assert response.status_code == 302
    connection = SsoConnection.objects.get(organization=contoso.customer_a1)
    assert (connection.issuer, connection.client_id, connection.just_in_time) == (
        oidc_provider.issuer,
        CLIENT_ID,
        True,
    )
    assert CLIENT_SECRET.encode() not in bytes(connection.client_secret_sealed)
    event = AuditEvent.objects.get(action="sso.connected")
    assert event.after["client_secret"] == "set" and CLIENT_SECRET not in json.dumps(event.after)
    shown = client.get("/admin/settings/single-sign-on/").content.decode()
    assert CLIENT_SECRET not in shown and oidc_provider.issuer in shown


def test_changing_it_keeps_the_secret_when_left_empty_and_audits_what_changed(
    contoso: World, oidc_provider: Provider, web
) -> None:
    connection = connect(contoso, oidc_provider)
    sealed = bytes(connection.client_secret_sealed)
    client = web("a1.global_admin")
    response = client.post(
        "/admin/settings/single-sign-on/",
        {
            "issuer": oidc_provider.issuer,
            "client_id": CLIENT_ID,
            "require_sso": "on",
            "etag": connection.etag,
        },
    )
    assert response.status_code == 302
    connection.refresh_from_db()
    assert connection.require_sso and bytes(connection.client_secret_sealed) == sealed
    event = AuditEvent.objects.get(action="sso.changed")
    assert (event.before, event.after) == ({"require_sso": False}, {"require_sso": True})
    stale = client.post("/admin/settings/single-sign-on/", _form(oidc_provider.issuer, etag='"1"'))
    assert stale.status_code == 409


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/not-json", "is not a JSON object"),
        ("/other", "names the issuer https://someone-else.test"),
        ("/incomplete", "is not valid OpenID Connect metadata"),
        ("/missing", "answered HTTP 404"),
    ],
)
def test_an_invalid_discovery_document_is_a_form_error_and_nothing_is_saved(
    contoso: World, impostor: str, web, path: str, expected: str
) -> None:
    client = web("a1.global_admin")
    before = database_state()
    response = client.post("/admin/settings/single-sign-on/", _form(impostor + path))
    assert response.status_code == 400
    assert expected in response.content.decode()
    assert database_state() == before


def test_an_unreachable_provider_is_a_form_error_and_nothing_is_saved(contoso: World, web) -> None:
    before = database_state()
    response = web("a1.global_admin").post(
        "/admin/settings/single-sign-on/", _form(f"http://127.0.0.1:{free_port()}")
    )
    assert response.status_code == 400 and "could not be reached" in response.content.decode()
    assert database_state() == before


def test_a_provider_must_be_https_unless_it_is_on_loopback_and_the_install_allows_it(
    contoso: World, oidc_provider: Provider, web, settings: Any
) -> None:
    client = web("a1.global_admin")
    before = database_state()
    response = client.post("/admin/settings/single-sign-on/", _form("http://idp.example.test"))
    assert response.status_code == 400 and "must be an https:// address" in response.content.decode()
    settings.SSO_ALLOW_INSECURE_LOOPBACK = False
    response = client.post("/admin/settings/single-sign-on/", _form(oidc_provider.issuer))
    assert response.status_code == 400 and "must be an https:// address" in response.content.decode()
    assert database_state() == before


def test_require_sso_needs_a_verified_domain(world: World, oidc_provider: Provider, web) -> None:
    # Adatum verified no domain of its own; its initial domain alone covers nobody's real name, but it
    # is a verified domain (ADR 0004), so remove it to see the refusal.
    world.customer_a2.initial_domain = None
    world.customer_a2.save()
    before = database_state()
    response = web("a2.global_admin").post(
        "/admin/settings/single-sign-on/", _form(oidc_provider.issuer, require_sso="on")
    )
    assert response.status_code == 400 and "Verify a domain first" in response.content.decode()
    assert database_state() == before


@pytest.mark.parametrize("key", ["a1.user_admin", "a1.user", "a.admin_agent", "b.partner_global_admin"])
def test_other_roles_and_outsiders_cannot_reach_the_admin_center_page(
    contoso: World, oidc_provider: Provider, web, key: str
) -> None:
    connect(contoso, oidc_provider)
    client = web(key)
    before = database_state()
    assert client.get("/admin/settings/single-sign-on/").status_code == 403
    assert (
        client.post(
            "/admin/settings/single-sign-on/", _form(oidc_provider.issuer, require_sso="on")
        ).status_code
        == 403
    )
    assert client.post("/admin/settings/single-sign-on/remove/", {"confirmed": "1"}).status_code == 403
    assert database_state() == before


def test_a_partner_acting_for_the_customer_cannot_connect_its_provider(
    contoso: World, oidc_provider: Provider, web
) -> None:
    # Delegated global admin of Contoso: everything but what is not delegable, single sign-on among it.
    client = web("a.admin_agent")
    session = client.session
    session["acting_for"] = str(contoso.customer_a1.pk)
    session.save()
    before = database_state()
    assert client.get("/admin/settings/").status_code == 200  # the delegation works
    assert client.get("/admin/settings/single-sign-on/").status_code == 403
    assert client.post("/admin/settings/single-sign-on/", _form(oidc_provider.issuer)).status_code == 403
    assert database_state() == before


def test_removing_asks_first_then_disconnects_audited(contoso: World, oidc_provider: Provider, web) -> None:
    connection = connect(contoso, oidc_provider)
    client = web("a1.global_admin")
    asked = client.post("/admin/settings/single-sign-on/remove/", {"etag": connection.etag})
    assert asked.status_code == 200 and SsoConnection.objects.exists()
    done = client.post("/admin/settings/single-sign-on/remove/", {"etag": connection.etag, "confirmed": "1"})
    assert done.status_code == 302 and not SsoConnection.objects.exists()
    assert AuditEvent.objects.get(action="sso.removed").before["issuer"] == oidc_provider.issuer


def test_a_partner_global_admin_connects_its_own_provider_without_just_in_time(
    world: World, oidc_provider: Provider, web
) -> None:
    verify_domain(world.partner_a, "fabrikam.test")
    client = web("a.partner_global_admin")
    page = client.get("/partner/single-sign-on/")
    assert page.status_code == 200 and 'name="just_in_time"' not in page.content.decode()
    assert client.post("/partner/single-sign-on/", _form(oidc_provider.issuer)).status_code == 302
    assert SsoConnection.objects.get().organization == world.partner_a
    assert web("a.admin_agent").get("/partner/single-sign-on/").status_code == 403
    assert web("a1.global_admin").get("/partner/single-sign-on/").status_code == 403


# --- API -----------------------------------------------------------------------------------------


def test_the_api_connects_reads_changes_with_if_match_and_deletes(
    contoso: World, oidc_provider: Provider, api
) -> None:
    admin = api("a1.global_admin")
    assert admin.get("/sso-connection").status_code == 404
    created = admin.put("/sso-connection", _form(oidc_provider.issuer))
    assert created.status_code == 200, created.json_body
    assert created.json_body["client_secret_set"] is True and "client_secret" not in created.json_body
    assert created.json_body["domains"] == ["contoso.partnerdesk.test", "contoso.test"]
    etag = created["ETag"]
    read = admin.get("/sso-connection")
    assert read.json_body["issuer"] == oidc_provider.issuer and read["ETag"] == etag
    changed = admin.put(
        "/sso-connection",
        {"issuer": oidc_provider.issuer, "client_id": CLIENT_ID, "require_sso": True},
        headers={"If-Match": etag},
    )
    assert changed.status_code == 200 and changed.json_body["require_sso"] is True
    before = database_state()
    stale = admin.put("/sso-connection", _form(oidc_provider.issuer), headers={"If-Match": etag})
    assert stale.status_code == 412 and database_state() == before
    assert admin.delete("/sso-connection", headers={"If-Match": etag}).status_code == 412
    assert admin.delete("/sso-connection", headers={"If-Match": changed["ETag"]}).status_code == 204
    assert not SsoConnection.objects.exists()


def test_the_api_refuses_an_invalid_provider_with_its_code_and_saves_nothing(
    contoso: World, impostor: str, api
) -> None:
    before = database_state()
    answer = api("a1.global_admin").put("/sso-connection", _form(impostor + "/other"))
    assert answer.status_code == 400 and answer.json_body["error"]["code"] == "sso_issuer_mismatch"
    assert database_state() == before


@pytest.mark.parametrize(
    ("key", "status"),
    [("a1.user_admin", 403), ("a.admin_agent", 403), ("operator.operator_admin", 403), (None, 401)],
)
def test_the_api_refuses_other_roles_and_anonymous_with_nothing_changed(
    contoso: World, oidc_provider: Provider, api, key: str | None, status: int
) -> None:
    connect(contoso, oidc_provider)
    client = api(key)
    before = database_state()
    assert client.get("/sso-connection").status_code == status
    assert client.put("/sso-connection", _form(oidc_provider.issuer, require_sso=True)).status_code == status
    assert client.delete("/sso-connection").status_code == status
    assert database_state() == before


def test_the_api_acting_on_behalf_of_the_customer_is_refused(
    contoso: World, oidc_provider: Provider, api
) -> None:
    connect(contoso, oidc_provider)
    client = api("a.admin_agent", on_behalf_of=contoso.customer_a1.pk)
    before = database_state()
    assert client.get("/sso-connection").status_code == 403
    assert client.delete("/sso-connection").status_code == 403
    assert database_state() == before


def test_a_partner_outsider_sees_only_its_own_organization(
    contoso: World, oidc_provider: Provider, api
) -> None:
    connect(contoso, oidc_provider)
    # Litware's global admin holds sso.manage, but only for Litware, which has no connection.
    assert api("b.partner_global_admin").get("/sso-connection").status_code == 404
