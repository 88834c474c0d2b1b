"""Who gets which service health and Message center e-mail, queued through the outbox once per person.

Every send first claims a `MailDelivery(user, key)` row (unique): a second run of a job, a second
worker, or a retried publication finds the row and sends nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from partnerdesk.access.permissions import OrgKind, Role
from partnerdesk.accounts.models import RoleAssignment, User
from partnerdesk.health.models import (
    AdminPreference,
    HealthIssuePost,
    MailDelivery,
    MessagePost,
    PlannedMaintenance,
)
from partnerdesk.notifications.services import queue_mail

READER_ROLES = (
    Role.GLOBAL_ADMIN,
    Role.SERVICE_SUPPORT_ADMIN,
    Role.MESSAGE_CENTER_READER,
    Role.PRIVACY_READER,
)
PRIVACY_ROLES = (Role.GLOBAL_ADMIN, Role.PRIVACY_READER)
HEALTH_ROLES = (Role.GLOBAL_ADMIN, Role.SERVICE_SUPPORT_ADMIN)


def _has_role(roles: Iterable[str]) -> Exists:
    return Exists(RoleAssignment.objects.filter(user_id=OuterRef("pk"), role__in=list(roles)))


def _live_users() -> QuerySet[User]:
    return User.objects.filter(blocked=False, deleted_at__isnull=True, organization__kind=OrgKind.CUSTOMER)


def send_once(
    user: User,
    key: str,
    *,
    template: str,
    context: dict[str, Any],
    kind: str,
    already_addressed: set[str] | None = None,
) -> bool:
    """Queue one e-mail to `user` (and their extra addresses) unless `key` was already sent to them.

    `already_addressed` holds the addresses (lower-cased) this send has reached through earlier users
    of the same fan-out, in the same order on every run: an address that is one admin's own and
    another's extra address, or written twice in different case, receives the mail once. The user's
    addresses join it whether or not this call sends, so a re-run skips the same addresses.
    """
    preference = AdminPreference.objects.filter(user=user).first()
    addresses: list[str] = []
    seen = already_addressed if already_addressed is not None else set()
    for address in [user.email, *(preference.extra_emails if preference else [])]:
        folded = address.strip().lower()
        if folded and folded not in seen:
            seen.add(folded)
            addresses.append(address.strip())
    try:
        with transaction.atomic():
            MailDelivery.objects.create(user=user, key=key[:120])
            if not addresses:
                return False
            queue_mail(
                to=addresses,
                template=template,
                context={"user": user, **context},
                language=user.effective_language,
                kind=kind,
            )
    except IntegrityError:
        return False
    return True


def _tenants_entitled_to(service_ids: Any) -> Any:
    from partnerdesk.subscriptions.models import Subscription
    from partnerdesk.subscriptions.queries import ENTITLING_STATUSES
    from partnerdesk.tenancy.models import Organization

    entitled = Subscription.objects.filter(
        customer_id=OuterRef("pk"), status__in=ENTITLING_STATUSES, offer__sku__services__in=service_ids
    )
    return Organization.objects.filter(kind=OrgKind.CUSTOMER).filter(Exists(entitled))


def _health_subscribers(service_ids: list[Any]) -> QuerySet[User]:
    """Admins who asked for health e-mails about any of these services, in tenants entitled to them."""
    chosen = AdminPreference.health_services.through.objects.filter(
        adminpreference_id=OuterRef("pk"), service_id__in=service_ids
    )
    any_service = AdminPreference.health_services.through.objects.filter(adminpreference_id=OuterRef("pk"))
    opted = AdminPreference.objects.filter(email_health_issues=True).filter(
        Exists(chosen) | ~Exists(any_service)
    )
    return (
        _live_users()
        .filter(pk__in=opted.values("user_id"))
        .filter(organization__in=_tenants_entitled_to(service_ids).values("pk"))
        .filter(_has_role(HEALTH_ROLES))
        .select_related("organization")
        .order_by("pk")
    )


def mail_issue_post(post: HealthIssuePost) -> int:
    """E-mail a notifying timeline post of a published issue to its opted-in admins."""
    issue = post.issue
    service_ids = list(issue.services.values_list("pk", flat=True))
    sent = 0
    addressed: set[str] = set()
    for user in _health_subscribers(service_ids):
        sent += send_once(
            user,
            f"issue_post:{post.pk}",
            template="health_issue",
            context={"issue": issue, "post": post},
            kind="health.issue",
            already_addressed=addressed,
        )
    return sent


def mail_maintenance(maintenance: PlannedMaintenance, *, event: str) -> int:
    """E-mail a maintenance reminder, start, end, reschedule or cancellation to opted-in admins."""
    service_ids = list(maintenance.services.values_list("pk", flat=True))
    sent = 0
    stamp = maintenance.starts_at.isoformat()
    addressed: set[str] = set()
    for user in _health_subscribers(service_ids):
        sent += send_once(
            user,
            f"maintenance:{maintenance.pk}:{event}:{stamp}",
            template="health_maintenance",
            context={"maintenance": maintenance, "event": event},
            kind="health.maintenance",
            already_addressed=addressed,
        )
    return sent


def mail_message(post: MessagePost) -> int:
    """E-mail a published post (or a notifying revision) to admins who want it immediately."""
    from partnerdesk.health.message_center import audience_customers

    wants = Q(pk__in=[])
    if post.is_major_change:
        wants |= Q(pk__in=AdminPreference.objects.filter(email_major_changes=True).values("user_id")) & Q(
            _has_role(READER_ROLES)
        )
    if post.is_data_privacy:
        wants |= Q(pk__in=AdminPreference.objects.filter(email_data_privacy=True).values("user_id")) & Q(
            _has_role(PRIVACY_ROLES)
        )
    if not (post.is_major_change or post.is_data_privacy):
        return 0
    users = (
        _live_users()
        .filter(wants)
        .filter(organization__in=audience_customers(post).values("pk"))
        .select_related("organization")
        .order_by("pk")
    )
    if post.is_data_privacy:
        # A data-privacy post never reaches an admin who may not read it, whatever they opted into.
        users = users.filter(_has_role(PRIVACY_ROLES))
    sent = 0
    addressed: set[str] = set()
    for user in users:
        sent += send_once(
            user,
            f"message:{post.pk}:rev{post.revision}",
            template="health_message",
            context={"message": post},
            kind="health.message",
            already_addressed=addressed,
        )
    return sent


def week_key(moment: datetime) -> str:
    year, week, _ = moment.isocalendar()
    return f"{year}-W{week:02d}"


def send_weekly_digests(now: datetime | None = None) -> int:
    """Send each Message center admin one digest of the last 7 days' posts, once per ISO week.

    Admins who turned the digest off are skipped (it is on by default); tenants with nothing new
    get no e-mail. Posts are evaluated per tenant, once, then mailed to its admins.
    """
    from partnerdesk.health.queries import messages_for_tenant
    from partnerdesk.tenancy.models import Organization

    now = now or timezone.now()
    since = now - timedelta(days=7)
    key = f"digest:{week_key(now)}"
    opted_out = AdminPreference.objects.filter(weekly_digest=False).values("user_id")
    already = MailDelivery.objects.filter(key=key).values("user_id")
    admins = (
        _live_users()
        .filter(_has_role(READER_ROLES))
        .exclude(pk__in=opted_out)
        .exclude(pk__in=already)
        .select_related("organization")
        .order_by("organization_id", "pk")
    )
    privacy_readers = set(
        RoleAssignment.objects.filter(role__in=PRIVACY_ROLES, user__in=admins.values("pk")).values_list(
            "user_id", flat=True
        )
    )
    cache: dict[tuple[Any, bool], list[MessagePost]] = {}
    sent = 0
    for user in admins:
        organization: Organization = user.organization
        include_privacy = user.pk in privacy_readers
        posts_key = (organization.pk, include_privacy)
        if posts_key not in cache:
            cache[posts_key] = list(
                messages_for_tenant(organization, include_privacy=include_privacy)
                .filter(published_at__gte=since)
                .order_by("-published_at")[:50]
            )
        posts = cache[posts_key]
        if not posts:
            continue
        sent += send_once(
            user,
            key,
            template="health_digest",
            context={"messages": posts, "since": since},
            kind="health.digest",
        )
    return sent


def mail_pending() -> int:
    """Claim and mail every issue post and Message center post marked as pending; safe to run twice."""
    sent = 0
    for post_id in list(HealthIssuePost.objects.filter(mail_pending=True).values_list("pk", flat=True)):
        with transaction.atomic():
            if not HealthIssuePost.objects.filter(pk=post_id, mail_pending=True).update(mail_pending=False):
                continue
            post = HealthIssuePost.objects.select_related("issue").get(pk=post_id)
            if post.issue.is_published and post.notifies:
                sent += mail_issue_post(post)
    for message_id in list(
        MessagePost.objects.filter(mail_pending=True, status=MessagePost.Status.PUBLISHED).values_list(
            "pk", flat=True
        )
    ):
        with transaction.atomic():
            if not MessagePost.objects.filter(pk=message_id, mail_pending=True).update(mail_pending=False):
                continue
            sent += mail_message(MessagePost.objects.get(pk=message_id))
    return sent
