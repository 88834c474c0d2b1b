"""The service catalog moved from health to catalog (ADR 0008) without losing a row."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from partnerdesk.catalog.models import Feature, Region, Service

BEFORE_THE_MOVE = [("catalog", "0003_version"), ("health", "0006_version"), ("support", "0006_version")]
AFTER_THE_MOVE = [
    ("catalog", "0004_service_feature_region"),
    ("health", "0007_service_moved_to_catalog"),
    ("support", "0007_service_in_catalog"),
]


def _migrate(targets: list[tuple[str, str]]) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return MigrationExecutor(connection)


def test_the_moved_models_keep_their_tables():
    assert Service._meta.db_table == "health_service"
    assert Feature._meta.db_table == "health_feature"
    assert Region._meta.db_table == "health_region"
    assert Service._meta.app_label == "catalog"


@pytest.mark.django_db(transaction=True)
def test_a_database_migrated_before_the_move_keeps_its_services_and_what_refers_to_them():
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    try:
        before = _migrate(BEFORE_THE_MOVE).loader.project_state(BEFORE_THE_MOVE).apps
        service = before.get_model("health", "Service").objects.create(key="exchange", name="Exchange Online")
        before.get_model("health", "Feature").objects.create(service=service, group="Mail", name="Mail flow")
        product = before.get_model("catalog", "Product").objects.create(name="E3")
        sku = before.get_model("catalog", "Sku").objects.create(product=product, name="E3 (monthly)")
        sku.services.add(service)

        after = _migrate(AFTER_THE_MOVE).loader.project_state(AFTER_THE_MOVE).apps
        moved = after.get_model("catalog", "Service").objects.get(pk=service.pk)
        assert moved.name == "Exchange Online"
        assert [f.name for f in after.get_model("catalog", "Feature").objects.filter(service=moved)] == [
            "Mail flow"
        ]
        assert list(after.get_model("catalog", "Sku").objects.get(pk=sku.pk).services.all()) == [moved]
    finally:
        _migrate(latest)
