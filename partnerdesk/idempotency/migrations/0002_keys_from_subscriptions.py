"""Carry the subscriptions API's recent Idempotency-Key records into the one store.

The old records kept method and path but not the request body, so they cannot prove that a retry
is the same request: each comes over with a fingerprint no request has. For the day they still
live, a retry with such a key answers 422 `idempotency_key_reused` instead of creating twice.
"""

from datetime import timedelta

from django.db import migrations
from django.utils import timezone


def copy_subscription_keys(apps, schema_editor):
    Old = apps.get_model("subscriptions", "IdempotencyRecord")
    New = apps.get_model("idempotency", "IdempotencyRecord")
    recent = Old.objects.filter(created_at__gte=timezone.now() - timedelta(hours=24))
    New.objects.bulk_create(
        (
            New(
                user_id=old.user_id,
                key=old.key,
                fingerprint="migrated",
                status_code=old.status_code,
                content_type="application/json; charset=utf-8",
                created_at=old.created_at,
            )
            for old in recent.iterator()
        ),
        batch_size=1000,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("idempotency", "0001_initial"),
        ("subscriptions", "0002_changerequest_idempotencyrecord_licenseassignment_and_more"),
    ]

    operations = [migrations.RunPython(copy_subscription_keys, migrations.RunPython.noop)]
