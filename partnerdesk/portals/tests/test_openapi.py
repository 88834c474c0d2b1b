"""The API describes itself: OpenAPI document and interactive docs are served."""

from __future__ import annotations

from django.test import Client


def test_the_openapi_document_lists_the_operations(db):
    response = Client().get("/api/v1/openapi.json")

    assert response.status_code == 200
    document = response.json()
    paths = document["paths"]
    for path in (
        "/api/v1/partners",
        "/api/v1/partners/{partner_id}",
        "/api/v1/customers",
        "/api/v1/customers/{customer_id}",
        "/api/v1/customers/{customer_id}/relationship-requests",
        "/api/v1/relationships/{relationship_id}/accept",
        "/api/v1/relationships/{relationship_id}/decline",
        "/api/v1/relationships/{relationship_id}/end",
        "/api/v1/auth/tokens",
        "/api/v1/auth/password",
        "/api/v1/me",
        "/api/v1/audit-events",
    ):
        assert path in paths, path
    assert "BearerAuth" in str(document["components"]["securitySchemes"]) or "TokenAuth" in str(
        document["components"]["securitySchemes"]
    )
    created = paths["/api/v1/customers"]["post"]["responses"]
    assert {"201", "403", "409"} <= set(created)


def test_the_interactive_docs_load_nothing_from_outside(db):
    response = Client().get("/api/v1/docs")

    assert response.status_code == 200
    html = response.content.decode()
    assert "https://" not in html and "http://" not in html
