"""Sign-in throttles, the password reset and API limits, and the client address behind a proxy."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client, RequestFactory

from partnerdesk.errors import RateLimited
from partnerdesk.notifications.models import OutboxMessage
from partnerdesk.ratelimits.services import client_address, count_api_request
from partnerdesk.testing import PASSWORD, World

pytestmark = pytest.mark.django_db
WRONG = "Wrong-password-1"


def _exchange(address: str, email: str, password: str = WRONG, **headers: str) -> Any:
    client = Client(REMOTE_ADDR=address)
    response = client.post(
        "/api/v1/auth/tokens",
        {"email": email, "password": password},
        content_type="application/json",
        headers=headers,
    )
    return response.status_code, response.json(), response.get("Retry-After")


def _web_sign_in(address: str, email: str, password: str = WRONG) -> Any:
    return Client(REMOTE_ADDR=address).post("/account/signin/", {"email": email, "password": password})


def test_an_unknown_e_mail_is_answered_exactly_like_a_wrong_password(world: World) -> None:
    known = [_exchange("198.51.100.1", world.user("a1.user").email) for _ in range(12)]
    unknown = [_exchange("198.51.100.2", "nobody@contoso.test") for _ in range(12)]

    assert known == unknown
    assert [status for status, _body, _retry in known] == [401] * 10 + [429] * 2
    assert known[0][1] == {
        "error": {"code": "invalid_credentials", "message": "The e-mail or password is not correct."}
    }
    assert known[-1][1]["error"]["code"] == "rate_limited"
    assert known[-1][2] == "900"  # the policy's default first delay, 15 minutes


def test_a_throttled_account_refuses_even_the_right_password_from_that_address(world: World) -> None:
    email = world.user("a1.user").email
    for _ in range(10):
        _exchange("198.51.100.1", email)

    assert _exchange("198.51.100.1", email, PASSWORD)[0] == 429
    assert _exchange("203.0.113.5", email, PASSWORD)[0] == 201


def test_failures_under_an_idempotency_key_still_count(world: World) -> None:
    email = world.user("a1.user").email
    statuses = [
        _exchange("198.51.100.1", email, **{"Idempotency-Key": f"guess-{attempt}"})[0]
        for attempt in range(11)
    ]
    assert statuses == [401] * 10 + [429]


def test_many_addresses_throttle_the_account_but_not_from_the_owners_address(
    world: World, settings: Any
) -> None:
    settings.SIGN_IN_FAILURES_PER_ACCOUNT = 5
    email = world.user("a1.user").email
    assert _exchange("203.0.113.5", email, PASSWORD)[0] == 201  # the owner's usual address

    for attacker in range(5):
        assert _exchange(f"198.51.100.{attacker}", email)[0] == 401

    assert _exchange("198.51.100.99", email, PASSWORD)[0] == 429  # a new address
    assert _exchange("203.0.113.5", email, PASSWORD)[0] == 201


def test_one_address_trying_many_accounts_is_throttled(world: World, settings: Any) -> None:
    settings.SIGN_IN_FAILURES_PER_ADDRESS = 4
    for victim in ("a1.user", "a1.global_admin", "a1.user_admin", "a2.global_admin"):
        assert _exchange("198.51.100.1", world.user(victim).email)[0] == 401

    assert _exchange("198.51.100.1", world.user("a.admin_agent").email, PASSWORD)[0] == 429
    assert _exchange("198.51.100.2", world.user("a.admin_agent").email, PASSWORD)[0] == 201


def test_the_sign_in_page_says_so_with_429_and_the_form_again(world: World) -> None:
    email = world.user("a1.user").email
    for _ in range(10):
        assert _web_sign_in("198.51.100.1", email).status_code == 400

    page = _web_sign_in("198.51.100.1", email, PASSWORD)

    assert page.status_code == 429
    assert page["Retry-After"] == "900"
    assert b"Too many sign-in attempts. Try again in 15 minutes." in page.content
    assert b'name="password"' in page.content
    assert "_auth_user_id" not in page.client.session


def test_password_reset_requests_are_limited_per_account(world: World, settings: Any) -> None:
    settings.PASSWORD_RESETS_PER_ACCOUNT_PER_HOUR = 2
    email = world.user("a1.user").email
    pages = [
        Client(REMOTE_ADDR=f"198.51.100.{n}").post("/account/password/reset/", {"email": email})
        for n in range(3)
    ]

    assert [page.status_code for page in pages] == [200, 200, 429]
    assert 3590 <= int(pages[2]["Retry-After"]) <= 3600
    assert b"Too many password reset requests" in pages[2].content
    assert OutboxMessage.objects.filter(kind="password_reset").count() == 2


def test_password_reset_requests_are_limited_per_address(world: World, settings: Any) -> None:
    settings.PASSWORD_RESETS_PER_ADDRESS_PER_HOUR = 2
    client = Client(REMOTE_ADDR="198.51.100.1")
    statuses = [
        client.post("/account/password/reset/", {"email": world.user(key).email}).status_code
        for key in ("a1.user", "a1.global_admin", "a2.global_admin")
    ]
    assert statuses == [200, 200, 429]


def test_each_credential_has_its_calls_a_minute(api: Any, settings: Any) -> None:
    settings.API_REQUESTS_PER_MINUTE = 3
    agent, other = api("a.admin_agent"), api("b.admin_agent")
    answers = [agent.get("/me") for _ in range(4)]

    assert [answer.status_code for answer in answers] == [200, 200, 200, 429]
    assert answers[3].json_body["error"]["code"] == "rate_limited"
    assert 55 <= int(answers[3]["Retry-After"]) <= 60
    assert other.get("/me").status_code == 200


@pytest.mark.parametrize(
    ("trusted", "remote", "forwarded", "expected"),
    [
        ([], "10.0.0.2", "198.51.100.1", "10.0.0.2"),  # no proxy trusted: the header is the client's
        (["10.0.0.0/8"], "192.0.2.1", "198.51.100.1", "192.0.2.1"),  # not sent by a trusted proxy
        (["10.0.0.0/8"], "10.0.0.2", "198.51.100.1", "198.51.100.1"),
        (["10.0.0.0/8"], "10.0.0.2", "6.6.6.6, 198.51.100.1, 10.0.0.3", "198.51.100.1"),  # forged first hop
        (["10.0.0.0/8"], "10.0.0.2", "", "10.0.0.2"),
        (["10.0.0.0/8"], "10.0.0.2", "not-an-address", "10.0.0.2"),
    ],
)
def test_the_client_address_is_the_first_hop_no_trusted_proxy_wrote(
    settings: Any, trusted: list[str], remote: str, forwarded: str, expected: str
) -> None:
    settings.TRUSTED_PROXIES = trusted
    request = RequestFactory().get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)
    assert client_address(request) == expected


def test_counting_a_call_is_one_statement(db: Any, settings: Any, django_assert_num_queries: Any) -> None:
    settings.API_REQUESTS_PER_MINUTE = 2
    with django_assert_num_queries(1):
        count_api_request("token:one")
    count_api_request("token:one")
    with pytest.raises(RateLimited) as refused:
        count_api_request("token:one")

    assert 55 <= refused.value.retry_after <= 60
