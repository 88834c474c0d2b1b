"""Message center attachments move from a database column to files under MEDIA_ROOT, like support's."""

import django.db.models.deletion
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import migrations, models

import partnerdesk.health.models


def to_files(apps, schema_editor):
    MessageAttachment = apps.get_model("health", "MessageAttachment")
    for attachment in MessageAttachment.objects.filter(file="").iterator():
        attachment.file.save(attachment.name, ContentFile(bytes(attachment.content)), save=False)
        attachment.save(update_fields=["file"])


def to_column(apps, schema_editor):
    MessageAttachment = apps.get_model("health", "MessageAttachment")
    for attachment in MessageAttachment.objects.exclude(file="").iterator():
        with attachment.file.open("rb") as handle:
            attachment.content = handle.read()
        attachment.save(update_fields=["content"])


class Migration(migrations.Migration):
    dependencies = [
        ("health", "0007_service_moved_to_catalog"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="messageattachment",
            name="file",
            field=models.FileField(
                default="", max_length=300, upload_to=partnerdesk.health.models._attachment_path
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="messageattachment",
            name="uploaded_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AlterField(
            model_name="messageattachment",
            name="content",
            field=models.BinaryField(default=b""),
        ),
        migrations.RunPython(to_files, to_column),
        migrations.RemoveField(model_name="messageattachment", name="content"),
    ]
