from django.urls import path

from partnerdesk.sso import views

app_name = "sso"

urlpatterns = [
    path("account/sso/start/", views.start, name="start"),
    path("account/sso/callback/", views.callback, name="callback"),
    path("partner/single-sign-on/", views.partner_settings, name="partner_settings"),
    path("partner/single-sign-on/remove/", views.partner_settings_remove, name="partner_settings_remove"),
    path("admin/settings/single-sign-on/", views.admin_settings, name="admin_settings"),
    path("admin/settings/single-sign-on/remove/", views.admin_settings_remove, name="admin_settings_remove"),
]
