from django.apps import AppConfig


class MfaConfig(AppConfig):
    name = "partnerdesk.mfa"
    label = "mfa"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "Multi-factor authentication"

    def ready(self) -> None:
        from partnerdesk.access import freshness
        from partnerdesk.mfa import scopes, services  # noqa: F401  (scopes registers its rules)

        # The wrappers' check of a fresh second factor asks the factors kept here (ADR 0008).
        freshness.use(services)
