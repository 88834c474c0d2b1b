"""Organization settings, the password and lockout policy at sign-in and change, and the sign-in log."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from partnerdesk.accounts.models import User
from partnerdesk.audit.models import AuditEvent
from partnerdesk.conftest import fresh
from partnerdesk.directory.models import SecuritySettings, SignInEvent
from partnerdesk.testing import PASSWORD, database_state

pytestmark = pytest.mark.django_db


def _sign_in(email, password=PASSWORD):
    return Client().post("/account/signin/", {"email": email, "password": password})


def test_the_organization_profile_and_policy_through_the_api(api, world):
    client = api("a1.global_admin")
    assert client.get("/organization").json_body["password_min_length"] == 10

    response = client.patch(
        "/organization",
        {
            "address": "1 Lake Rd",
            "time_zone": "Asia/Shanghai",
            "password_min_length": 14,
            "lockout_threshold": 3,
        },
    )

    assert response.status_code == 200, response.json_body
    assert response.json_body["address"] == "1 Lake Rd"
    assert response.json_body["password_min_length"] == 14
    assert response.json_body["lockout_threshold"] == 3
    assert {e.action for e in AuditEvent.objects.all()} == {
        "customer.updated",
        "organization.security_changed",
    }


def test_organization_changes_need_a_global_admin(api, world):
    before = database_state()
    assert api("a1.user_admin").patch("/organization", {"name": "X"}).status_code == 403
    assert api("a1.global_admin").patch("/organization", {"password_min_length": 3}).status_code == 422
    assert api("a1.global_admin").patch("/organization", {"time_zone": "Mars/Base"}).status_code == 400
    assert api("a.partner_global_admin").get("/organization").status_code == 403
    assert database_state() == before


def test_a_longer_minimum_length_requires_a_new_password_at_sign_in_and_on_change(world):
    SecuritySettings.objects.create(organization=world.customer_a1, password_min_length=30)
    user = world.user("a1.user")

    signed_in = _sign_in(user.email)

    assert signed_in.url == "/account/password/"
    assert fresh(user).must_change_password
    event = SignInEvent.objects.get(user=user)
    assert (event.result, event.reason) == ("success", "password_too_short")
    client = Client()
    client.post("/account/signin/", {"email": user.email, "password": PASSWORD})
    assert b"password policy changed" in client.get("/account/password/").content
    short = client.post(
        "/account/password/",
        {
            "current_password": PASSWORD,
            "new_password": "Short-but-valid-123",
            "confirm_password": "Short-but-valid-123",
        },
    )
    assert short.status_code == 400
    assert b"at least 30 characters" in short.content
    long = "A-much-longer-passphrase-of-30+"
    ok = client.post(
        "/account/password/", {"current_password": PASSWORD, "new_password": long, "confirm_password": long}
    )
    assert ok.status_code == 302
    assert not fresh(user).must_change_password
    assert fresh(user).password_changed_at is not None


def test_an_expired_password_must_be_changed(world):
    SecuritySettings.objects.create(organization=world.customer_a1, password_expiry_days=30)
    user = world.user("a1.user")
    User.objects.filter(pk=user.pk).update(password_changed_at=timezone.now() - timedelta(days=31))

    assert _sign_in(user.email).url == "/account/password/"
    assert SignInEvent.objects.get(user=user).reason == "password_expired"


def _sign_in_from(address, email, password=PASSWORD):
    return Client(REMOTE_ADDR=address).post("/account/signin/", {"email": email, "password": password})


def test_the_policy_threshold_throttles_the_account_from_that_address_only(world):
    SecuritySettings.objects.create(organization=world.customer_a1, lockout_threshold=3, lockout_minutes=10)
    user = world.user("a1.user")

    for _ in range(3):
        assert _sign_in_from("198.51.100.7", user.email, "wrong-password").status_code == 400
    throttled = _sign_in_from("198.51.100.7", user.email)
    elsewhere = _sign_in_from("203.0.113.9", user.email)

    assert throttled.status_code == 429
    assert 9 * 60 < int(throttled["Retry-After"]) <= 10 * 60
    assert b"Too many sign-in attempts" in throttled.content
    assert elsewhere.status_code == 302
    results = list(SignInEvent.objects.filter(user=user).order_by("id").values_list("result", flat=True))
    assert results == ["failure", "failure", "locked", "success"]


def test_each_failure_after_a_throttle_doubles_the_next_one(world):
    from partnerdesk.ratelimits.models import RateCounter

    SecuritySettings.objects.create(organization=world.customer_a1, lockout_threshold=2, lockout_minutes=1)
    user = world.user("a1.user")
    _sign_in_from("198.51.100.7", user.email, "wrong-password")
    waits = []
    for _ in range(4):
        _sign_in_from("198.51.100.7", user.email, "wrong-password")
        waits.append(int(_sign_in_from("198.51.100.7", user.email)["Retry-After"]))
        RateCounter.objects.filter(blocked_until__isnull=False).update(blocked_until=timezone.now())

    assert waits == [60, 120, 240, 480]


def test_a_blocked_user_is_logged_as_blocked(world):
    user = world.user("a1.user")
    User.objects.filter(pk=user.pk).update(blocked=True)
    assert _sign_in(user.email).status_code == 400
    assert SignInEvent.objects.get(user=user).result == "blocked"


def test_the_sign_in_log_filters_and_exports(api, web, world):
    _sign_in(world.user("a1.user").email, "nope")
    _sign_in(world.user("a1.user").email)
    _sign_in(world.user("a2.global_admin").email)  # another tenant's

    everything = api("a1.global_admin").get("/sign-ins").json_body["items"]
    failures = api("a1.global_admin").get("/sign-ins?result=failure").json_body["items"]

    assert [(e["user_principal_name"], e["result"]) for e in everything] == [
        ("user@contoso.test", "success"),
        ("user@contoso.test", "failure"),
    ]
    assert [e["reason"] for e in failures] == ["wrong_password"]
    page = web("a1.global_admin").get("/admin/sign-ins/?result=failure")
    assert page.status_code == 200
    assert b"Wrong password" in page.content
    exported = web("a1.global_admin").get("/admin/sign-ins/?format=csv")
    lines = b"".join(exported.streaming_content).decode().strip().splitlines()
    assert lines[0] == "id,at,user,result,reason,channel,ip_address,method"
    assert len(lines) == 3
    assert api("a1.licence_admin").get("/sign-ins").status_code == 403
    assert web("a1.licence_admin").get("/admin/sign-ins/").status_code == 403


def test_the_settings_page_saves_each_section(web, world):
    client = web("a1.global_admin")
    page = client.get("/admin/settings/")
    assert page.status_code == 200
    assert b"/admin/relationships/" in page.content and b"/admin/audit/" in page.content

    saved = client.post(
        "/admin/settings/",
        {
            "section": "security",
            "password_min_length": "16",
            "password_expiry_days": "90",
            "lockout_threshold": "5",
            "lockout_minutes": "30",
        },
    )
    assert saved.status_code == 302
    assert SecuritySettings.objects.get(organization=world.customer_a1).password_min_length == 16
    release = client.post("/admin/settings/", {"section": "release", "release_preference": "targeted_admins"})
    assert release.status_code == 302
    profile = client.post(
        "/admin/settings/",
        {
            "section": "profile",
            "name": "Contoso Ltd",
            "language": "en",
            "time_zone": "Asia/Shanghai",
            "technical_contact_name": "Ivy",
            "contact_email": "it@contoso.test",
        },
    )
    assert profile.status_code == 302
    world.customer_a1.refresh_from_db()
    assert world.customer_a1.name == "Contoso Ltd"
    assert SecuritySettings.objects.get(organization=world.customer_a1).technical_contact_name == "Ivy"
    bad = client.post("/admin/settings/", {"section": "security", "password_min_length": "2"})
    assert bad.status_code == 400


def test_the_settings_page_refuses_others(web, world):
    before = database_state()
    assert web("a1.user_admin").get("/admin/settings/").status_code == 403
    assert (
        web("a1.user_admin")
        .post("/admin/settings/", {"section": "release", "release_preference": "standard"})
        .status_code
        == 403
    )
    assert database_state() == before
