from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "partnerdesk.events"
    label = "events"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from partnerdesk.events import scopes  # noqa: F401  (registers its rule into access.policy)
