"""Nothing can slip past the choke point: every URL and API operation declares its permission."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.http import HttpResponse
from django.urls import URLPattern, URLResolver, get_resolver, path

from partnerdesk.access.permissions import Permission
from partnerdesk.api import api

DECLARATIONS = {"public", "signed_in"} | {p.value for p in Permission}
# django-ninja's own documentation views: public by design (the OpenAPI document and its viewer).
API_DOCUMENTATION = {"api/v1/", "api/v1/openapi.json", "api/v1/docs"}


def walk(patterns: list[Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry.callback


def undeclared_routes(patterns: list[Any]) -> list[str]:
    """Web views without a declared permission (the API's views are checked per operation below)."""
    missing = []
    for route, callback in walk(patterns):
        if callback.__module__.startswith("ninja.") or route in API_DOCUMENTATION:
            continue
        if getattr(callback, "required_permission", None) not in DECLARATIONS:
            missing.append(route)
    return missing


def undeclared_operations() -> list[str]:
    missing = []
    for prefix, router in api._routers:
        for route, path_view in router.path_operations.items():
            for operation in path_view.operations:
                if getattr(operation.view_func, "required_permission", None) not in DECLARATIONS:
                    missing.append(f"{','.join(operation.methods)} {prefix}{route}")
    return missing


def test_it_finds_every_web_route_declared() -> None:
    routes = list(walk(get_resolver().url_patterns))
    assert len(routes) > 25
    assert undeclared_routes(get_resolver().url_patterns) == []


def test_it_finds_every_api_operation_declared() -> None:
    operations = [op for _, r in api._routers for pv in r.path_operations.values() for op in pv.operations]
    assert len(operations) >= 20
    assert undeclared_operations() == []


def test_it_fails_when_a_route_without_a_permission_is_added() -> None:
    def sneaky(request: Any) -> HttpResponse:
        return HttpResponse("no checks here")

    patterns = [*get_resolver().url_patterns, path("sneaky/", sneaky)]
    assert undeclared_routes(patterns) == ["sneaky/"]


def test_it_fails_when_an_api_operation_without_a_permission_is_added() -> None:
    from ninja import Router

    router = Router()

    @router.get("/sneaky")
    def sneaky(request: Any) -> dict[str, str]:
        return {}

    api._routers.append(("/", router))
    try:
        assert undeclared_operations() == ["GET //sneaky"]
    finally:
        api._routers.remove(("/", router))


@pytest.mark.parametrize("declaration", ["public", "signed_in", "customers.view"])
def test_it_accepts_each_kind_of_declaration(declaration: str) -> None:
    def view(request: Any) -> HttpResponse:
        return HttpResponse()

    view.required_permission = declaration  # type: ignore[attr-defined]
    assert undeclared_routes([path("x/", view)]) == []
