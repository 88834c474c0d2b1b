from django.urls import path

from partnerdesk.portals import views

app_name = "portals"

urlpatterns = [
    path("", views.home, name="home"),
    path("operator/", views.operator_dashboard, name="operator_dashboard"),
    path("partner/", views.partner_dashboard, name="partner_dashboard"),
    path("admin/", views.admin_dashboard, name="admin_dashboard"),
]
