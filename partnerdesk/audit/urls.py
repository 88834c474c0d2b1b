from django.urls import path

from partnerdesk.audit import views

app_name = "audit"

urlpatterns = [
    path("operator/audit/", views.operator_log, name="operator_log"),
    path("partner/audit/", views.partner_log, name="partner_log"),
    path("admin/audit/", views.admin_log, name="admin_log"),
]
