"""PostgreSQL: every event row inserted notifies `partnerdesk_live` when its transaction commits.

A trigger rather than a statement in `events.services.emit`: emitting stays one INSERT (the query
budgets of every change are unchanged) and rows written any other way notify too. The payload is the
event's id and audience columns, so the listener wakes only the streams they may concern (ADR 0017).
SQLite has no notifications; its streams poll.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION partnerdesk_live_notify() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('partnerdesk_live', json_build_object(
        'id', NEW.id, 'o', NEW.operator, 'p', NEW.partner_id, 'c', NEW.customer_id, 'i', NEW.internal
    )::text);
    RETURN NULL;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER events_event_live_notify AFTER INSERT ON events_event
    FOR EACH ROW EXECUTE FUNCTION partnerdesk_live_notify();
"""

DROP = """
DROP TRIGGER IF EXISTS events_event_live_notify ON events_event;
DROP FUNCTION IF EXISTS partnerdesk_live_notify();
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [
        ("live", "0001_initial"),
        ("events", "0001_initial"),
    ]

    operations = [migrations.RunPython(create, drop)]
