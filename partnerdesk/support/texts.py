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

# Why an inbound mail waits in the quarantine (`inbound.py`), as the desk reads it.
texts.register(
    "inbound.too_large",
    lambda p: _("The message is larger than %(megabytes)s MB.") % {"megabytes": p["megabytes"]},
)
texts.register("inbound.not_email", lambda p: _("This is not an e-mail message."))
texts.register("inbound.no_number", lambda p: _("The subject names no request number."))
texts.register(
    "inbound.unknown_number", lambda p: _("No request has the number %(number)s.") % {"number": p["number"]}
)
texts.register("inbound.empty", lambda p: _("The message has no text."))
texts.register(
    "inbound.not_a_person_of_the_customer",
    lambda p: _("The sender is not a user of %(customer)s.") % {"customer": p["customer"]},
)
texts.register("inbound.may_not_use_support", lambda p: _("The sender may not use support."))
texts.register("inbound.duplicate", lambda p: _("The same message was being processed twice at once."))
texts.register(
    "inbound.refused",
    # The refusal was written in English by the worker; read it in the reader's language if it can be.
    lambda p: _("The request refused the message: %(message)s") % {"message": _(p["message"])},
)
texts.register(
    "inbound.unreadable", lambda p: _("The message could not be read (%(error)s).") % {"error": p["error"]}
)
