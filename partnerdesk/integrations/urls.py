from django.urls import path

from partnerdesk.integrations import views

app_name = "integrations"

urlpatterns = [
    # The OAuth 2.0 token endpoint: a protocol endpoint beside the API (ADR 0012).
    path("api/v1/oauth/token", views.token, name="token"),
    path("operator/apps/", views.operator_apps, name="operator_apps"),
    path("operator/apps/<uuid:app_id>/rotate/", views.operator_app_rotate, name="operator_apps_rotate"),
    path("operator/apps/<uuid:app_id>/delete/", views.operator_app_delete, name="operator_apps_delete"),
    path("partner/apps/", views.partner_apps, name="partner_apps"),
    path("partner/apps/<uuid:app_id>/rotate/", views.partner_app_rotate, name="partner_apps_rotate"),
    path("partner/apps/<uuid:app_id>/delete/", views.partner_app_delete, name="partner_apps_delete"),
    path("admin/apps/", views.admin_apps, name="admin_apps"),
    path("admin/apps/<uuid:app_id>/rotate/", views.admin_app_rotate, name="admin_apps_rotate"),
    path("admin/apps/<uuid:app_id>/delete/", views.admin_app_delete, name="admin_apps_delete"),
]
