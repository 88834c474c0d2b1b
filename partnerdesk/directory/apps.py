from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    name = "partnerdesk.directory"
    label = "directory"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "Directory"
