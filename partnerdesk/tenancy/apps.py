from django.apps import AppConfig


class TenancyConfig(AppConfig):
    name = "partnerdesk.tenancy"
    label = "tenancy"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from partnerdesk.access import principal
        from partnerdesk.tenancy import queries, scopes  # noqa: F401  (scopes registers its rules into access.policy)

        principal.read_delegations_with(queries.delegations, join=queries.join_delegation)
