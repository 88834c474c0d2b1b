from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    name = "partnerdesk.directory"
    label = "directory"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "Directory"

    def ready(self) -> None:
        from partnerdesk.directory import scopes  # noqa: F401  (registers its rules into access.policy)
