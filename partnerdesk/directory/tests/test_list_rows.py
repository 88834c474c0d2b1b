"""The users list reads rows through a query built once per process: the same users, order and
values as the ORM's model instances, for each tenant admin of the tiny world and each filter."""

from __future__ import annotations

import pytest

from partnerdesk.access.principal import principal_for
from partnerdesk.directory import api, queries
from partnerdesk.directory.models import GroupMembership
from partnerdesk.directory.tests.test_query_counts import grow
from partnerdesk.pagination import paginate

pytestmark = pytest.mark.django_db


def test_the_users_list_rows_are_the_model_instances(world):
    group = grow(world, 0)
    GroupMembership.objects.create(group=group, user=world.user("a1.user"))
    filters = [
        queries.UserFilters(),
        queries.UserFilters(q="P1"),
        queries.UserFilters(q="100%_"),
        queries.UserFilters(role="global_admin"),
        queries.UserFilters(blocked="no"),
        queries.UserFilters(domain="Contoso.partnerdesk.test"),
        queries.UserFilters(group=str(group.pk)),
        queries.UserFilters(group="not-an-id"),
        queries.UserFilters(licensed="no", q="p"),
    ]
    for key in ("a1.global_admin", "a2.global_admin", "b1.global_admin"):
        admin = principal_for(world.user(key))
        for chosen in filters:
            rows = queries.user_rows(admin, chosen, cursor=None, limit=3)
            instances = paginate(
                queries.users(admin, chosen), ordering=queries.USER_ORDERING, cursor=None, limit=3
            )
            roles = api._admin_roles(instances.items)
            assert [api._user_row_out(r, roles.get(r["id"], [])) for r in rows.items] == [
                api._user_out(u, roles.get(u.pk, [])) for u in instances.items
            ], (key, chosen)
            assert rows.next_cursor == instances.next_cursor
            if rows.next_cursor:
                after = queries.user_rows(admin, chosen, cursor=rows.next_cursor, limit=50)
                later = paginate(
                    queries.users(admin, chosen),
                    ordering=queries.USER_ORDERING,
                    cursor=instances.next_cursor,
                    limit=50,
                )
                assert [r["id"] for r in after.items] == [u.pk for u in later.items] != []


def test_a_partner_agent_acting_for_the_customer_lists_the_customers_users(api, world):
    grow(world, 0)
    own = api("a1.global_admin").get("/users?limit=5").json_body
    delegated = api("a.admin_agent", on_behalf_of=world.customer_a1.pk).get("/users?limit=5")

    assert delegated.status_code == 200
    assert delegated.json_body == own and len(own["items"]) == 5
    other = api("a2.global_admin").get("/users?limit=5").json_body
    assert {u["id"] for u in other["items"]}.isdisjoint({u["id"] for u in own["items"]})
