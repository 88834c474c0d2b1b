"""Each portal's webhook pages: the same views, mounted once per portal through `requires`."""

from django.urls import path
from django.views.decorators.http import require_POST

from partnerdesk.access.permissions import Permission as P
from partnerdesk.access.web import requires
from partnerdesk.webhooks import views

app_name = "webhooks"

urlpatterns = []
for portal in ("operator", "partner", "admin"):
    allowed = requires(P.WEBHOOKS_MANAGE, portal=portal)
    urlpatterns += [
        path(
            f"{portal}/webhooks/",
            allowed(views.endpoints),
            {"portal": portal},
            name=f"{portal}_endpoints",
        ),
        path(
            f"{portal}/webhooks/<uuid:endpoint_id>/",
            allowed(views.endpoint),
            {"portal": portal},
            name=f"{portal}_endpoint",
        ),
        path(
            f"{portal}/webhooks/<uuid:endpoint_id>/rotate/",
            require_POST(allowed(views.rotate)),
            {"portal": portal},
            name=f"{portal}_rotate",
        ),
        path(
            f"{portal}/webhooks/<uuid:endpoint_id>/test/",
            require_POST(allowed(views.test)),
            {"portal": portal},
            name=f"{portal}_test",
        ),
        path(
            f"{portal}/webhooks/<uuid:endpoint_id>/delete/",
            require_POST(allowed(views.delete)),
            {"portal": portal},
            name=f"{portal}_delete",
        ),
        path(
            f"{portal}/webhooks/<uuid:endpoint_id>/deliveries/<uuid:delivery_id>/resend/",
            require_POST(allowed(views.resend)),
            {"portal": portal},
            name=f"{portal}_resend",
        ),
    ]
