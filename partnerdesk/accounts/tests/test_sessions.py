"""Sessions time out when idle and after a fixed time, and a user sees and ends their other sessions."""

from __future__ import annotations

import time
from datetime import timedelta

from django.test import Client

from partnerdesk.accounts import jobs, sessions
from partnerdesk.accounts.models import UserSession
from partnerdesk.audit.models import AuditEvent
from partnerdesk.notifications.jobs import REGISTRY
from partnerdesk.testing import PASSWORD, database_state

ADMIN = "global_admin@contoso.test"  # a1.global_admin


def signed_in(email: str = ADMIN, *, browser: str = "Firefox/130.0") -> Client:
    """A client signed in through the sign-in form, as a browser would be."""
    client = Client(headers={"User-Agent": browser})
    response = client.post("/account/signin/", {"email": email, "password": PASSWORD})
    assert response.status_code == 302, response.content[:300]
    return client


def stamp(client: Client, **ago: timedelta) -> None:
    """Pretend the client's session started and was last seen that long ago."""
    session = client.session
    now = time.time()
    for name, key in (("started", sessions.STARTED), ("seen", sessions.SEEN)):
        if name in ago:
            session[key] = now - ago[name].total_seconds()
    session.save()


def is_signed_in(client: Client) -> bool:
    return client.get("/account/profile/").status_code == 200


def test_signing_in_records_the_session_under_its_user(world):
    client = signed_in()

    row = UserSession.objects.get(session_key=client.session.session_key)
    assert row.user == world.user("a1.global_admin")
    assert row.user_agent == "Firefox/130.0" and row.ip_address == "127.0.0.1"


def test_signing_out_forgets_the_session(world):
    client = signed_in()
    key = client.session.session_key

    client.post("/account/signout/")

    assert not UserSession.objects.filter(session_key=key).exists()
    assert not is_signed_in(client)


def test_an_idle_session_ends_and_the_user_is_sent_to_sign_in_with_a_message(world, settings):
    settings.SESSION_IDLE_TIMEOUT_MINUTES = 30
    client = signed_in()
    key = client.session.session_key
    stamp(client, seen=timedelta(minutes=31))

    response = client.get("/admin/", follow=True)

    assert response.redirect_chain[-1][0] == "/account/signin/?next=%2Fadmin%2F"
    assert "Your session expired. Sign in again to continue." in response.content.decode()
    assert not UserSession.objects.filter(session_key=key).exists()
    assert not is_signed_in(client)


def test_a_session_in_use_ends_at_the_absolute_timeout(world, settings):
    settings.SESSION_ABSOLUTE_TIMEOUT_HOURS = 8
    client = signed_in()
    stamp(client, started=timedelta(hours=8, minutes=1), seen=timedelta(seconds=5))

    response = client.get("/admin/")

    assert response.status_code == 302 and response["Location"].startswith("/account/signin/")
    assert not is_signed_in(client)


def test_an_active_session_within_its_timeouts_goes_on_and_is_seen_at_most_once_a_minute(world):
    client = signed_in()
    row = UserSession.objects.get(session_key=client.session.session_key)

    assert is_signed_in(client)
    assert UserSession.objects.get(pk=row.pk).last_seen_at == row.last_seen_at
    stamp(client, seen=timedelta(minutes=2))
    assert is_signed_in(client)
    assert UserSession.objects.get(pk=row.pk).last_seen_at > row.last_seen_at


def test_an_api_call_on_an_expired_session_is_a_401(world):
    client = signed_in()
    stamp(client, seen=timedelta(days=1))

    response = client.get("/api/v1/me")

    assert response.status_code == 401


def test_a_user_sees_their_sessions_and_signs_out_of_another(world):
    laptop = signed_in(browser="Firefox/130.0")
    phone = signed_in(browser="Mobile Safari/17.0")
    phone_session = UserSession.objects.get(session_key=phone.session.session_key)

    page = laptop.get("/account/sessions/").content.decode()
    assert "Firefox/130.0" in page and "Mobile Safari/17.0" in page and "This browser" in page

    response = laptop.post(f"/account/sessions/{phone_session.pk}/end/", follow=True)

    assert "That session was signed out." in response.content.decode()
    assert not is_signed_in(phone)
    assert is_signed_in(laptop)
    assert not UserSession.objects.filter(pk=phone_session.pk).exists()
    assert AuditEvent.objects.filter(action="user.session_ended").count() == 1


def test_a_user_signs_out_of_every_other_session_at_once(world):
    laptop = signed_in()
    others = [signed_in(browser=f"Browser/{n}") for n in range(2)]
    other_user = signed_in("admin@adatum.test")

    response = laptop.post("/account/sessions/end-others/", follow=True)

    assert "2 other sessions were signed out." in response.content.decode()
    assert not any(is_signed_in(client) for client in others)
    assert is_signed_in(laptop) and is_signed_in(other_user)


def test_nobody_ends_someone_elses_session(world, web):
    victim = signed_in()
    victim_session = UserSession.objects.get(session_key=victim.session.session_key)
    same_organization = web("a1.user")
    outsider = web("outsider")
    before = database_state()

    for client in (same_organization, outsider):
        assert client.post(f"/account/sessions/{victim_session.pk}/end/").status_code == 404
        assert "Firefox/130.0" not in client.get("/account/sessions/").content.decode()

    assert database_state() == before
    assert UserSession.objects.filter(pk=victim_session.pk).exists()
    assert is_signed_in(victim)


def test_sessions_past_their_timeouts_are_not_listed(world, settings):
    client = signed_in()
    stale = signed_in(browser="Stale/1.0")
    UserSession.objects.filter(session_key=stale.session.session_key).update(
        last_seen_at=UserSession.objects.get(session_key=stale.session.session_key).last_seen_at
        - timedelta(minutes=settings.SESSION_IDLE_TIMEOUT_MINUTES + 1)
    )

    page = client.get("/account/sessions/").content.decode()

    assert "Stale/1.0" not in page and "This browser" in page


def test_a_password_change_ends_the_other_sessions_and_keeps_this_one(world):
    laptop = signed_in()
    phone = signed_in(browser="Mobile Safari/17.0")
    new_password = "Another-horse-battery-7"

    response = laptop.post(
        "/account/password/",
        {"current_password": PASSWORD, "new_password": new_password, "confirm_password": new_password},
    )

    assert response.status_code == 302, response.content[:500]
    assert is_signed_in(laptop) and not is_signed_in(phone)
    assert list(UserSession.objects.values_list("session_key", flat=True)) == [laptop.session.session_key]


def test_blocking_a_user_ends_their_sessions(world, web):
    agent = world.user("a.helpdesk_agent")
    blocked = signed_in(agent.email)

    web("a.partner_global_admin").post(f"/partner/team/{agent.pk}/block/", {"blocked": "1"})

    assert not is_signed_in(blocked)
    assert not UserSession.objects.filter(user=agent).exists()


def test_the_worker_forgets_sessions_past_their_timeouts(world, settings):
    live = signed_in()
    ended = signed_in(browser="Closed/1.0")
    ended_key = ended.session.session_key
    UserSession.objects.filter(session_key=ended_key).update(
        created_at=UserSession.objects.get(session_key=ended_key).created_at
        - timedelta(hours=settings.SESSION_ABSOLUTE_TIMEOUT_HOURS + 1)
    )

    assert REGISTRY["accounts.forget_ended_sessions"].function is jobs.forget_ended_sessions
    jobs.forget_ended_sessions()

    assert list(UserSession.objects.values_list("session_key", flat=True)) == [live.session.session_key]
    assert not is_signed_in(ended) and is_signed_in(live)
