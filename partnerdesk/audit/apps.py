from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "partnerdesk.audit"
    label = "audit"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from partnerdesk.audit import scopes  # noqa: F401  (registers its rules into access.policy)
