from django.urls import path

from partnerdesk.tenancy import views

app_name = "tenancy"

urlpatterns = [
    path("operator/partners/", views.partner_list, name="partner_list"),
    path("operator/partners/new/", views.partner_create, name="partner_create"),
    path("operator/partners/<uuid:partner_id>/", views.partner_detail, name="partner_detail"),
    path("operator/partners/<uuid:partner_id>/edit/", views.partner_edit, name="partner_edit"),
    path("operator/partners/<uuid:partner_id>/mfa/", views.partner_mfa, name="partner_mfa"),
    path("operator/partners/<uuid:partner_id>/status/", views.partner_suspend, name="partner_suspend"),
    path("partner/customers/", views.customer_list, name="customer_list"),
    path("partner/customers/new/", views.customer_create, name="customer_create"),
    path("partner/customers/<uuid:customer_id>/", views.customer_detail, name="customer_detail"),
    path("partner/customers/<uuid:customer_id>/edit/", views.customer_edit, name="customer_edit"),
    path(
        "partner/customers/<uuid:customer_id>/relationships/new/",
        views.relationship_request,
        name="relationship_request",
    ),
    path("partner/relationships/", views.partner_relationships, name="partner_relationships"),
    path(
        "partner/relationships/<uuid:relationship_id>/end/",
        views.partner_relationship_end,
        name="partner_relationship_end",
    ),
    path("switch-organization/", views.switch_organization, name="switch_organization"),
    path("admin/relationships/", views.admin_relationships, name="admin_relationships"),
    path(
        "admin/relationships/<uuid:relationship_id>/<str:decision>/",
        views.admin_relationship_decide,
        name="admin_relationship_decide",
    ),
]
