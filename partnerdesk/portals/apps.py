from django.apps import AppConfig


class PortalsConfig(AppConfig):
    name = "partnerdesk.portals"
    label = "portals"
    default_auto_field = "django.db.models.BigAutoField"
