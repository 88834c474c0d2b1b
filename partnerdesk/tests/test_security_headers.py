"""Every kind of answer carries the security headers: pages, API answers and errors, Graph, 404s, static."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from django.test import Client, override_settings

from partnerdesk.csp import policy_header

# What every answer must say, whoever answers it (a view, ninja, the edge, WhiteNoise).
HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def assert_secured(response) -> None:
    for name, value in HEADERS.items():
        assert response.get(name) == value, (name, response.get(name))
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "style-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy


def test_the_policy_allows_nothing_inline_and_no_framing(settings):
    header = policy_header(settings.SECURE_CSP)

    assert header.startswith("default-src 'self'; script-src 'self'; style-src 'self'")
    assert "form-action 'self'" in header and "base-uri 'self'" in header


def test_a_page_carries_the_headers(web, world):
    response = web("a1.global_admin").get("/admin/")

    assert response.status_code == 200
    assert_secured(response)


def test_the_sign_in_page_and_its_redirect_carry_the_headers(db):
    client = Client()

    assert_secured(client.get("/account/signin/"))
    assert_secured(client.get("/admin/"))  # a redirect to sign-in


def test_an_api_answer_carries_the_headers(api, world):
    response = api("a1.global_admin").get("/me")

    assert response.status_code == 200
    assert_secured(response)


def test_an_api_error_carries_the_headers(api, world):
    refused = api(None).get("/me")
    unknown = api("a1.global_admin").get("/nope")
    wrong_method = api("a1.global_admin").delete("/me")

    assert (refused.status_code, unknown.status_code, wrong_method.status_code) == (401, 404, 405)
    for response in (refused, unknown, wrong_method):
        assert_secured(response)


def test_a_graph_answer_carries_the_headers(api, world):
    token = api("a1.global_admin").headers["Authorization"]

    answer = Client().get("/graph/v1.0/admin/serviceAnnouncement/messages", headers={"Authorization": token})
    missing = Client().get("/graph/v1.0/nope")

    assert (answer.status_code, missing.status_code) == (200, 404)
    assert_secured(answer)
    assert_secured(missing)


def test_a_page_404_carries_the_headers(web, world):
    response = web("a1.global_admin").get("/admin/nope/")

    assert response.status_code == 404
    assert_secured(response)


def test_a_static_file_carries_the_headers(db):
    response = Client().get("/static/portals/partnerdesk.css")

    assert response.status_code == 200
    assert_secured(response)


def test_over_http_there_is_no_hsts(db):
    response = Client().get("/account/signin/")

    assert "Strict-Transport-Security" not in response


@override_settings(SECURE_HSTS_SECONDS=31536000, SECURE_SSL_REDIRECT=True)
@pytest.mark.parametrize("path", ["/account/signin/", "/api/v1/me"])
def test_over_https_browsers_are_told_to_stay_on_https(db, path):
    plain = Client().get(path)
    secure = Client().get(path, secure=True)

    assert plain.status_code == 301 and plain["Location"].startswith("https://")
    assert secure["Strict-Transport-Security"] == "max-age=31536000"
    assert_secured(secure)


def test_https_turns_on_secure_cookies_hsts_and_the_redirect(tmp_path):
    """`HTTPS=1` in the environment is all an install served over HTTPS sets."""
    read = (
        "import json; from partnerdesk import settings as s; print(json.dumps([s.SESSION_COOKIE_SECURE,"
        " s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS, s.SECURE_SSL_REDIRECT]))"
    )
    environment = {**os.environ, "HTTPS": "1", "PARTNERDESK_DATA_DIR": str(tmp_path), "SECRET_KEY": "x" * 50}
    output = subprocess.run(
        [sys.executable, "-c", read], env=environment, capture_output=True, text=True, check=True
    ).stdout

    assert json.loads(output) == [True, True, 31536000, True]
