"""Signing in, temporary passwords, blocking, and password reset by e-mailed link."""

from __future__ import annotations

import re
from urllib.parse import urlparse

from django.core.management import call_command
from django.test import Client

from partnerdesk.access.principal import principal_for
from partnerdesk.accounts import services
from partnerdesk.accounts.models import User
from partnerdesk.audit.models import AuditEvent
from partnerdesk.conftest import fresh
from partnerdesk.notifications.models import OutboxMessage
from partnerdesk.testing import PASSWORD, database_state


def sign_in(client: Client, email: str, password: str):
    return client.post("/account/signin/", {"email": email, "password": password})


def test_a_user_signs_in_by_email_and_lands_in_their_portal(world):
    client = Client()

    response = sign_in(client, "Admin_Agent@Fabrikam.test", PASSWORD)

    assert response.status_code == 302
    assert client.get(response["Location"]).url == "/partner/"
    assert client.get("/partner/").status_code == 200


def test_each_kind_of_user_is_sent_to_their_own_portal(web, world):
    assert web("operator.auditor").get("/").url == "/operator/"
    assert web("a.billing_admin").get("/").url == "/partner/"
    assert web("a1.message_center_reader").get("/").url == "/admin/"
    plain = web("a1.user").get("/")
    assert plain.status_code == 200
    assert b"admin center is for administrators" in plain.content


def test_a_wrong_password_re_renders_the_form_with_a_message(world):
    response = sign_in(Client(), "admin_agent@fabrikam.test", "wrong")

    assert response.status_code == 400
    assert b"The e-mail or password is not correct." in response.content


def test_a_blocked_user_cannot_sign_in(world):
    User.objects.filter(email="admin_agent@fabrikam.test").update(blocked=True)

    response = sign_in(Client(), "admin_agent@fabrikam.test", PASSWORD)

    assert response.status_code == 400
    assert b"Sign-in is blocked" in response.content


def test_blocking_ends_an_open_session_and_the_api_tokens(web, api, world):
    client = web("a.helpdesk_agent")
    token_client = api("a.helpdesk_agent")
    assert client.get("/partner/").status_code == 200
    assert token_client.get("/me").status_code == 200

    services.set_blocked(
        principal_for(world.user("a.partner_global_admin")), world.user("a.helpdesk_agent"), blocked=True
    )

    assert client.get("/partner/").status_code == 302
    assert token_client.get("/me").status_code == 401


def test_a_temporary_password_must_be_changed_first(world):
    new = services.create_user(
        None,
        organization=world.partner_a,
        email="new@fabrikam.test",
        display_name="New",
        roles=["admin_agent"],
    )
    client = Client()

    signed_in = sign_in(client, "new@fabrikam.test", new.temporary_password)
    elsewhere = client.get("/partner/customers/")
    changed = client.post(
        "/account/password/",
        {
            "current_password": new.temporary_password,
            "new_password": "A-much-better-one-42",
            "confirm_password": "A-much-better-one-42",
        },
    )

    assert signed_in.url == "/account/password/"
    assert elsewhere.url == "/account/password/"
    assert changed.status_code == 302
    assert client.get("/partner/customers/").status_code == 200
    assert fresh(new.user).must_change_password is False
    assert AuditEvent.objects.filter(action="user.password_changed", object_id=str(new.user.pk)).count() == 1


def test_a_weak_new_password_is_refused_with_the_reason(world, web):
    client = web("a.admin_agent")
    before = database_state()

    response = client.post(
        "/account/password/",
        {"current_password": PASSWORD, "new_password": "123", "confirm_password": "123"},
    )

    assert response.status_code == 400
    assert b"too short" in response.content
    assert database_state() == before


def test_the_api_refuses_a_token_while_the_password_is_temporary(api, world):
    new = services.create_user(
        None,
        organization=world.partner_a,
        email="new@fabrikam.test",
        display_name="New",
        roles=["admin_agent"],
    )
    anonymous = api(None)

    refused = anonymous.post(
        "/auth/tokens", {"email": "new@fabrikam.test", "password": new.temporary_password}
    )
    changed = anonymous.post(
        "/auth/password",
        {
            "email": "new@fabrikam.test",
            "current_password": new.temporary_password,
            "new_password": "A-much-better-one-42",
        },
    )
    granted = anonymous.post(
        "/auth/tokens", {"email": "new@fabrikam.test", "password": "A-much-better-one-42"}
    )

    assert refused.status_code == 403
    assert refused.json_body["error"]["code"] == "password_change_required"
    assert changed.status_code == 200
    assert granted.status_code == 201
    assert granted.json_body["token"].startswith("pd_")


def test_a_token_works_until_revoked(api, world):
    anonymous = api(None)
    token = anonymous.post("/auth/tokens", {"email": "auditor@operator.test", "password": PASSWORD}).json_body

    from partnerdesk.conftest import ApiClient

    client = ApiClient(token["token"])
    assert client.get("/me").json_body["user"]["email"] == "auditor@operator.test"
    listed = client.get("/tokens").json_body["items"]
    assert token["prefix"] in [t["prefix"] for t in listed]
    assert token["token"] not in str(listed)
    assert client.delete(f"/tokens/{token['id']}").status_code == 204
    assert client.get("/me").status_code == 401


def test_nobody_revokes_someone_elses_token(api, world):
    token = api(None).post("/auth/tokens", {"email": "auditor@operator.test", "password": PASSWORD}).json_body
    before = database_state()

    response = api("operator.operator_admin").delete(f"/tokens/{token['id']}")

    assert response.status_code == 404
    assert database_state() == before


def test_tokens_are_stored_hashed(api, world):
    token = api(None).post("/auth/tokens", {"email": "auditor@operator.test", "password": PASSWORD}).json_body
    from partnerdesk.accounts.models import ApiToken

    stored = ApiToken.objects.get(pk=token["id"])
    assert token["token"] not in (stored.token_hash, stored.prefix)
    assert len(stored.token_hash) == 64


def test_a_wrong_password_gets_no_token(api, world):
    response = api(None).post("/auth/tokens", {"email": "auditor@operator.test", "password": "nope"})

    assert response.status_code == 401
    assert response.json_body["error"]["code"] == "invalid_credentials"


def test_password_reset_mails_a_link_that_sets_the_password(world, smtp_server):
    client = Client()

    asked = client.post("/account/password/reset/", {"email": "auditor@operator.test"})
    call_command("worker", "--once")

    assert asked.status_code == 200
    assert len(smtp_server.messages) == 1
    mail = smtp_server.messages[0]
    assert mail["To"] == "auditor@operator.test"
    assert mail["Subject"] == "Reset your Partnerdesk password"
    link = re.search(r"http://\S+/account/password/reset/\S+/", mail.get_content()).group(0)
    path = urlparse(link).path
    form = client.get(path)
    assert form.status_code == 200
    done = client.post(
        path, {"new_password": "Brand-new-secret-77", "confirm_password": "Brand-new-secret-77"}
    )
    assert done.url == "/account/signin/"
    assert fresh(world.user("operator.auditor")).check_password("Brand-new-secret-77")
    # The link works once.
    assert client.get(path).status_code == 400


def test_password_reset_for_an_unknown_address_says_the_same_and_sends_nothing(world, smtp_server):
    response = Client().post("/account/password/reset/", {"email": "nobody@nowhere.test"})
    call_command("worker", "--once")

    assert response.status_code == 200
    assert b"If an account uses" in response.content
    assert smtp_server.messages == []
    assert OutboxMessage.objects.count() == 0


def test_the_reset_mail_is_in_the_users_language(world, smtp_server):
    User.objects.filter(email="auditor@operator.test").update(language="es")

    Client().post("/account/password/reset/", {"email": "auditor@operator.test"})
    call_command("worker", "--once")

    assert smtp_server.messages[0]["Subject"] != "Reset your Partnerdesk password"


def test_signing_in_is_audited(world):
    sign_in(Client(), "auditor@operator.test", PASSWORD)

    event = AuditEvent.objects.get(action="user.signed_in")
    assert event.actor_email == "auditor@operator.test"
    assert event.channel == "web"


def test_the_api_accepts_the_browser_session_with_its_csrf_token(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.user("operator.auditor"), backend="partnerdesk.accounts.backends.EmailBackend")

    me = client.get("/api/v1/me")
    refused = client.post("/api/v1/tokens", {"name": "x"}, content_type="application/json")
    client.get("/account/profile/")  # sets the CSRF cookie
    allowed = client.post(
        "/api/v1/tokens",
        {"name": "x"},
        content_type="application/json",
        headers={"X-CSRFToken": client.cookies["csrftoken"].value},
    )

    assert me.status_code == 200
    assert me.json()["user"]["email"] == "auditor@operator.test"
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "csrf_failed"
    assert allowed.status_code == 201
