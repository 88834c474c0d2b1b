from django.urls import path

from partnerdesk.access.permissions import Permission as P
from partnerdesk.access.rules import Need
from partnerdesk.access.web import Mount, in_portals
from partnerdesk.directory import rules, views

app_name = "directory"

# A customer's domains in the admin center (domain_list, …); a partner's own in the partner center
# (partner_domain_list, …), where named rules decide (`directory.rules`).
DOMAINS = [
    Mount("admin", "admin/domains/", "domain_"),
    Mount("partner", "partner/domains/", "partner_domain_"),
]
VIEW_DOMAINS: dict[str, Need] = {"admin": P.DOMAINS_VIEW, "partner": rules.PARTNER_DOMAINS_VIEW}
MANAGE_DOMAINS: dict[str, Need] = {"admin": P.DOMAINS_MANAGE, "partner": rules.PARTNER_DOMAINS_MANAGE}

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
    # The domains pages, the same in the admin center and the partner center (its own domains).
    *in_portals(DOMAINS, "", views.domain_list, "list", VIEW_DOMAINS),
    *in_portals(DOMAINS, "new/", views.domain_add, "add", MANAGE_DOMAINS),
    path("admin/domains/default/", views.domain_default, name="domain_default"),
    *in_portals(DOMAINS, "<uuid:domain_id>/", views.domain_detail, "detail", VIEW_DOMAINS),
    *in_portals(
        DOMAINS, "<uuid:domain_id>/verify/", views.domain_verify, "verify", MANAGE_DOMAINS, only="POST"
    ),
    *in_portals(
        DOMAINS, "<uuid:domain_id>/remove/", views.domain_remove, "remove", MANAGE_DOMAINS, only="POST"
    ),
    path("admin/settings/", views.organization_settings, name="organization_settings"),
    path("admin/settings/mfa/", views.organization_mfa, name="organization_mfa"),
    path("admin/sign-ins/", views.sign_in_log, name="sign_in_log"),
]
