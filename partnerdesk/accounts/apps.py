from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "partnerdesk.accounts"
    label = "accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from partnerdesk import api
        from partnerdesk.access import principal
        from partnerdesk.accounts import scopes, services  # noqa: F401  (scopes registers its rules into access.policy)

        principal.read_roles_with(services.role_names)
        api.resolve_tokens_with(services.token_for_bearer)
