from django.urls import path

from partnerdesk.accounts import views

app_name = "accounts"

urlpatterns = [
    path("account/signin/", views.signin, name="signin"),
    path("account/signout/", views.signout, name="signout"),
    path("account/password/", views.password_change, name="password_change"),
    path("account/password/reset/", views.password_reset, name="password_reset"),
    path(
        "account/password/reset/<str:uidb64>/<str:token>/",
        views.password_reset_confirm,
        name="password_reset_confirm",
    ),
    path("account/language/", views.language, name="language"),
    path("account/profile/", views.profile, name="profile"),
    path("account/sessions/", views.session_list, name="sessions"),
    path("account/sessions/end-others/", views.session_end_others, name="session_end_others"),
    path("account/sessions/<uuid:session_id>/end/", views.session_end, name="session_end"),
    path("account/tokens/", views.token_create, name="token_create"),
    path("account/tokens/<uuid:token_id>/revoke/", views.token_revoke, name="token_revoke"),
    # Team pages live inside their portals' URL space.
    path("operator/team/", views.operator_team, name="operator_team"),
    path("operator/team/new/", views.operator_team_create, name="operator_team_create"),
    path("operator/team/<uuid:user_id>/block/", views.operator_team_block, name="operator_team_block"),
    path(
        "operator/team/<uuid:user_id>/mfa/reset/",
        views.operator_team_reset_factors,
        name="operator_team_reset_factors",
    ),
    path("partner/team/", views.partner_team, name="partner_team"),
    path(
        "partner/team/<uuid:user_id>/mfa/reset/",
        views.partner_team_reset_factors,
        name="partner_team_reset_factors",
    ),
    path(
        "admin/users/<uuid:user_id>/mfa/reset/",
        views.admin_user_reset_factors,
        name="admin_user_reset_factors",
    ),
    path("partner/team/new/", views.partner_team_create, name="partner_team_create"),
    path("partner/team/<uuid:user_id>/block/", views.partner_team_block, name="partner_team_block"),
    # The organization's API tokens, for its admins: in the team pages, and the admin center's users.
    path("operator/team/tokens/", views.operator_tokens, name="operator_tokens"),
    path(
        "operator/team/tokens/<uuid:token_id>/revoke/",
        views.operator_token_revoke,
        name="operator_tokens_revoke",
    ),
    path("partner/team/tokens/", views.partner_tokens, name="partner_tokens"),
    path(
        "partner/team/tokens/<uuid:token_id>/revoke/",
        views.partner_token_revoke,
        name="partner_tokens_revoke",
    ),
    path("admin/users/tokens/", views.admin_tokens, name="admin_tokens"),
    path("admin/users/tokens/<uuid:token_id>/revoke/", views.admin_token_revoke, name="admin_tokens_revoke"),
]
