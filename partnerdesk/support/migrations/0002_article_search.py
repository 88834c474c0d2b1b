"""SQLite: an FTS5 table for help-article search (PostgreSQL searches the columns directly)."""

from typing import Any

from django.db import migrations


def create_fts(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "sqlite":
        return
    schema_editor.execute(
        "CREATE VIRTUAL TABLE IF NOT EXISTS support_helparticle_fts USING fts5("
        "article_id UNINDEXED, title, body, tokenize='unicode61 remove_diacritics 2')"
    )


def drop_fts(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute("DROP TABLE IF EXISTS support_helparticle_fts")


class Migration(migrations.Migration):
    dependencies = [("support", "0001_initial")]

    operations = [migrations.RunPython(create_fts, drop_fts)]
