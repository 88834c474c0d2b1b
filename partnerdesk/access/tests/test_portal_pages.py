"""One page offered in several portals: each portal's route is its own enforcing wrapper.

`in_portals` mounts one view once per portal, each pattern named and checked as that portal's (its
entry permission and its own need), so the route test and the isolation matrix see one declared route
per portal, and the view is told which portal it serves.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.http import HttpResponse
from django.test import RequestFactory

from partnerdesk.access import rules
from partnerdesk.access.entry import is_enforcing
from partnerdesk.access.permissions import Permission
from partnerdesk.access.principal import principal_for, principal_of
from partnerdesk.access.tests.test_every_route_declares_permission import unenforced_routes
from partnerdesk.access.web import Mount, in_portals
from partnerdesk.testing import World

P = Permission

MOUNTS = [
    Mount("operator", "operator/things/", "operator_things"),
    Mount("partner", "partner/stuff/", "partner_things"),
]


def _page(request: Any, portal: str, thing_id: str = "") -> HttpResponse:
    return HttpResponse(f"{portal} {thing_id} as {principal_of(request).user.email}")


def _request(principal: Any, method: str = "get") -> Any:
    request = getattr(RequestFactory(), method)("/somewhere/")
    request.principal = principal
    request.session = {}
    return request


def _call(pattern: Any, request: Any, **kwargs: Any) -> HttpResponse:
    return pattern.callback(request, **{**pattern.default_args, **kwargs})


def test_each_portal_gets_its_own_path_name_portal_and_need() -> None:
    patterns = in_portals(
        MOUNTS,
        "<uuid:thing_id>/",
        _page,
        "_detail",
        {"operator": P.PARTNERS_MANAGE, "partner": rules.SUPPORT_REQUESTS_WORK},
    )

    assert [(str(p.pattern), p.name) for p in patterns] == [
        ("operator/things/<uuid:thing_id>/", "operator_things_detail"),
        ("partner/stuff/<uuid:thing_id>/", "partner_things_detail"),
    ]
    assert unenforced_routes(patterns) == []
    wrappers: list[Any] = [p.callback for p in patterns]
    assert [(w.portal, w.requirement) for w in wrappers] == [
        ("operator", P.PARTNERS_MANAGE),
        ("partner", rules.SUPPORT_REQUESTS_WORK),
    ]
    assert wrappers[0] is not wrappers[1]


@pytest.mark.django_db
def test_each_portals_route_refuses_by_its_own_declaration_and_tells_the_view_its_portal(
    world: World,
) -> None:
    operator_page, partner_page = in_portals(
        MOUNTS, "", _page, "", {"operator": P.PARTNERS_MANAGE, "partner": P.SUPPORT_DESK}
    )
    operator_admin = principal_for(world.user("operator.operator_admin"))
    agent = principal_for(world.user("a.helpdesk_agent"))

    assert _call(operator_page, _request(operator_admin)).content.startswith(b"operator ")
    assert _call(partner_page, _request(agent)).content.startswith(b"partner ")
    assert _call(operator_page, _request(agent)).status_code == 403
    assert _call(partner_page, _request(operator_admin)).status_code == 403
    assert _call(partner_page, _request(None)).status_code == 302


@pytest.mark.django_db
def test_an_action_admits_only_its_method(world: World) -> None:
    (page,) = in_portals(MOUNTS[:1], "go/", _page, "_go", P.PARTNERS_MANAGE, only="POST")
    operator_admin = principal_for(world.user("operator.operator_admin"))

    assert unenforced_routes([page]) == []
    assert _call(page, _request(operator_admin)).status_code == 405
    assert _call(page, _request(operator_admin, "post")).status_code == 200


def test_a_portal_the_needs_leave_out_is_not_mounted_unchecked() -> None:
    with pytest.raises(KeyError):
        in_portals(MOUNTS, "", _page, "", {"operator": P.PARTNERS_MANAGE})

    assert not is_enforcing(_page)


def test_a_mount_names_a_portal_that_exists() -> None:
    with pytest.raises(ValueError, match="'customer' is not a portal"):
        Mount("customer", "customer/things/", "customer_things")
