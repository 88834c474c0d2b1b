from django.urls import path

from partnerdesk.access.permissions import Permission as P
from partnerdesk.access.web import Mount, in_portals
from partnerdesk.sso import views

app_name = "sso"

# Each organization's single sign-on settings: the partner's in the partner center, a customer's in
# the admin center (partner_settings, admin_settings).
SETTINGS = [
    Mount("partner", "partner/single-sign-on/", "partner_settings"),
    Mount("admin", "admin/settings/single-sign-on/", "admin_settings"),
]

urlpatterns = [
    path("account/sso/start/", views.start, name="start"),
    path("account/sso/callback/", views.callback, name="callback"),
    *in_portals(SETTINGS, "", views.settings_page, "", P.SSO_MANAGE),
    *in_portals(SETTINGS, "remove/", views.remove_page, "_remove", P.SSO_MANAGE, only="POST"),
]
