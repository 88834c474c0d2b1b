"""Each admin's Message center preferences (services, the weekly digest, e-mails, extra addresses) and
the feed tokens that read the feed without signing in.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from partnerdesk.access.permissions import Permission
from partnerdesk.access.principal import Principal
from partnerdesk.audit import services as audit
from partnerdesk.catalog.models import Service
from partnerdesk.errors import Conflict, DomainError, NotFound
from partnerdesk.health.models import (
    AdminPreference,
    FeedToken,
)

MAX_EXTRA_EMAILS = 2


FEED_TOKEN_PREFIX = "pdf_"


def preferences_for(user: Any) -> AdminPreference:
    """Return a user's preferences (defaults when never saved: weekly digest on, nothing immediate)."""
    try:
        return AdminPreference.objects.get(user=user)
    except AdminPreference.DoesNotExist:
        return AdminPreference(user=user)


def update_preferences(
    principal: Principal,
    *,
    service_ids: Iterable[uuid.UUID | str] = (),
    weekly_digest: bool = True,
    email_major_changes: bool = False,
    email_data_privacy: bool = False,
    email_health_issues: bool = False,
    health_service_ids: Iterable[uuid.UUID | str] = (),
    extra_emails: Iterable[str] = (),
) -> AdminPreference:
    """Save the caller's own Message center and health preferences (up to two extra addresses)."""
    from django.core.validators import validate_email

    from partnerdesk.access import policy

    principal.require(Permission.MESSAGES_VIEW)
    addresses = [a.strip() for a in extra_emails if a and a.strip()]
    if len(addresses) > MAX_EXTRA_EMAILS:
        raise DomainError(_("At most two extra addresses."), code="too_many_addresses")
    for address in addresses:
        try:
            validate_email(address)
        except ValidationError:
            raise DomainError(_("Enter a valid e-mail address."), code="invalid_email") from None
    visible_services = policy.visible(principal, Service)
    services = list(visible_services.filter(pk__in=[str(s) for s in service_ids]))
    health_services = list(visible_services.filter(pk__in=[str(s) for s in health_service_ids]))
    if email_data_privacy and not principal.has(Permission.MESSAGES_PRIVACY):
        email_data_privacy = False
    with transaction.atomic():
        preference, _created = AdminPreference.objects.select_for_update().get_or_create(user=principal.user)
        before = audit.snapshot(
            preference,
            [
                "weekly_digest",
                "email_major_changes",
                "email_data_privacy",
                "email_health_issues",
                "extra_emails",
            ],
        )
        preference.weekly_digest = weekly_digest
        preference.email_major_changes = email_major_changes
        preference.email_data_privacy = email_data_privacy
        preference.email_health_issues = email_health_issues
        preference.extra_emails = addresses
        preference.updated_at = timezone.now()
        preference.save()
        preference.services.set(services)
        preference.health_services.set(health_services)
        audit.record(
            principal,
            action="health_preferences.updated",
            target=preference,
            organization=principal.organization,
            before=before,
            after=audit.snapshot(
                preference,
                [
                    "weekly_digest",
                    "email_major_changes",
                    "email_data_privacy",
                    "email_health_issues",
                    "extra_emails",
                ],
            ),
        )
    return preference


def hash_feed_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@dataclass(frozen=True)
class NewFeedToken:
    token: FeedToken
    raw: str


def create_feed_token(principal: Principal) -> NewFeedToken:
    """Make a new secret feed URL for the caller's tenant (shown once; revoke it any time)."""
    principal.require(Permission.HEALTH_FEED_MANAGE)
    raw = FEED_TOKEN_PREFIX + secrets.token_urlsafe(24)
    with transaction.atomic():
        token = FeedToken.objects.create(
            organization=principal.organization,
            prefix=raw[:10],
            token_hash=hash_feed_token(raw),
            created_by=principal.user,
        )
        audit.record(
            principal, action="feed_token.created", target=token, organization=principal.organization
        )
    return NewFeedToken(token=token, raw=raw)


def revoke_feed_token(principal: Principal, token: FeedToken) -> None:
    """Stop a feed URL working at once."""
    principal.require(Permission.HEALTH_FEED_MANAGE)
    if token.organization_id != principal.organization.pk:
        raise NotFound(_("Not found."))
    with transaction.atomic():
        won = FeedToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
        if not won:
            raise Conflict(_("This feed link is already revoked."), code="already_revoked")
        audit.record(
            principal, action="feed_token.revoked", target=token, organization=principal.organization
        )


def organization_for_feed(raw: str) -> Any:
    """The tenant a feed token belongs to, or None when unknown or revoked."""
    try:
        token = FeedToken.objects.select_related("organization").get(
            token_hash=hash_feed_token(raw), revoked_at__isnull=True
        )
    except FeedToken.DoesNotExist:
        return None
    return token.organization
