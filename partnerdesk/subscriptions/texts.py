"""How the sentences subscriptions store (why a scheduled change no longer applies) read, in the
reader's language (`partnerdesk.texts`)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from partnerdesk import texts
from partnerdesk.subscriptions.models import Subscription

texts.register(
    "subscriptions.scheduled_suspended",
    lambda p: (
        _(
            "The subscription was suspended (%(reason)s), so it cannot change at renewal; reactivate it "
            "and schedule the change again."
        )
        % {
            "reason": Subscription.SuspensionReason(p["reason"]).label
            if p.get("reason")
            else _("no reason given")
        }
    ),
)
texts.register(
    "subscriptions.scheduled_not_renewing",
    lambda p: (
        _("The subscription was %(status)s, so it will not renew.")
        % {"status": str(Subscription.Status(p["status"]).label).lower()}
    ),
)
texts.register(
    "subscriptions.scheduled_auto_renew_off",
    lambda p: _("Auto-renew was turned off, so the subscription will not renew."),
)
texts.register(
    "subscriptions.scheduled_outside_limits",
    lambda p: _("%(quantity)s seats is outside the offer's limits (%(min)s-%(max)s).") % p,
)
texts.register(
    "subscriptions.scheduled_below_assigned",
    lambda p: _("%(assigned)s licences are now assigned, more than %(quantity)s seats.") % p,
)
texts.register(
    "subscriptions.scheduled_replaced",
    lambda p: _("Replaced by a later scheduled change to %(quantity)s seats.") % p,
)
