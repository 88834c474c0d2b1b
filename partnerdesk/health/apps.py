from django.apps import AppConfig


class HealthConfig(AppConfig):
    name = "partnerdesk.health"
    label = "health"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from partnerdesk.health import scopes  # noqa: F401  (registers its rules into access.policy)
