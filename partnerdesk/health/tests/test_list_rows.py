"""The Message center list reads rows (`.values()`), not model instances: the same answer as the ORM's."""

from __future__ import annotations

import pytest

from partnerdesk.access.principal import principal_for
from partnerdesk.health import api, message_center
from partnerdesk.health.models import MessagePost
from partnerdesk.health.tests.test_revalidation import post
from partnerdesk.pagination import paginate

pytestmark = pytest.mark.django_db


def test_rows_answer_what_the_model_instances_answer(world, catalog):
    for i in range(4):
        post(world, catalog, f"Post {i}", tags=["new_feature", "user_impact"] if i % 2 else [])
    reader = principal_for(world.user("a1.global_admin"))
    first = MessagePost.objects.order_by("number").first()
    message_center.set_view_state(reader, [first.pk], "mark_read")
    message_center.set_view_state(reader, [first.pk], "favorite")
    ordering = ["-last_modified_at", "id"]
    listed = api._messages(reader, prefetch=False)

    instances = paginate(listed, ordering=ordering, cursor=None, limit=3)
    rows = paginate(listed.values(*api.MESSAGE_ROW), ordering=ordering, cursor=None, limit=3)
    refs = api._service_refs_of_posts([m.pk for m in instances.items])

    assert [api._message_row_out(r, refs[r["id"]]) for r in rows.items] == [
        api._message_out(m, reader, refs[m.pk]) for m in instances.items
    ]
    assert rows.next_cursor == instances.next_cursor and rows.next_cursor is not None
    assert any(r["state_read"] for r in rows.items) or first.pk not in [r["id"] for r in rows.items]
