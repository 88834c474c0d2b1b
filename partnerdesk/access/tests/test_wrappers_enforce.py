"""The registered wrappers are the ones that refuse: each edge decorator checks by itself.

The route test proves every route is one of these wrappers; these tests prove the wrappers enforce
(a missing permission, a side a named rule does not admit, nobody signed in), so that being
registered means being protected.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.http import HttpResponse
from django.test import RequestFactory

from partnerdesk import api as api_edge
from partnerdesk.access import rules, web
from partnerdesk.access.permissions import Permission
from partnerdesk.access.principal import principal_for, principal_of
from partnerdesk.errors import Forbidden, NotFound
from partnerdesk.testing import World

pytestmark = pytest.mark.django_db

P = Permission


def _reached(request: Any, *args: Any, **kwargs: Any) -> HttpResponse:
    return HttpResponse(f"reached as {principal_of(request).user.email}")


def _request(principal: Any = None, *, auth: Any = None) -> Any:
    request = RequestFactory().get("/somewhere/")
    request.principal = principal
    request.session = {}
    request.auth = auth
    return request


def test_a_page_refuses_a_principal_without_the_permission(world: World) -> None:
    view = web.requires(P.PARTNERS_MANAGE, portal="operator")(_reached)
    refused = view(_request(principal_for(world.user("operator.auditor"))))
    allowed = view(_request(principal_for(world.user("operator.operator_admin"))))
    assert refused.status_code == 403 and b"reached" not in refused.content
    assert allowed.status_code == 200


def test_a_page_sends_anonymous_visitors_to_sign_in(world: World) -> None:
    response = web.requires(None)(_reached)(_request(None))
    assert response.status_code == 302 and "signin" in response["Location"]


def test_a_page_refuses_a_side_its_rule_does_not_admit_with_the_rules_message(world: World) -> None:
    view = web.requires(rules.SUPPORT_REQUESTS_WORK)(_reached)
    refused = view(_request(principal_for(world.user("operator.operator_admin"))))
    assert refused.status_code == 403
    assert b"The operator sees service requests" in refused.content
    assert view(_request(principal_for(world.user("a.helpdesk_agent")))).status_code == 200
    assert view(_request(principal_for(world.user("a.sales_agent")))).status_code == 403


def test_an_api_operation_refuses_without_a_principal_and_without_the_permission(world: World) -> None:
    operation = api_edge.requires(P.CUSTOMERS_CREATE)(_reached)
    with pytest.raises(Forbidden):
        operation(_request(auth=None))
    with pytest.raises(Forbidden):
        operation(_request(auth=principal_for(world.user("a.helpdesk_agent"))))
    admin = principal_for(world.user("a.admin_agent"))
    assert operation(_request(auth=admin)).content == f"reached as {admin.user.email}".encode()


def test_signed_in_operations_refuse_a_caller_that_is_not_a_person(world: World) -> None:
    class Service:
        def require(self, permission: Any, *, what: str = "") -> None:
            return None

    with pytest.raises(Forbidden):
        api_edge.signed_in(_reached)(_request(auth=Service()))


def test_the_api_wrapper_sets_the_principal_it_checked(world: World) -> None:
    """`principal_of` reads what the wrapper checked (the delegated or token principal), not the session's."""
    session = principal_for(world.user("a.admin_agent"))
    token = principal_for(world.user("b.admin_agent"))
    request = _request(session, auth=token)
    response = api_edge.requires(P.CUSTOMERS_VIEW)(_reached)(request)
    assert response.content == f"reached as {token.user.email}".encode()


def test_a_rule_can_refuse_as_not_found_once_the_permission_is_held(world: World) -> None:
    rule = rules.ISSUE_AFFECTED_CUSTOMERS
    with pytest.raises(NotFound):
        rule.require(principal_for(world.user("operator.operator_admin")))
    with pytest.raises(Forbidden):
        rule.require(principal_for(world.user("a1.message_center_reader")))  # no health.view
    rule.require(principal_for(world.user("a.helpdesk_agent")))
