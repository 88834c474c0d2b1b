"""The queues read rows through queries built once per process: the same answer as the ORM's
model instances, for every principal of the tiny world who works a queue."""

from __future__ import annotations

import pytest

from partnerdesk.access.principal import principal_for
from partnerdesk.pagination import paginate
from partnerdesk.support import api, queries
from partnerdesk.support.tests.test_query_counts import grow

pytestmark = pytest.mark.django_db


def _displayed(item) -> tuple:
    """What a queue page shows of a row or an instance (the templates read the same names)."""
    if isinstance(item, dict):
        return (item["pk"], item["get_status_display"], item["get_severity_display"], item["sla_state"])
    return (item.pk, item.get_status_display(), item.get_severity_display(), item.sla_state())


def _both_pages(rows_of, instances_of, out, filters) -> None:
    rows = rows_of(filters, cursor=None, limit=2)
    instances = paginate(instances_of(filters), ordering=queries.QUEUE_ORDERING, cursor=None, limit=2)
    assert [out(r) for r in rows.items] == [out(m) for m in instances.items]
    assert [_displayed(r) for r in rows.items] == [_displayed(m) for m in instances.items]
    assert rows.next_cursor == instances.next_cursor
    if rows.next_cursor:
        after = rows_of(filters, cursor=rows.next_cursor, limit=50)
        later = paginate(
            instances_of(filters), ordering=queries.QUEUE_ORDERING, cursor=instances.next_cursor, limit=50
        )
        assert [out(r) for r in after.items] == [out(m) for m in later.items] != []


SUPPORT_FILTERS = [
    {},
    {"status": "open"},
    {"status": "active", "severity": "minimal"},
    {"sla": "near"},
    {"assignee": "none"},
    {"customer": "not-an-id"},
]


def test_the_support_queue_rows_are_the_model_instances(world, topic):
    grow(world, topic, 3)
    for key in ("a.admin_agent", "b.admin_agent"):
        agent = principal_for(world.user(key))
        for filters in [
            *SUPPORT_FILTERS,
            {"assignee": str(agent.user.pk)},
            {"customer": str(world.customer_a1.pk)},
        ]:
            _both_pages(
                lambda f, **page: queries.support_queue(agent, f, **page),  # noqa: B023
                lambda f: queries.filter_support_requests(queries.support_requests(agent), f),  # noqa: B023
                lambda item: api.support_row_out(item) if isinstance(item, dict) else api.support_out(item),
                filters,
            )


def test_the_service_request_queues_rows_are_the_model_instances(world, topic):
    grow(world, topic, 3)
    for key in ("operator.support_engineer", "a.admin_agent", "b.admin_agent"):
        principal = principal_for(world.user(key))
        for filters in [
            {},
            {"status": "active"},
            {"sla": "breached"},
            {"customer": "any"},
            {"topic": "x"},
            {"partner": str(world.partner_a.pk)},
        ]:
            _both_pages(
                lambda f, **page: queries.service_queue(principal, f, **page),  # noqa: B023
                lambda f: queries.filter_service_requests(queries.service_requests(principal), f),  # noqa: B023
                lambda item: (
                    api.service_row_out(principal, item)  # noqa: B023
                    if isinstance(item, dict)
                    else api.service_out(principal, item)  # noqa: B023
                ),
                filters,
            )


@pytest.mark.parametrize("cursor", ["not-base64!", "WzFd", "WyJ4IiwieSJd"])  # garbage, [1], ["x","y"]
def test_a_prepared_queue_refuses_a_cursor_it_cannot_bind(world, topic, cursor):
    from partnerdesk.pagination import InvalidCursor

    grow(world, topic, 1)
    agent = principal_for(world.user("a.admin_agent"))

    with pytest.raises(InvalidCursor):
        queries.support_queue(agent, {}, cursor=cursor, limit=2)
