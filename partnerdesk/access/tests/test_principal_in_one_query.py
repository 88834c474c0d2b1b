"""Who is asking is read in one query, and read again on every request (no cache to go stale).

The credential (a personal token, an OAuth app's access token, the session's user), the user, their
organization, their roles and the delegation to the customer the request acts for are one SQL query
(`access.principal.PrincipalRow`); the principal is made from it without another. Nothing of it is
kept between requests, so the very next request after a token is revoked, roles change, a user is
blocked or delegated access ends sees the change.
"""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from partnerdesk.access.permissions import Role
from partnerdesk.access.principal import principal_for
from partnerdesk.accounts import services as accounts
from partnerdesk.accounts.models import ApiToken
from partnerdesk.health.graph import BASE as GRAPH
from partnerdesk.health.tests.test_graph import token_for as graph_token
from partnerdesk.integrations.tests.test_oauth import register
from partnerdesk.integrations.tests.test_oauth import token_for as app_token
from partnerdesk.tenancy import services as tenancy
from partnerdesk.testing import World

pytestmark = pytest.mark.django_db

UNREAD = "/messages/unread-count"
# Authentication (the one principal query), then the bounded unread count.
TOKEN_UNREAD_QUERIES = 2
# The same on behalf of a customer: the customer and its relationships' roles are in the first query.
TOKEN_ON_BEHALF_UNREAD_QUERIES = 2
# Django's session row, the principal query, the count.
SESSION_UNREAD_QUERIES = 3
# An OAuth app's token on behalf of a customer: the principal query, the count.
APP_ON_BEHALF_UNREAD_QUERIES = 2
# A Graph read's principal query, the list's change counters, the page of posts.
GRAPH_MESSAGES_QUERIES = 3

# A query that reads credentials, users, roles or relationships (a page may still list customers).
_AUTHENTICATION_QUERY = re.compile(
    r'SELECT "(accounts_apitoken|integrations_oauthaccesstoken|accounts_user|accounts_roleassignment'
    r'|tenancy_delegatedrelationship)"\.'
)


def queries_of(call) -> list[str]:
    call()  # the first use of a token writes its last use; measure the steady state
    with CaptureQueriesContext(connection) as captured:
        response = call()
    assert response.status_code == 200, response.content
    return [query["sql"] for query in captured.captured_queries]


def authentication_queries(sqls: list[str]) -> list[str]:
    return [sql for sql in sqls if _AUTHENTICATION_QUERY.match(sql)]


def signed_in(world: World, key: str, *, acting_for=None) -> Client:
    client = Client()
    client.force_login(world.user(key), backend="partnerdesk.accounts.backends.EmailBackend")
    if acting_for is not None:
        session = client.session
        session["acting_for"] = str(acting_for)
        session.save()
    return client


# --- One query ----------------------------------------------------------------------------------------


def test_a_personal_token_is_read_with_its_user_organization_and_roles_in_one_query(api, world):
    client = api("a1.global_admin")

    sqls = queries_of(lambda: client.get(UNREAD))

    assert len(sqls) == TOKEN_UNREAD_QUERIES
    assert len(authentication_queries(sqls)) == 1
    assert '"accounts_roleassignment"' in sqls[0] and '"tenancy_organization"' in sqls[0]


def test_on_behalf_of_a_customer_the_delegation_is_in_the_same_query(api, world):
    client = api("a.admin_agent", on_behalf_of=world.customer_a1.pk)

    sqls = queries_of(lambda: client.get(UNREAD))
    me = client.get("/me").json_body

    assert len(sqls) == TOKEN_ON_BEHALF_UNREAD_QUERIES
    assert len(authentication_queries(sqls)) == 1
    assert '"tenancy_delegatedrelationship"' in sqls[0]
    assert me["acting_on_behalf"] is True and me["organization"]["id"] == str(world.customer_a1.pk)
    assert me["roles"] == sorted([Role.GLOBAL_ADMIN, Role.USER_ADMIN])


def test_the_sessions_user_is_read_with_their_principal_in_one_query(world):
    client = signed_in(world, "a1.global_admin")

    sqls = queries_of(lambda: client.get(f"/api/v1{UNREAD}"))

    assert len(sqls) == SESSION_UNREAD_QUERIES
    assert '"django_session"' in sqls[0]
    assert len(authentication_queries(sqls)) == 1


def test_a_delegated_admin_center_page_reads_the_delegation_with_the_user(world):
    client = signed_in(world, "a.admin_agent", acting_for=world.customer_a1.pk)

    sqls = queries_of(lambda: client.get("/admin/messages/"))

    assert len(authentication_queries(sqls)) == 1
    assert '"tenancy_delegatedrelationship"' in authentication_queries(sqls)[0]


def test_an_apps_token_on_behalf_of_a_customer_is_one_query(world):
    raw = app_token(register(world, "a.partner_global_admin", ["read"]))
    client = Client(headers={"Authorization": f"Bearer {raw}", "X-On-Behalf-Of": str(world.customer_a1.pk)})

    sqls = queries_of(lambda: client.get(f"/api/v1{UNREAD}"))

    assert len(sqls) == APP_ON_BEHALF_UNREAD_QUERIES
    assert len(authentication_queries(sqls)) == 1


def test_the_graph_surface_authenticates_in_one_query(world):
    client = Client(headers={"Authorization": f"Bearer {graph_token(world.user('a1.global_admin'))}"})

    sqls = queries_of(lambda: client.get(f"{GRAPH}/admin/serviceAnnouncement/messages"))

    assert len(sqls) == GRAPH_MESSAGES_QUERIES
    assert len(authentication_queries(sqls)) == 1


# --- The next request sees the change -----------------------------------------------------------------


def test_the_request_after_a_token_is_revoked_is_refused(api, world):
    client = api("a1.global_admin")
    graph = Client(headers={"Authorization": f"Bearer {graph_token(world.user('a1.global_admin'))}"})
    assert client.get(UNREAD).status_code == 200
    assert graph.get(f"{GRAPH}/admin/serviceAnnouncement/messages").status_code == 200
    owner = principal_for(world.user("a1.global_admin"))

    for token in ApiToken.objects.filter(user=world.user("a1.global_admin")):
        accounts.revoke_token(owner, token)

    assert client.get(UNREAD).status_code == 401
    assert graph.get(f"{GRAPH}/admin/serviceAnnouncement/messages").status_code == 401


def test_the_request_after_a_role_change_sees_the_new_roles(api, world):
    client = api("a1.user_admin")
    browser = signed_in(world, "a1.user_admin")
    assert client.get("/me").json_body["roles"] == [Role.USER_ADMIN]
    assert browser.get("/api/v1/me").json()["roles"] == [Role.USER_ADMIN]
    assert client.get("/users").status_code == 200

    admin = principal_for(world.user("a1.global_admin"))
    accounts.set_roles(admin, world.user("a1.user_admin"), [Role.MESSAGE_CENTER_READER])

    assert client.get("/me").json_body["roles"] == [Role.MESSAGE_CENTER_READER]
    assert browser.get("/api/v1/me").json()["roles"] == [Role.MESSAGE_CENTER_READER]
    assert client.get("/users").status_code == 403


def test_the_request_after_a_user_is_blocked_is_refused(api, world):
    client = api("a1.user_admin")
    browser = signed_in(world, "a1.user_admin")
    assert client.get("/me").status_code == 200
    assert browser.get("/api/v1/me").status_code == 200
    assert browser.get("/admin/").status_code == 200

    accounts.set_blocked(
        principal_for(world.user("a1.global_admin")), world.user("a1.user_admin"), blocked=True
    )

    assert client.get("/me").status_code == 401
    assert browser.get("/api/v1/me").status_code == 401
    assert browser.get("/admin/").status_code == 302


def test_the_request_after_delegated_access_ends_is_refused(api, world):
    client = api("a.admin_agent", on_behalf_of=world.customer_a1.pk)
    browser = signed_in(world, "a.admin_agent", acting_for=world.customer_a1.pk)
    assert client.get(UNREAD).status_code == 200
    assert browser.get("/admin/messages/").status_code == 200

    tenancy.end_relationship(principal_for(world.user("a1.global_admin")), world.relationship_a1)

    refused = client.get(UNREAD)
    assert refused.status_code == 403 and refused.json_body["error"]["code"] == "no_delegated_access"
    page = browser.get("/admin/messages/")
    assert page.status_code == 302 and page["Location"] == "/"
