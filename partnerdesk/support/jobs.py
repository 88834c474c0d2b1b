"""Periodic work of support: e-mail the assignee and a supervisor when an SLA target is breached or
about to be. Exactly once per request, target and due time, however many workers run the job:
the notice is claimed (`notifications.claim_notice`, ADR 0015) in the transaction that queues its e-mail.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from partnerdesk.access.permissions import Permission
from partnerdesk.audit import services as audit
from partnerdesk.notifications.jobs import periodic
from partnerdesk.notifications.models import SentNotice
from partnerdesk.notifications.services import claim_notice
from partnerdesk.support import common, mail, sla
from partnerdesk.support.models import ServiceRequest, SupportRequest

TARGETS = {"first_response": _("first response"), "resolution": _("resolution")}
# What a request's notices are about in the platform's one notice table (`SentNotice.object_type`).
OBJECT_TYPES = {"support": "support_request", "service": "service_request"}
BATCH = 200


@periodic("support.sla_breaches", every=timedelta(minutes=1))
def notify_sla_breaches() -> int:
    """Queue breach and near-breach e-mails that are due; return how many notices this run wrote."""
    now = timezone.now()
    written = 0
    for request_type, model in (("support", SupportRequest), ("service", ServiceRequest)):
        for target in TARGETS:
            for kind in ("breach", "near"):
                for request in candidates(model, request_type, target, kind, now)[:BATCH]:
                    written += notify(request, request_type, target, kind)
    return written


def candidates(model: Any, request_type: str, target: str, kind: str, now: Any) -> Any:
    """Running requests past (or near) the target's due time that have no notice for it yet."""
    field = f"{target}_due_at"
    finished = ["resolved", "closed"] if model is SupportRequest else ["closed"]
    queryset = model.objects.exclude(status__in=finished).filter(
        paused_at__isnull=True, **{f"{field}__isnull": False}
    )
    if target == "first_response":
        queryset = queryset.filter(first_response_at__isnull=True)
    if kind == "breach":
        queryset = queryset.filter(**{f"{field}__lte": now})
    else:
        queryset = queryset.filter(
            Q(**{f"{field}__gt": now}) & Q(**{f"{field}__lte": now + sla.near_window()})
        )
    notices = SentNotice.objects.filter(
        object_type=OBJECT_TYPES[request_type],
        object_id=OuterRef("pk"),
        kind=f"{target}_{kind}",
        due_at=OuterRef(field),
    )
    return queryset.exclude(Exists(notices)).select_related("partner", "customer", "assignee").order_by(field)


def notify(request: Any, request_type: str, target: str, kind: str) -> int:
    """Write the notice and queue its e-mails in one transaction; 0 when another worker already did."""
    due = getattr(request, f"{target}_due_at")
    with transaction.atomic():
        if not claim_notice(
            object_type=OBJECT_TYPES[request_type], object_id=request.pk, kind=f"{target}_{kind}", due_at=due
        ):
            return 0
        mail.queue_thread_mail(
            recipients(request, request_type),
            "sla_breach",
            {
                "number": request.number,
                "title": request.title,
                "target": TARGETS[target],
                "due": due.strftime("%Y-%m-%d %H:%M"),
                "near": kind == "near",
                "link": link(request, request_type),
            },
            f"support.sla_{kind}",
        )
        audit.record(
            None,
            action=f"{OBJECT_TYPES[request_type]}.sla_{kind}",
            target=request,
            organization=request.partner if request_type == "service" else request.customer,
            after={"target": target, "due_at": due.isoformat()},
        )
    return 1


def recipients(request: Any, request_type: str) -> list[tuple[str, str]]:
    """The assignee (or, unassigned, the desk) and the supervisors of the side that owns the clock."""
    if request_type == "support":
        owners = mail.partner_desk_recipients(request)
        supervisors = common.users_with(request.partner_id, Permission.SUPPORT_SLA_MANAGE)
    else:
        owners = mail.operator_recipients(request)
        supervisors = common.users_with(common.operator_id(), Permission.SUPPORT_SLA_MANAGE)
    return owners + [(u.email, u.effective_language) for u in supervisors]


def link(request: Any, request_type: str) -> str:
    from django.conf import settings

    if request_type == "support":
        return f"{settings.SITE_URL}/partner/support/{request.pk}/"
    return f"{settings.SITE_URL}/operator/service-requests/{request.pk}/"
