from django.apps import AppConfig


class LiveConfig(AppConfig):
    name = "partnerdesk.live"
    label = "live"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from partnerdesk.live import scopes  # noqa: F401  (registers its rule into access.policy)
