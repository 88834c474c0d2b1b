from django.urls import path

from partnerdesk.directory import views

app_name = "directory"

urlpatterns = [
    path("admin/users/", views.user_list, name="user_list"),
    path("admin/users/new/", views.user_create, name="user_create"),
    path("admin/users/import/", views.user_import, name="user_import"),
    path("admin/users/deleted/", views.deleted_users, name="deleted_users"),
    path("admin/users/<uuid:user_id>/", views.user_detail, name="user_detail"),
    path("admin/users/<uuid:user_id>/edit/", views.user_edit, name="user_edit"),
    path("admin/users/<uuid:user_id>/block/", views.user_block, name="user_block"),
    path("admin/users/<uuid:user_id>/require-change/", views.user_require_change, name="user_require_change"),
    path("admin/users/<uuid:user_id>/roles/", views.user_roles, name="user_roles"),
    path("admin/users/<uuid:user_id>/reset-password/", views.user_reset_password, name="user_reset_password"),
    path("admin/users/<uuid:user_id>/delete/", views.user_delete, name="user_delete"),
    path("admin/users/<uuid:user_id>/restore/", views.user_restore, name="user_restore"),
    path("admin/groups/", views.group_list, name="group_list"),
    path("admin/groups/new/", views.group_create, name="group_create"),
    path("admin/groups/<uuid:group_id>/", views.group_detail, name="group_detail"),
    path("admin/groups/<uuid:group_id>/members/", views.group_member_add, name="group_member_add"),
    path(
        "admin/groups/<uuid:group_id>/members/<uuid:user_id>/remove/",
        views.group_member_remove,
        name="group_member_remove",
    ),
    path("admin/groups/<uuid:group_id>/delete/", views.group_delete, name="group_delete"),
    path("admin/domains/", views.domain_list, name="domain_list"),
    path("admin/domains/new/", views.domain_add, name="domain_add"),
    path("admin/domains/default/", views.domain_default, name="domain_default"),
    path("admin/domains/<uuid:domain_id>/", views.domain_detail, name="domain_detail"),
    path("admin/domains/<uuid:domain_id>/verify/", views.domain_verify, name="domain_verify"),
    path("admin/domains/<uuid:domain_id>/remove/", views.domain_remove, name="domain_remove"),
    path("partner/domains/", views.partner_domain_list, name="partner_domain_list"),
    path("partner/domains/new/", views.partner_domain_add, name="partner_domain_add"),
    path("partner/domains/<uuid:domain_id>/", views.partner_domain_detail, name="partner_domain_detail"),
    path(
        "partner/domains/<uuid:domain_id>/verify/", views.partner_domain_verify, name="partner_domain_verify"
    ),
    path(
        "partner/domains/<uuid:domain_id>/remove/", views.partner_domain_remove, name="partner_domain_remove"
    ),
    path("admin/settings/", views.organization_settings, name="organization_settings"),
    path("admin/settings/mfa/", views.organization_mfa, name="organization_mfa"),
    path("admin/sign-ins/", views.sign_in_log, name="sign_in_log"),
]
