"""Give the tokens made before expiry existed their expiry: creation + 90 days, at the earliest 14 days
from now, so no integration stops the moment this release is deployed (CHANGELOG, Security)."""

from datetime import timedelta
from typing import Any

from django.db import migrations
from django.utils import timezone

LIFETIME = timedelta(days=90)
GRACE = timedelta(days=14)


def set_expiry(apps: Any, schema_editor: Any) -> None:
    token_model = apps.get_model("accounts", "ApiToken")
    earliest = timezone.now() + GRACE
    batch = []
    for token in token_model.objects.only("pk", "created_at").iterator(chunk_size=1000):
        token.expires_at = max(token.created_at + LIFETIME, earliest)
        batch.append(token)
        if len(batch) == 1000:
            token_model.objects.bulk_update(batch, ["expires_at"])
            batch = []
    token_model.objects.bulk_update(batch, ["expires_at"])


class Migration(migrations.Migration):
    dependencies = [("accounts", "0006_token_expiry_scopes_last_use")]

    operations = [migrations.RunPython(set_expiry, migrations.RunPython.noop)]
