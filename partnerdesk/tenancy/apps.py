from django.apps import AppConfig


class TenancyConfig(AppConfig):
    name = "partnerdesk.tenancy"
    label = "tenancy"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from partnerdesk.tenancy import scopes  # noqa: F401  (registers its rules into access.policy)
