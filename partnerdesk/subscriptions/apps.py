from django.apps import AppConfig


class SubscriptionsConfig(AppConfig):
    name = "partnerdesk.subscriptions"
    label = "subscriptions"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from partnerdesk.subscriptions import (
            scopes,  # noqa: F401  (registers its rules into access.policy)
            texts,  # noqa: F401  (registers how its stored sentences read)
        )
        from partnerdesk.subscriptions.entitlements import keep_entitled_services

        keep_entitled_services()
