"""Support's SLA notices moved onto the platform's one notice table (ADR 0015) without sending any
breach mail again."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from partnerdesk.access.principal import principal_for
from partnerdesk.notifications.models import OutboxMessage, SentNotice
from partnerdesk.support import jobs, support_requests
from partnerdesk.support.models import SupportRequest
from partnerdesk.testing import build_world

BEFORE_THE_MOVE = [("support", "0011_inbound_reason_codes"), ("notifications", "0004_sent_notice")]
AFTER_THE_MOVE = [("support", "0012_sla_notices_in_sent_notice")]


def _migrate(targets: list[tuple[str, str]]):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return MigrationExecutor(connection).loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_the_notices_sent_before_the_move_are_not_sent_again():
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    try:
        before = _migrate(BEFORE_THE_MOVE)
        world = build_world()
        request = support_requests.create_support_request(
            principal_for(world.user("a1.global_admin")),
            support_requests.NewSupportRequest(
                title="Down",
                description="All down",
                severity="critical",
                contact_name="C",
                contact_email="c@contoso.test",
            ),
        )
        due = request.created_at - timedelta(minutes=1)
        SupportRequest.objects.filter(pk=request.pk).update(first_response_due_at=due)
        OutboxMessage.objects.all().delete()
        SlaNotice = before.get_model("support", "SlaNotice")
        SlaNotice.objects.create(
            request_type="support", request_id=request.pk, kind="first_response_breach", due_at=due
        )
        SlaNotice.objects.create(
            request_type="service", request_id=request.pk, kind="resolution_near", due_at=due
        )

        _migrate(AFTER_THE_MOVE)

        assert sorted(SentNotice.objects.values_list("object_type", "object_id", "kind", "due_at")) == [
            ("service_request", request.pk, "resolution_near", due),
            ("support_request", request.pk, "first_response_breach", due),
        ]
        assert "support_slanotice" not in connection.introspection.table_names()
        assert jobs.notify_sla_breaches() == 0
        assert not OutboxMessage.objects.filter(kind="support.sla_breach").exists()

        back = _migrate(BEFORE_THE_MOVE)
        assert sorted(back.get_model("support", "SlaNotice").objects.values_list("request_type", "kind")) == [
            ("service", "resolution_near"),
            ("support", "first_response_breach"),
        ]
        assert not SentNotice.objects.exists()
    finally:
        _migrate(latest)
