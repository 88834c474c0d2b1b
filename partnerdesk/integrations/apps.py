from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "partnerdesk.integrations"
    label = "integrations"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from partnerdesk import api
        from partnerdesk.integrations import (
            scopes,  # noqa: F401  (registers its rules into access.policy)
            services,
        )

        api.resolve_tokens_with(services.principal_for_access_token, kind="app")
