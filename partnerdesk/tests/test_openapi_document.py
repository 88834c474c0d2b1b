"""The OpenAPI document names every schema once and is valid OpenAPI."""

from __future__ import annotations

import inspect
import json
import typing
from collections import defaultdict
from typing import Any

from django.test import Client
from openapi_spec_validator import validate
from pydantic import BaseModel

from partnerdesk.urls import api


def _schema_classes(annotation: Any, found: set[type[BaseModel]]) -> None:
    """Every pydantic model reachable from a type: the model, its fields' models, and so on."""
    if inspect.isclass(annotation) and issubclass(annotation, BaseModel):
        if annotation in found:
            return
        found.add(annotation)
        for field in annotation.model_fields.values():
            _schema_classes(field.annotation, found)
        return
    for argument in typing.get_args(annotation):
        _schema_classes(argument, found)


def operation_schema_classes() -> set[type[BaseModel]]:
    """The input and response schema classes of every operation of every router."""
    found: set[type[BaseModel]] = set()
    for _prefix, router in api._routers:
        for path_view in router.path_operations.values():
            for operation in path_view.operations:
                for parameters in operation.models:  # ninja's per-operation wrappers of the inputs
                    for field in parameters.model_fields.values():
                        _schema_classes(field.annotation, found)
                for response in operation.response_models.values():
                    if response is not None:  # ninja's wrapper of the declared response type
                        _schema_classes(response.model_fields["response"].annotation, found)
    return found


def test_every_schema_class_name_used_by_an_operation_is_unique():
    by_name: dict[str, set[str]] = defaultdict(set)
    classes = operation_schema_classes()
    for schema in classes:
        by_name[schema.__name__].add(f"{schema.__module__}.{schema.__qualname__}")

    shared = {name: sorted(where) for name, where in by_name.items() if len(where) > 1}
    assert len(classes) > 100
    assert shared == {}


def test_the_document_is_valid_openapi(db):
    response = Client().get("/api/v1/openapi.json")

    assert response.status_code == 200
    validate(json.loads(response.content))


def test_a_support_request_message_is_documented_with_its_own_fields(db):
    document = Client().get("/api/v1/openapi.json").json()
    operation = document["paths"]["/api/v1/support-requests/{request_id}/messages"]["post"]
    reference = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    fields = document["components"]["schemas"][reference.rsplit("/", 1)[1]]["properties"]

    assert "body" in fields and "audience" not in fields and "category" not in fields


def test_the_document_shows_the_oauth2_scheme_and_marks_operations_with_their_scopes(db):
    document = Client().get("/api/v1/openapi.json").json()
    validate(document)
    scheme = document["components"]["securitySchemes"]["OAuth2"]
    assert scheme["type"] == "oauth2"
    flow = scheme["flows"]["clientCredentials"]
    assert flow["tokenUrl"] == "/api/v1/oauth/token"
    assert {"read", "support", "subscriptions", "directory", "health", "entitlements"} <= set(flow["scopes"])

    paths = document["paths"]
    check = paths["/api/v1/entitlements/check"]["get"]
    assert {"OAuth2": ["entitlements"]} in check["security"]
    assert not any("TokenAuth" in requirement for requirement in check["security"])
    reading = paths["/api/v1/support-requests"]["get"]["security"]
    assert {"OAuth2": ["support"]} in reading and {"OAuth2": ["read"]} in reading
    writing = paths["/api/v1/support-requests"]["post"]["security"]
    assert {"OAuth2": ["support"]} in writing and {"OAuth2": ["read"]} not in writing
    # No app manages apps: those operations do not offer the scheme at all.
    assert not any("OAuth2" in r for r in paths["/api/v1/oauth-apps"]["post"]["security"])
    # The deprecated service credentials.
    assert paths["/api/v1/service-credentials"]["post"]["deprecated"] is True
    assert "Deprecated" in document["components"]["securitySchemes"]["ServiceCredentialAuth"]["description"]


def _linked(document: dict[str, Any], create: str) -> dict[str, dict[str, str]]:
    """The operations a create's 201 links to: `METHOD /path` → the link's parameters."""
    by_id = {
        operation["operationId"]: f"{method.upper()} {path}"
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
    }
    links = document["paths"][create]["post"]["responses"]["201"].get("links", {})
    return {by_id[link["operationId"]]: link["parameters"] for link in links.values()}


def test_each_create_links_to_the_operations_on_what_it_made(db):
    document = Client().get("/api/v1/openapi.json").json()

    support = _linked(document, "/api/v1/support-requests")
    assert support["GET /api/v1/support-requests/{request_id}"] == {"request_id": "$response.body#/id"}
    assert {
        "PATCH /api/v1/support-requests/{request_id}",
        "POST /api/v1/support-requests/{request_id}/messages",
    } <= set(support)
    assert "GET /api/v1/support-requests" not in support
    for create, made in [
        ("/api/v1/service-requests", "/api/v1/service-requests/{request_id}"),
        ("/api/v1/customers", "/api/v1/customers/{customer_id}"),
        ("/api/v1/users", "/api/v1/users/{user_id}"),
        ("/api/v1/messages", "/api/v1/messages/{message_id}"),
        ("/api/v1/health/issues", "/api/v1/health/issues/{issue_id}"),
        ("/api/v1/webhook-endpoints", "/api/v1/webhook-endpoints/{endpoint_id}"),
        ("/api/v1/oauth-apps", "/api/v1/oauth-apps/{app_id}"),
    ]:
        assert f"GET {made}" in _linked(document, create), create
    assert _linked(document, "/api/v1/users")["DELETE /api/v1/users/{user_id}"] == {
        "user_id": "$response.body#/id"
    }
    # A domain is named by its name, a nested object by its parent's path parameter and its own id.
    assert _linked(document, "/api/v1/domains")["GET /api/v1/domains/{name}"] == {
        "name": "$response.body#/name"
    }
    assert _linked(document, "/api/v1/messages/{message_id}/attachments")[
        "GET /api/v1/messages/{message_id}/attachments/{attachment_id}"
    ] == {"message_id": "$request.path.message_id", "attachment_id": "$response.body#/id"}
