from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    name = "partnerdesk.directory"
    label = "directory"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "Directory"

    def ready(self) -> None:
        from partnerdesk.accounts import signin_policy
        from partnerdesk.directory import scopes, signins  # noqa: F401  (scopes registers its rules into access.policy)

        signin_policy.use(signins)  # accounts signs people in under the tenant's policy (ADR 0008)
