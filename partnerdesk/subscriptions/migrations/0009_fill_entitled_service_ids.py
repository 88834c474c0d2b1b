# Each tenant's entitled service ids onto its organization row (subscriptions/entitlements.py).

from django.db import migrations

ENTITLING_STATUSES = ("active", "suspended")


def fill(apps, schema_editor):
    Organization = apps.get_model("tenancy", "Organization")
    Sku = apps.get_model("catalog", "Sku")
    entitled: dict = {}
    rows = (
        Sku.services.through.objects.filter(sku__offers__subscriptions__status__in=ENTITLING_STATUSES)
        .values_list("sku__offers__subscriptions__customer_id", "service_id")
        .distinct()
    )
    for customer_id, service_id in rows:
        entitled.setdefault(customer_id, []).append(str(service_id))
    updated = [Organization(pk=pk, entitled_service_ids=sorted(ids)) for pk, ids in entitled.items()]
    Organization.objects.bulk_update(updated, ["entitled_service_ids"], batch_size=1000)


class Migration(migrations.Migration):

    dependencies = [
        ("subscriptions", "0008_pool_assigned_count"),
        ("tenancy", "0005_entitled_service_ids"),
        ("catalog", "0004_service_feature_region"),
    ]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
