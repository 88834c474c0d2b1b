from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "partnerdesk.webhooks"
    label = "webhooks"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from partnerdesk.webhooks import scopes  # noqa: F401  (registers its rules into access.policy)
