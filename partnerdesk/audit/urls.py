from partnerdesk.access.permissions import Permission as P
from partnerdesk.access.web import Mount, in_portals
from partnerdesk.audit import views

app_name = "audit"

# The same log in each portal: /operator/audit/ named operator_log, and so on.
LOGS = [Mount(portal, f"{portal}/audit/", f"{portal}_log") for portal in ("operator", "partner", "admin")]

urlpatterns = in_portals(LOGS, "", views.audit_log, "", P.AUDIT_VIEW)
