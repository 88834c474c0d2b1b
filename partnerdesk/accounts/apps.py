from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "partnerdesk.accounts"
    label = "accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in, user_logged_out

        from partnerdesk import api
        from partnerdesk.access import principal
        from partnerdesk.accounts import (
            scopes,  # noqa: F401  (registers its rules into access.policy)
            services,
            sessions,
        )

        principal.read_roles_with(services.role_names)
        principal.read_principals_with(services.principal_row)
        api.resolve_tokens_with(services.token_for_bearer)
        # Every sign-in and sign-out, whichever view or test made it, keeps the sessions list true.
        user_logged_in.connect(sessions.record_sign_in, dispatch_uid="accounts.sessions.sign_in")
        user_logged_out.connect(sessions.record_sign_out, dispatch_uid="accounts.sessions.sign_out")
