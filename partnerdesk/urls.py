"""Every URL of the product. Each view declares its permission (see partnerdesk.access.web)."""

from django.urls import include, path

from partnerdesk.api import api

urlpatterns = [
    path("", include("partnerdesk.portals.urls")),
    path("", include("partnerdesk.accounts.urls")),
    path("", include("partnerdesk.tenancy.urls")),
    path("", include("partnerdesk.audit.urls")),
    path("", include("partnerdesk.support.urls")),
    path("", include("partnerdesk.health.urls")),
    path("", include("partnerdesk.directory.urls")),
    path("", include("partnerdesk.catalog.urls")),
    path("", include("partnerdesk.subscriptions.urls")),
    path("api/v1/", api.urls),
]
