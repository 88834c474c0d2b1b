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
BATCH = 1000


def lock_against_writes(schema_editor, model):
    if schema_editor.connection.vendor == "postgresql":
        table = schema_editor.quote_name(model._meta.db_table)
        schema_editor.execute(f"LOCK TABLE {table} IN EXCLUSIVE MODE")


def copy_into_sent_notice(apps, schema_editor):
    SlaNotice = apps.get_model("support", "SlaNotice")
    SentNotice = apps.get_model("notifications", "SentNotice")
    lock_against_writes(schema_editor, SlaNotice)
    rows = []
    for notice in SlaNotice.objects.order_by("pk").iterator(chunk_size=BATCH):
        rows.append(
            SentNotice(
                object_type=OBJECT_TYPES[notice.request_type],
                object_id=notice.request_id,
                kind=notice.kind,
                due_at=notice.due_at,
                created_at=notice.created_at,
            )
        )
        if len(rows) == BATCH:
            SentNotice.objects.bulk_create(rows, ignore_conflicts=True)
            rows = []
    SentNotice.objects.bulk_create(rows, ignore_conflicts=True)


def copy_back(apps, schema_editor):
    SlaNotice = apps.get_model("support", "SlaNotice")
    SentNotice = apps.get_model("notifications", "SentNotice")
    lock_against_writes(schema_editor, SentNotice)
    request_types = {object_type: request_type for request_type, object_type in OBJECT_TYPES.items()}
    rows = []
    for notice in (
        SentNotice.objects.filter(object_type__in=list(request_types))
        .order_by("pk")
        .iterator(chunk_size=BATCH)
    ):
        rows.append(
            SlaNotice(
                request_type=request_types[notice.object_type],
                request_id=notice.object_id,
                kind=notice.kind,
                due_at=notice.due_at,
                created_at=notice.created_at,
            )
        )
        if len(rows) == BATCH:
            SlaNotice.objects.bulk_create(rows, ignore_conflicts=True)
            rows = []
    SlaNotice.objects.bulk_create(rows, ignore_conflicts=True)
    SentNotice.objects.filter(object_type__in=list(request_types)).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("support", "0011_inbound_reason_codes"),
        ("notifications", "0004_sent_notice"),
    ]

    operations = [
        migrations.RunPython(copy_into_sent_notice, copy_back),
        migrations.DeleteModel(name="SlaNotice"),
    ]
