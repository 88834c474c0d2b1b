"""What a destructive change to a subscription or a licence does, in words, for the confirmation step.

Sentences say who loses what and when data is deleted; `partnerdesk.confirm` shows them before the
change is applied. Fewer seats are described by `change_requests.preview`, the same words the
customer's change requests use.
"""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from partnerdesk.catalog.models import Sku
from partnerdesk.catalog.services import policy_of
from partnerdesk.subscriptions.common import assigned_seats
from partnerdesk.subscriptions.models import ScheduledChange, Subscription
from partnerdesk.subscriptions.renewals import retention
from partnerdesk.texts import when


def _pending(subscription: Subscription) -> list[str]:
    return [
        _("The scheduled change to %(quantity)s seats at renewal no longer applies.")
        % {"quantity": change.quantity}
        for change in subscription.scheduled_changes.filter(status=ScheduledChange.Status.PENDING)
    ]


def of_suspension(subscription: Subscription) -> list[str]:
    assigned = assigned_seats(subscription.customer_id, subscription.offer.sku_id)
    lines = [
        ngettext(
            "%(count)s user of %(customer)s loses %(sku)s until the subscription is reactivated; "
            "admins keep their access.",
            "%(count)s users of %(customer)s lose %(sku)s until the subscription is reactivated; "
            "admins keep their access.",
            assigned,
        )
        % {"customer": subscription.customer.name, "count": assigned, "sku": subscription.offer.sku.name},
        _("Billing continues while it is suspended.")
        if policy_of(subscription.offer).billing_continues_while_suspended
        else _("Billing stops while it is suspended."),
    ]
    return lines + _pending(subscription)


def of_cancellation(subscription: Subscription, now: datetime | None = None) -> list[str]:
    now = now or timezone.now()
    assigned = assigned_seats(subscription.customer_id, subscription.offer.sku_id)
    return [
        ngettext(
            "The subscription ends now: %(count)s user of %(customer)s loses %(sku)s.",
            "The subscription ends now: %(count)s users of %(customer)s lose %(sku)s.",
            assigned,
        )
        % {"customer": subscription.customer.name, "count": assigned, "sku": subscription.offer.sku.name},
        _("Its data is kept for %(days)s days, then deleted on %(date)s; this cannot be undone.")
        % {"days": retention().days, "date": when(now + retention())},
        *_pending(subscription),
    ]


def of_licence_removal(sku: Sku, names: list[str]) -> list[str]:
    return [
        ngettext(
            "%(names)s loses %(sku)s at once (its apps and data access stop).",
            "%(names)s lose %(sku)s at once (their apps and data access stop).",
            len(names),
        )
        % {"names": ", ".join(names), "sku": sku.name}
    ]
