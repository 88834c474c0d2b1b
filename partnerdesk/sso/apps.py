from django.apps import AppConfig


class SsoConfig(AppConfig):
    name = "partnerdesk.sso"
    label = "sso"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "Single sign-on"

    def ready(self) -> None:
        from partnerdesk.accounts import single_sign_on
        from partnerdesk.sso import scopes, signin  # noqa: F401  (scopes registers its rule into access.policy)

        # accounts' sign-in page and password paths ask which domains sign in elsewhere (ADR 0011).
        single_sign_on.use(signin)
