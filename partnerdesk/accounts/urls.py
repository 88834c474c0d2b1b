from django.urls import path

from partnerdesk.access.permissions import Permission as P
from partnerdesk.access.web import Mount, in_portals
from partnerdesk.accounts import views

app_name = "accounts"

# The team pages of the operator console and the partner center (the admin center's are the
# directory's users), and where each portal keeps its organization's API tokens.
TEAM = [Mount(portal, f"{portal}/team/", f"{portal}_team") for portal in ("operator", "partner")]
TOKENS = [
    Mount("operator", "operator/team/tokens/", "operator_tokens"),
    Mount("partner", "partner/team/tokens/", "partner_tokens"),
    Mount("admin", "admin/users/tokens/", "admin_tokens"),
]

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
    # Team pages live inside their portals' URL space, the same views in each portal.
    *in_portals(TEAM, "", views.team_list, "", P.TEAM_VIEW),
    *in_portals(TEAM, "new/", views.team_create, "_create", P.TEAM_MANAGE),
    *in_portals(TEAM, "<uuid:user_id>/block/", views.team_block, "_block", P.TEAM_MANAGE, only="POST"),
    *in_portals(
        [*TEAM, Mount("admin", "admin/users/", "admin_user")],
        "<uuid:user_id>/mfa/reset/",
        views.reset_factors,
        "_reset_factors",
        P.TEAM_MANAGE,
        only="POST",
        fresh_mfa=True,
    ),
    # The organization's API tokens, for its admins: in the team pages, and the admin center's users.
    *in_portals(TOKENS, "", views.organization_tokens, "", P.TOKENS_MANAGE),
    *in_portals(
        TOKENS,
        "<uuid:token_id>/revoke/",
        views.organization_token_revoke,
        "_revoke",
        P.TOKENS_MANAGE,
        only="POST",
    ),
]
