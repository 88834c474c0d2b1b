from django.apps import AppConfig


class RateLimitsConfig(AppConfig):
    name = "partnerdesk.ratelimits"
    label = "ratelimits"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "Rate limits"
