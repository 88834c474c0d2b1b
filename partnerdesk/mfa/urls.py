from django.urls import path

from partnerdesk.mfa import views

app_name = "mfa"

urlpatterns = [
    path("account/signin/verify/", views.verify, name="verify"),
    path(
        "account/signin/verify/webauthn/options/",
        views.webauthn_sign_in_options,
        name="webauthn_sign_in_options",
    ),
    path("account/signin/verify/webauthn/", views.webauthn_sign_in, name="webauthn_sign_in"),
    path("account/mfa/", views.factors, name="factors"),
    path("account/mfa/webauthn/options/", views.webauthn_register_options, name="webauthn_register_options"),
    path("account/mfa/webauthn/", views.webauthn_register, name="webauthn_register"),
    path("account/mfa/totp/", views.totp_start, name="totp_start"),
    path("account/mfa/totp/confirm/", views.totp_confirm, name="totp_confirm"),
    path("account/mfa/recovery-codes/", views.recovery_codes, name="recovery_codes"),
    path("account/mfa/<uuid:factor_id>/rename/", views.factor_rename, name="factor_rename"),
    path("account/mfa/<uuid:factor_id>/remove/", views.factor_remove, name="factor_remove"),
]
