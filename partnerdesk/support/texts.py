"""How the sentences support writes into timelines read (`partnerdesk.texts`), in the reader's language."""

from __future__ import annotations

from django.utils.translation import gettext as _

from partnerdesk import texts
from partnerdesk.support.models import ServiceRequest, SupportRequest

texts.register(
    "support.status_changed",
    lambda p: _("Status changed to %(status)s.") % {"status": SupportRequest.Status(p["status"]).label},
)
texts.register(
    "service_request.status_changed",
    lambda p: _("Status changed to %(status)s.") % {"status": ServiceRequest.Status(p["status"]).label},
)
texts.register("support.escalated", lambda p: _("Escalated to the operator."))
texts.register("support.merged_into", lambda p: _("Merged into %(number)s.") % {"number": p["number"]})
texts.register(
    "support.merged_here", lambda p: _("%(number)s was merged into this request.") % {"number": p["number"]}
)
