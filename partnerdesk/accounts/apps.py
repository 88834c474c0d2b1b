from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "partnerdesk.accounts"
    label = "accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from partnerdesk.accounts import scopes  # noqa: F401  (registers its rules into access.policy)
