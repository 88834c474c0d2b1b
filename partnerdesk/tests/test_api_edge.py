"""The API's edge: every error is JSON in one shape, and no input makes a server error.

Each case is a reproduction of a request that once answered a 500, an HTML page or a silent success.
"""

from __future__ import annotations

import json

import pytest
from django.test import Client

from partnerdesk.health.testing import published_posts
from partnerdesk.testing import database_state


def error_code(response) -> str:
    assert response["Content-Type"].startswith("application/json"), response.content[:200]
    return response.json()["error"]["code"]


# --- Errors no operation answered --------------------------------------------------------------


def test_an_unknown_api_path_is_a_json_404(db):
    response = Client().get("/api/v1/nope")

    assert response.status_code == 404
    assert error_code(response) == "not_found"
    assert response.json()["error"]["message"]


def test_a_wrong_method_is_a_json_405_that_says_what_is_allowed(api, world):
    response = api("a1.global_admin").delete("/me")

    assert response.status_code == 405
    assert error_code(response) == "method_not_allowed"
    assert "GET" in response["Allow"]


def test_the_graph_surface_answers_unknown_paths_and_wrong_methods_in_json(api, world):
    client = Client()

    missing = client.get("/graph/v1.0/nope")
    wrong = client.delete("/graph/v1.0/admin/serviceAnnouncement/issues")

    assert missing.status_code == 404 and error_code(missing) == "NotFound"
    assert wrong.status_code == 405 and error_code(wrong) == "MethodNotAllowed"
    assert wrong["Allow"] == "GET"


def test_pages_keep_their_html_404(web, world):
    response = web("a1.global_admin").get("/admin/nope/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


# --- One way to decode a body ------------------------------------------------------------------


@pytest.mark.parametrize("body", ["0", '""', "[]", "null", "true"])
def test_a_body_that_is_not_an_object_is_refused(api, world, body):
    before = database_state()

    response = api("operator.operator_admin")._call(
        "patch", f"/partners/{world.partner_a.pk}", data=body, content_type="application/json"
    )

    assert response.status_code == 422
    assert error_code(response) == "validation_error"
    assert database_state() == before


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded"])
def test_json_in_another_content_type_is_refused(api, world, content_type):
    before = database_state()

    response = api("operator.operator_admin")._call(
        "patch",
        f"/partners/{world.partner_a.pk}",
        data=json.dumps({"phone": "+1 555 0100"}),
        content_type=content_type,
    )

    assert response.status_code == 415
    assert error_code(response) == "unsupported_media_type"
    assert database_state() == before


def test_malformed_json_is_refused_with_a_code(api, world):
    before = database_state()

    response = api("operator.operator_admin")._call(
        "patch", f"/partners/{world.partner_a.pk}", data='{"phone": ', content_type="application/json"
    )

    assert response.status_code == 400
    assert error_code(response) == "invalid_json"
    assert database_state() == before


# --- NUL: PostgreSQL cannot store it -----------------------------------------------------------


def test_a_nul_in_a_title_is_a_validation_error_naming_the_field(api, world):
    before = database_state()

    response = api("a1.global_admin").post(
        "/support-requests",
        {
            "title": "Mail\u0000stopped",
            "description": "Since this morning no external mail reaches our mailboxes.",
            "severity": "moderate",
            "contact_name": "Chen",
            "contact_email": "chen@contoso.test",
        },
    )

    assert response.status_code == 422
    assert error_code(response) == "validation_error"
    assert "title" in response.json()["error"]["message"]
    assert database_state() == before


def test_a_nul_in_a_nested_name_names_its_path(api, world):
    before = database_state()

    response = api("operator.operator_admin").patch(
        f"/partners/{world.partner_a.pk}", {"name": "Fabri\u0000kam"}
    )

    assert response.status_code == 422
    assert response.json()["error"]["message"].startswith("name:")
    assert database_state() == before


def test_a_nul_in_a_search_is_a_validation_error(api, world):
    response = api("a.admin_agent").get("/customers?q=Con%00toso")

    assert response.status_code == 422
    assert error_code(response) == "validation_error"
    assert response.json()["error"]["message"].startswith("q:")


def test_a_nul_in_a_path_is_refused_before_any_lookup(api, world):
    response = api("a1.global_admin").get("/support-requests/SR%00")

    assert response.status_code == 422
    assert error_code(response) == "validation_error"


def test_a_nul_in_a_page_search_is_a_bad_request(web, world):
    response = web("a1.global_admin").get("/admin/users/?q=a%00b")

    assert response.status_code == 400


# --- null where a value is required ------------------------------------------------------------


@pytest.mark.parametrize("field", ["country", "phone", "name"])
def test_null_for_a_partner_field_is_refused(api, world, field):
    before = database_state()

    response = api("operator.operator_admin").patch(f"/partners/{world.partner_a.pk}", {field: None})

    assert response.status_code == 422
    assert error_code(response) == "validation_error"
    assert field in response.json()["error"]["message"]
    assert database_state() == before


@pytest.mark.parametrize("field", ["country", "phone", "billing_email"])
def test_null_for_a_customer_field_is_refused(api, world, field):
    before = database_state()

    response = api("a.admin_agent").patch(f"/customers/{world.customer_a1.pk}", {field: None})

    assert response.status_code == 422
    assert error_code(response) == "validation_error"
    assert database_state() == before


def test_null_tags_of_a_message_are_refused(api, world):
    (post,) = published_posts(1)
    before = database_state()

    response = api("operator.operator_admin").patch(f"/messages/{post.pk}", {"tags": None})

    assert response.status_code == 422
    assert error_code(response) == "validation_error"
    assert "tags" in response.json()["error"]["message"]
    assert database_state() == before


def test_a_left_out_field_is_still_unchanged(api, world):
    response = api("operator.operator_admin").patch(f"/partners/{world.partner_a.pk}", {"phone": "1"})

    assert response.status_code == 200
    assert response.json_body["country"] == world.partner_a.country


# --- Other inputs ------------------------------------------------------------------------------


def test_a_plain_field_as_the_import_file_is_refused(api, world):
    before = database_state()

    response = api("a1.user_admin")._call("post", "/users/import", data={"file": "not a file"})

    assert response.status_code == 422
    assert error_code(response) == "validation_error"
    assert "file" in response.json()["error"]["message"]
    assert database_state() == before


def test_a_non_uuid_on_behalf_of_header_is_a_json_400(api, world):
    before = database_state()

    response = api("a.admin_agent", on_behalf_of="not-a-uuid").get("/me")

    assert response.status_code == 400
    assert error_code(response) == "invalid_on_behalf_of"
    assert database_state() == before


def test_an_impossible_date_on_the_sign_in_log_is_a_form_error(web, world):
    before = database_state()

    response = web("a1.global_admin").get("/admin/sign-ins/?since=2026-13-45")

    assert response.status_code == 400
    assert "Enter a valid date." in response.content.decode()
    assert database_state() == before
