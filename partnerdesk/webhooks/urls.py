"""Each portal's webhook pages: the same views, mounted once per portal (`access.web.in_portals`)."""

from partnerdesk.access.permissions import Permission as P
from partnerdesk.access.web import Mount, in_portals
from partnerdesk.webhooks import views

app_name = "webhooks"

# /operator/webhooks/ named operator_endpoints, and so on.
WEBHOOKS = [Mount(portal, f"{portal}/webhooks/", f"{portal}_") for portal in ("operator", "partner", "admin")]
ENDPOINT = "<uuid:endpoint_id>/"

urlpatterns = [
    *in_portals(WEBHOOKS, "", views.endpoints, "endpoints", P.WEBHOOKS_MANAGE),
    *in_portals(WEBHOOKS, ENDPOINT, views.endpoint, "endpoint", P.WEBHOOKS_MANAGE),
    *in_portals(WEBHOOKS, f"{ENDPOINT}rotate/", views.rotate, "rotate", P.WEBHOOKS_MANAGE, only="POST"),
    *in_portals(WEBHOOKS, f"{ENDPOINT}test/", views.test, "test", P.WEBHOOKS_MANAGE, only="POST"),
    *in_portals(WEBHOOKS, f"{ENDPOINT}delete/", views.delete, "delete", P.WEBHOOKS_MANAGE, only="POST"),
    *in_portals(
        WEBHOOKS,
        f"{ENDPOINT}deliveries/<uuid:delivery_id>/resend/",
        views.resend,
        "resend",
        P.WEBHOOKS_MANAGE,
        only="POST",
    ),
]
