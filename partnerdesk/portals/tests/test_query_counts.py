"""List pages cost a fixed number of queries, however many rows they show."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from partnerdesk.access.permissions import OrgKind, Role
from partnerdesk.access.principal import principal_for
from partnerdesk.audit.models import AuditEvent
from partnerdesk.integrations import services as integrations
from partnerdesk.tenancy.models import DelegatedRelationship, Organization
from partnerdesk.testing import make_user


def grow(world) -> None:
    """Add rows to every list so an N+1 would show up as more queries."""
    for i in range(12):
        customer = Organization.objects.create(
            kind=OrgKind.CUSTOMER,
            name=f"Extra {i:02}",
            partner=world.partner_a,
            initial_domain=f"extra{i}.partnerdesk.test",
        )
        DelegatedRelationship.objects.create(
            partner=world.partner_a, customer=customer, name="x", roles=["global_admin"], duration_days=5
        )
        Organization.objects.create(kind=OrgKind.PARTNER, name=f"Extra partner {i:02}")
        make_user(world.partner_a, f"extra{i}@fabrikam.test", [Role.HELPDESK_AGENT])
        integrations.register_app(
            principal_for(world.user("a.partner_global_admin")), name=f"App {i:02}", scopes=["read"]
        )
        AuditEvent.objects.create(
            actor_email="x@x.test",
            channel="web",
            organization=customer,
            partner=world.partner_a,
            object_type="tenancy.organization",
            object_id=str(customer.pk),
            action="customer.created",
        )


PAGES = [
    ("operator.operator_admin", "/operator/partners/"),
    ("operator.operator_admin", "/operator/audit/"),
    ("operator.operator_admin", "/operator/team/"),
    ("a.admin_agent", "/partner/customers/"),
    ("a.admin_agent", "/partner/relationships/"),
    ("a.partner_global_admin", "/partner/audit/"),
    ("a.partner_global_admin", "/partner/team/"),
    ("a.partner_global_admin", "/partner/apps/"),
    ("a1.global_admin", "/admin/relationships/"),
    ("a1.global_admin", "/admin/audit/"),
]


def count(client, path: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return len(queries)


@pytest.mark.parametrize(("user", "path"), PAGES, ids=[p[1] for p in PAGES])
def test_list_pages_do_not_grow_with_rows(web, world, user, path):
    client = web(user)
    count(client, path)  # warm the session
    small = count(client, path)
    grow(world)
    large = count(client, path)

    assert large == small
    assert small <= 12


def test_api_lists_do_not_grow_with_rows(api, world):
    client = api("a.admin_agent")
    client.get("/me")  # the first use of a token records when it was used
    small = {p: _api_count(client, p) for p in ("/customers", "/relationships")}
    grow(world)
    large = {p: _api_count(client, p) for p in ("/customers", "/relationships")}

    # the caller (token, user and roles: one query), the page itself
    assert small == {"/customers": 2, "/relationships": 2}
    assert large == small


def _api_count(client, path: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return len(queries)
