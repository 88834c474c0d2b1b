from django.apps import AppConfig


class SupportConfig(AppConfig):
    name = "partnerdesk.support"
    label = "support"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from partnerdesk.support import (
            scopes,  # noqa: F401  (registers its rules into access.policy)
            texts,  # noqa: F401  (registers how its timeline sentences read)
        )
