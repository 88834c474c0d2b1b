from django.urls import path

from partnerdesk.access.permissions import Permission as P
from partnerdesk.access.web import Mount, in_portals
from partnerdesk.integrations import views

app_name = "integrations"

# Each portal's Apps pages: /operator/apps/ named operator_apps, and so on.
APPS = [Mount(portal, f"{portal}/apps/", f"{portal}_apps") for portal in ("operator", "partner", "admin")]

urlpatterns = [
    # The OAuth 2.0 token endpoint: a protocol endpoint beside the API (ADR 0012).
    path("api/v1/oauth/token", views.token, name="token"),
    *in_portals(APPS, "", views.app_list, "", P.APPS_VIEW),
    *in_portals(APPS, "<uuid:app_id>/rotate/", views.app_rotate, "_rotate", P.APPS_MANAGE, only="POST"),
    *in_portals(APPS, "<uuid:app_id>/delete/", views.app_delete, "_delete", P.APPS_MANAGE, only="POST"),
]
