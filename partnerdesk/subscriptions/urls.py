from django.urls import path

from partnerdesk.subscriptions import views

app_name = "subscriptions"

urlpatterns = [
    path("partner/subscriptions/", views.partner_subscriptions, name="partner_subscriptions"),
    path("partner/subscriptions/<uuid:subscription_id>/", views.partner_detail, name="partner_detail"),
    path(
        "partner/subscriptions/<uuid:subscription_id>/<str:action>/",
        views.subscription_action,
        name="subscription_action",
    ),
    path(
        "partner/customers/<uuid:customer_id>/subscriptions/",
        views.customer_subscriptions,
        name="customer_subscriptions",
    ),
    path(
        "partner/customers/<uuid:customer_id>/subscriptions/new/",
        views.subscription_create,
        name="subscription_create",
    ),
    path("partner/change-requests/", views.partner_change_requests, name="partner_change_requests"),
    path(
        "partner/change-requests/<uuid:request_id>/approve/",
        views.change_request_approve,
        name="change_request_approve",
    ),
    path(
        "partner/change-requests/<uuid:request_id>/decide/",
        views.change_request_decide,
        name="change_request_decide",
    ),
    path("admin/subscriptions/", views.admin_subscriptions, name="admin_subscriptions"),
    path(
        "admin/subscriptions/<uuid:subscription_id>/request-change/",
        views.admin_request_change,
        name="admin_request_change",
    ),
    path("admin/change-requests/", views.admin_change_requests, name="admin_change_requests"),
    path(
        "admin/change-requests/<uuid:request_id>/reply/",
        views.admin_change_request_reply,
        name="admin_change_request_reply",
    ),
    path("admin/licenses/", views.admin_licences, name="admin_licences"),
    path("admin/licenses/<uuid:sku_id>/", views.admin_pool, name="admin_pool"),
    path("admin/licenses/users/<uuid:user_id>/", views.admin_user_licences, name="admin_user_licences"),
]
