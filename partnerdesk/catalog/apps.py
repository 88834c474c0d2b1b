from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "partnerdesk.catalog"
    label = "catalog"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from partnerdesk.catalog import scopes  # noqa: F401  (registers its rules into access.policy)
