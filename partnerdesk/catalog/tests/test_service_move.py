"""The service catalog moved from health to catalog (ADR 0008) without losing a row."""

from __future__ import annotations

import pytest

from partnerdesk.catalog.models import Feature, Region, Service
from partnerdesk.testing import latest_migrations, migrate_to

BEFORE_THE_MOVE = [("catalog", "0003_version"), ("health", "0006_version"), ("support", "0006_version")]
AFTER_THE_MOVE = [
    ("catalog", "0004_service_feature_region"),
    ("health", "0007_service_moved_to_catalog"),
    ("support", "0007_service_in_catalog"),
]


def test_the_moved_models_keep_their_tables():
    assert Service._meta.db_table == "health_service"
    assert Feature._meta.db_table == "health_feature"
    assert Region._meta.db_table == "health_region"
    assert Service._meta.app_label == "catalog"


@pytest.mark.django_db(transaction=True)
def test_a_database_migrated_before_the_move_keeps_its_services_and_what_refers_to_them():
    latest = latest_migrations()
    try:
        before = migrate_to(BEFORE_THE_MOVE)
        service = before.get_model("health", "Service").objects.create(key="exchange", name="Exchange Online")
        before.get_model("health", "Feature").objects.create(service=service, group="Mail", name="Mail flow")
        product = before.get_model("catalog", "Product").objects.create(name="E3")
        sku = before.get_model("catalog", "Sku").objects.create(product=product, name="E3 (monthly)")
        sku.services.add(service)

        after = migrate_to(AFTER_THE_MOVE)
        moved = after.get_model("catalog", "Service").objects.get(pk=service.pk)
        assert moved.name == "Exchange Online"
        assert [f.name for f in after.get_model("catalog", "Feature").objects.filter(service=moved)] == [
            "Mail flow"
        ]
        assert list(after.get_model("catalog", "Sku").objects.get(pk=sku.pk).services.all()) == [moved]
    finally:
        migrate_to(latest)
