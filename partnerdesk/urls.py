"""Every URL of the product. Each view declares its permission (see partnerdesk.access.web).

The API's routers are mounted here too, at the top of the layers (ADR 0008): `partnerdesk.api` is the
platform's base every app's `api.py` builds on, so it cannot import them.
"""

from django.conf import settings
from django.urls import include, path

from partnerdesk.accounts.api import router as accounts_router
from partnerdesk.api import api
from partnerdesk.audit.api import router as audit_router
from partnerdesk.catalog.api import router as catalog_router
from partnerdesk.directory.api import router as directory_router
from partnerdesk.health.api import router as health_router
from partnerdesk.integrations.api import router as integrations_router
from partnerdesk.mfa.api import router as mfa_router
from partnerdesk.sso.api import router as sso_router
from partnerdesk.subscriptions.api import router as subscriptions_router
from partnerdesk.support.api import router as support_router
from partnerdesk.tenancy.api import router as tenancy_router
from partnerdesk.webhooks.api import router as webhooks_router

api.add_router("", accounts_router)
api.add_router("", mfa_router)
api.add_router("", tenancy_router)
api.add_router("", support_router)
api.add_router("", audit_router)
api.add_router("", catalog_router)
api.add_router("", subscriptions_router)
api.add_router("", health_router)
api.add_router("", directory_router)
api.add_router("", sso_router)
api.add_router("", integrations_router)
api.add_router("", webhooks_router)
if settings.BENCH_ENDPOINTS:
    from partnerdesk.bench_floor import router as bench_router

    api.add_router("", bench_router)

urlpatterns = [
    path("", include("partnerdesk.portals.urls")),
    path("", include("partnerdesk.accounts.urls")),
    path("", include("partnerdesk.mfa.urls")),
    path("", include("partnerdesk.tenancy.urls")),
    path("", include("partnerdesk.audit.urls")),
    path("", include("partnerdesk.support.urls")),
    path("", include("partnerdesk.health.urls")),
    path("", include("partnerdesk.directory.urls")),
    path("", include("partnerdesk.catalog.urls")),
    path("", include("partnerdesk.subscriptions.urls")),
    path("", include("partnerdesk.sso.urls")),
    path("", include("partnerdesk.integrations.urls")),
    path("", include("partnerdesk.webhooks.urls")),
    path("api/v1/", api.urls),
]
