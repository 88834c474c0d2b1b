"""Nothing can slip past the choke point: every URL and API operation is an enforcing wrapper.

Not a label: each edge decorator (`requires`/`signed_in`/`public` for pages and API operations,
`graph_view` for the Graph surface) registers the wrapper it produced (`access.entry`), and this test
asserts that every URL callback and every ninja operation's `view_func` is one of them. A view that
sets `required_permission` by hand, or wraps an enforcing view in its own decorator, fails.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver, get_resolver, path
from django.views.decorators.http import require_GET, require_POST, require_safe
from ninja import Router

from partnerdesk import api as api_edge
from partnerdesk.access import rules, web
from partnerdesk.access.entry import is_enforcing
from partnerdesk.access.permissions import Permission
from partnerdesk.health.graph import graph_view
from partnerdesk.urls import api


def _noop(request: HttpRequest) -> HttpResponse:
    return HttpResponse()


# Django's method guards only answer 405 before calling the view they wrap: a page may sit inside them.
# Recognised by their code object (shared by every use), never by a name a sneaky decorator could copy.
PASS_THROUGH = {guard(_noop).__code__ for guard in (require_GET, require_POST, require_safe)}


def walk(patterns: list[Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Every URL pattern with its view, except the API's: ninja mounts one view per path, and its
    operations are checked one by one below (its OpenAPI document and viewer are public by design)."""
    for entry in patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace != api.urls_namespace:
                yield from walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry.callback


def _unwrapped(callback: Any) -> Any:
    while getattr(callback, "__code__", None) in PASS_THROUGH:
        callback = callback.__wrapped__
    return callback


def unenforced_routes(patterns: list[Any]) -> list[str]:
    """Web (and Graph) routes whose view is not an enforcing wrapper."""
    return [route for route, callback in walk(patterns) if not is_enforcing(_unwrapped(callback))]


def _operations() -> Iterator[tuple[str, Any]]:
    for prefix, router in api._routers:
        for route, path_view in router.path_operations.items():
            for operation in path_view.operations:
                yield f"{','.join(operation.methods)} {prefix}{route}", operation


def unenforced_operations() -> list[str]:
    return [name for name, operation in _operations() if not is_enforcing(operation.view_func)]


def test_it_finds_every_web_route_enforced() -> None:
    routes = list(walk(get_resolver().url_patterns))
    assert len(routes) > 25
    assert any(route.startswith("graph/") for route, _ in routes)
    assert unenforced_routes(get_resolver().url_patterns) == []


def test_it_finds_every_api_operation_enforced() -> None:
    assert len(list(_operations())) >= 20
    assert unenforced_operations() == []


def test_it_fails_when_a_route_without_the_wrapper_is_added() -> None:
    def sneaky(request: Any) -> HttpResponse:
        return HttpResponse("no checks here")

    patterns = [*get_resolver().url_patterns, path("sneaky/", sneaky)]
    assert unenforced_routes(patterns) == ["sneaky/"]


def test_it_fails_when_the_label_is_set_by_hand_without_the_wrapper() -> None:
    def labelled(request: Any) -> HttpResponse:
        return HttpResponse("claims a permission, checks nothing")

    labelled.required_permission = Permission.CUSTOMERS_VIEW.value  # type: ignore[attr-defined]
    assert unenforced_routes([path("labelled/", labelled)]) == ["labelled/"]


def test_it_fails_when_an_enforcing_view_is_wrapped_by_another_decorator() -> None:
    import functools

    inner = web.requires(Permission.CUSTOMERS_VIEW)(_noop)

    @functools.wraps(inner)
    def bypass(request: Any) -> HttpResponse:
        return HttpResponse("never calls the wrapper")

    assert unenforced_routes([path("x/", bypass), path("y/", require_POST(inner))]) == ["x/"]


def test_it_fails_when_an_api_operation_without_the_wrapper_is_added() -> None:
    router = Router()

    @router.get("/sneaky")
    def sneaky(request: Any) -> dict[str, str]:
        return {}

    @router.get("/labelled")
    def labelled(request: Any) -> dict[str, str]:
        return {}

    labelled.required_permission = "customers.view"  # type: ignore[attr-defined]

    api._routers.append(("/", router))
    try:
        assert unenforced_operations() == ["GET //sneaky", "GET //labelled"]
    finally:
        api._routers.remove(("/", router))


@pytest.mark.parametrize(
    "decorate",
    [
        web.public,
        web.signed_in,
        web.requires(Permission.CUSTOMERS_VIEW),
        web.requires(rules.SUPPORT_REQUESTS_WORK, portal="admin"),
        api_edge.public,
        api_edge.signed_in,
        api_edge.requires(Permission.CUSTOMERS_VIEW),
        graph_view(Permission.MESSAGES_VIEW),
    ],
)
def test_it_accepts_each_edge_decorator(decorate: Any) -> None:
    assert unenforced_routes([path("x/", decorate(_noop))]) == []


def test_each_wrapper_carries_the_permission_or_rule_it_checks() -> None:
    """Tests generated from the route table read `requirement`: the object the wrapper enforces."""
    wrappers = [op.view_func for _, op in _operations()] + [
        _unwrapped(callback) for _, callback in walk(get_resolver().url_patterns)
    ]
    for wrapper in wrappers:
        requirement = wrapper.requirement
        if requirement is None:
            assert wrapper.required_permission in {"public", "signed_in"}
        else:
            assert isinstance(requirement, Permission | rules.Rule)
            assert wrapper.required_permission == rules.name_of(requirement)
    assert any(isinstance(w.requirement, rules.Rule) for w in wrappers)
