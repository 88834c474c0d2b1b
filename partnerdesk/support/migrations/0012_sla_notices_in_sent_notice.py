"""Support's SLA notices move onto the platform's one notice table (`notifications.SentNotice`,
ADR 0015): each row is copied with its key (a support request's notices as `support_request`, a service
request's as `service_request`; the kind and due time unchanged), so no breach or near-breach mail
already sent goes out again; then support's own table goes.

Once, whatever the number of workers, holds through the move: on PostgreSQL the old table is locked
against writes before it is read, so a worker still running the old code waits, then fails on the
dropped table and rolls its mail back (the new code sends that notice once); SQLite's transactions
are serializable (one writer), so nothing can be written between the copy and the drop."""

from django.db import migrations

OBJECT_TYPES = {"support": "support_request", "service": "service_request"}
REQUEST_TYPES = {object_type: request_type for request_type, object_type in OBJECT_TYPES.items()}
BATCH = 1000


def lock_against_writes(schema_editor, model):
    if schema_editor.connection.vendor == "postgresql":
        table = schema_editor.quote_name(model._meta.db_table)
        schema_editor.execute(f"LOCK TABLE {table} IN EXCLUSIVE MODE")


def copy(schema_editor, rows, model, build):
    """Insert `build(row)` into `model` for each of `rows`, in batches, keeping a row already there."""
    lock_against_writes(schema_editor, rows.model)
    batch = []
    for row in rows.order_by("pk").iterator(chunk_size=BATCH):
        batch.append(model(**build(row), due_at=row.due_at, kind=row.kind, created_at=row.created_at))
        if len(batch) == BATCH:
            model.objects.bulk_create(batch, ignore_conflicts=True)
            batch = []
    model.objects.bulk_create(batch, ignore_conflicts=True)


def into_sent_notice(apps, schema_editor):
    copy(
        schema_editor,
        apps.get_model("support", "SlaNotice").objects.all(),
        apps.get_model("notifications", "SentNotice"),
        lambda notice: {"object_type": OBJECT_TYPES[notice.request_type], "object_id": notice.request_id},
    )


def back_into_sla_notice(apps, schema_editor):
    notices = apps.get_model("notifications", "SentNotice").objects.filter(object_type__in=list(REQUEST_TYPES))
    copy(
        schema_editor,
        notices,
        apps.get_model("support", "SlaNotice"),
        lambda notice: {"request_type": REQUEST_TYPES[notice.object_type], "request_id": notice.object_id},
    )
    notices.delete()


class Migration(migrations.Migration):
    dependencies = [
        ("support", "0011_inbound_reason_codes"),
        ("notifications", "0004_sent_notice"),
    ]

    operations = [
        migrations.RunPython(into_sent_notice, back_into_sla_notice),
        migrations.DeleteModel(name="SlaNotice"),
    ]
