"""Every list of the API is a page: `{items, next_cursor}` with `?cursor=` and `?limit=`.

Read from the OpenAPI document, so a new GET that answers a bare array fails here without anyone
listing it.
"""

from __future__ import annotations

from typing import Any

from partnerdesk.urls import api as ninja_api

# Bounded results that are pages without a cursor (next_cursor is always null), and why.
BOUNDED = {
    "GET /api/v1/help-articles": "a search answers its best few matches (at most 20), never a next page",
}


def _resolve(schema: dict[str, Any], document: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = document["components"]["schemas"][name]
    return schema


def _ok_schemas(document: dict[str, Any]) -> dict[str, tuple[dict[str, Any], dict[str, Any]]]:
    """`GET <path>` → (its 200 answer's JSON schema, the operation) for every GET of the document."""
    found = {}
    for path, operations in document["paths"].items():
        get = operations.get("get")
        if get is None:
            continue
        responses = get["responses"]
        content = (responses.get(200) or responses.get("200") or {}).get("content", {})
        schema = content.get("application/json", {}).get("schema")
        if schema is not None:
            found[f"GET {path}"] = (_resolve(schema, document), get)
    return found


def test_no_get_operation_answers_a_bare_array() -> None:
    document = ninja_api.get_openapi_schema()

    arrays = sorted(
        name for name, (schema, _operation) in _ok_schemas(document).items() if schema.get("type") == "array"
    )

    assert arrays == [], "return PageOut[...] from partnerdesk.pagination.paginate instead"


def test_every_page_takes_a_cursor_and_a_limit() -> None:
    document = ninja_api.get_openapi_schema()
    pages = {
        name: operation
        for name, (schema, operation) in _ok_schemas(document).items()
        if set(schema.get("properties", {})) == {"items", "next_cursor"}
    }

    assert len(pages) > 20
    for name, operation in pages.items():
        parameters = {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
        expected = {"limit"} if name in BOUNDED else {"cursor", "limit"}
        assert expected <= parameters, name
