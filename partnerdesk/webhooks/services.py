"""Register, change, rotate and delete an organization's webhook endpoints; re-send and test.

Each service runs in one transaction with its audit event. Delivery itself is the worker's
(`fanout`, `delivery`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from partnerdesk import encryption
from partnerdesk.access.permissions import Permission
from partnerdesk.access.principal import Principal
from partnerdesk.audit.services import record
from partnerdesk.errors import DomainError
from partnerdesk.events import catalog
from partnerdesk.events.models import Event
from partnerdesk.webhooks import outbound
from partnerdesk.webhooks.models import WebhookDelivery, WebhookEndpoint, new_secret

SECRET_PURPOSE = "webhooks.secret"
MAX_ENDPOINTS = 20


class InvalidEvents(DomainError):
    status = 422
    code = "unknown_event"


def seal(secret: str) -> str:
    return encryption.seal(SECRET_PURPOSE, secret.encode()).decode()


def unseal(sealed: str) -> str:
    return encryption.unseal(SECRET_PURPOSE, sealed.encode()).decode()


def signing_secrets(endpoint: WebhookEndpoint, now: datetime) -> list[str]:
    """The secrets that sign a delivery now: the current one, and the previous during its roll-over."""
    secrets = [unseal(endpoint.secret)]
    if (
        endpoint.previous_secret
        and endpoint.previous_secret_expires_at
        and endpoint.previous_secret_expires_at > now
    ):
        secrets.append(unseal(endpoint.previous_secret))
    return secrets


def clean_events(events: list[str]) -> list[str]:
    """The endpoint's event names, each naming something in the catalog (else 422 `unknown_event`)."""
    names = list(dict.fromkeys(name.strip() for name in events if name.strip()))
    if not names:
        raise InvalidEvents(_("Choose at least one event."))
    unknown = [name for name in names if not catalog.valid_pattern(name)]
    if unknown:
        raise InvalidEvents(
            _("Unknown events: %(names)s. See the events catalog.") % {"names": ", ".join(unknown)}
        )
    return names


def _state(endpoint: WebhookEndpoint) -> dict[str, Any]:
    return {
        "url": endpoint.url,
        "events": endpoint.events,
        "description": endpoint.description,
        "enabled": endpoint.enabled,
    }


@dataclass(frozen=True)
class Created:
    endpoint: WebhookEndpoint
    secret: str  # shown once


def create_endpoint(principal: Principal, *, url: str, events: list[str], description: str = "") -> Created:
    """Register an endpoint of the principal's organization; the secret is returned only here."""
    principal.require(Permission.WEBHOOKS_MANAGE)
    names = clean_events(events)
    outbound.check(url)
    secret = new_secret()
    with transaction.atomic():
        organization = principal.organization
        if WebhookEndpoint.objects.filter(organization=organization).count() >= MAX_ENDPOINTS:
            raise DomainError(
                _("An organization may register at most %(count)s webhook endpoints.")
                % {"count": MAX_ENDPOINTS},
                code="too_many_endpoints",
            )
        endpoint = WebhookEndpoint.objects.create(
            organization=organization,
            url=url,
            events=names,
            description=description,
            secret=seal(secret),
            created_by=principal.user,
        )
        record(
            principal,
            action="webhook_endpoint.created",
            target=endpoint,
            organization=organization,
            after=_state(endpoint),
        )
    return Created(endpoint=endpoint, secret=secret)


def update_endpoint(
    principal: Principal,
    endpoint: WebhookEndpoint,
    *,
    url: str | None = None,
    events: list[str] | None = None,
    description: str | None = None,
    enabled: bool | None = None,
) -> WebhookEndpoint:
    """Change an endpoint's URL, events, description, or turn it on or off again."""
    principal.require(Permission.WEBHOOKS_MANAGE)
    names = clean_events(events) if events is not None else None
    if url is not None:
        outbound.check(url)
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        before = _state(endpoint)
        if url is not None:
            endpoint.url = url
        if names is not None:
            endpoint.events = names
        if description is not None:
            endpoint.description = description
        if enabled is not None and enabled != endpoint.enabled:
            endpoint.enabled = enabled
            endpoint.disabled_at = None if enabled else timezone.now()
            endpoint.disabled_reason = "" if enabled else WebhookEndpoint.DISABLED_BY_ADMIN
            endpoint.failing_since = None
        endpoint.save()
        record(
            principal,
            action="webhook_endpoint.updated",
            target=endpoint,
            organization=endpoint.organization,
            before=before,
            after=_state(endpoint),
        )
    return endpoint


def rotate_secret(principal: Principal, endpoint: WebhookEndpoint, *, now: datetime | None = None) -> Created:
    """Give the endpoint a new secret; the old one keeps signing too for the roll-over period."""
    principal.require(Permission.WEBHOOKS_MANAGE)
    now = now or timezone.now()
    secret = new_secret()
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        endpoint.previous_secret = endpoint.secret
        endpoint.previous_secret_expires_at = now + timedelta(hours=settings.WEBHOOK_SECRET_ROLLOVER_HOURS)
        endpoint.secret = seal(secret)
        endpoint.save()
        record(
            principal,
            action="webhook_endpoint.secret_rotated",
            target=endpoint,
            organization=endpoint.organization,
            after={"previous_secret_expires_at": endpoint.previous_secret_expires_at.isoformat()},
        )
    return Created(endpoint=endpoint, secret=secret)


def delete_endpoint(principal: Principal, endpoint: WebhookEndpoint) -> None:
    """Delete an endpoint with its deliveries and their log; nothing more is sent to it."""
    principal.require(Permission.WEBHOOKS_MANAGE)
    with transaction.atomic():
        record(
            principal,
            action="webhook_endpoint.deleted",
            target=endpoint,
            organization=endpoint.organization,
            before=_state(endpoint),
        )
        endpoint.delete()


def send_test(principal: Principal, endpoint: WebhookEndpoint) -> WebhookDelivery:
    """Queue a `webhook.test` ping to this endpoint alone (the worker sends it, in its turn)."""
    principal.require(Permission.WEBHOOKS_MANAGE)
    with transaction.atomic():
        event = Event.objects.create(
            name="webhook.test",
            object_type=endpoint._meta.label_lower,
            object_id=str(endpoint.pk),
            payload=catalog.WebhookTestData(
                endpoint_id=endpoint.pk, message="A test ping from Partnerdesk."
            ).model_dump(mode="json"),
            fanned_out_at=timezone.now(),  # for this endpoint only: never fanned out
        )
        delivery = WebhookDelivery.objects.create(endpoint=endpoint, event=event)
        record(
            principal, action="webhook_endpoint.tested", target=endpoint, organization=endpoint.organization
        )
    return delivery


def resend(principal: Principal, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a delivery again, with the same `webhook-id` (receivers de-duplicate by it)."""
    principal.require(Permission.WEBHOOKS_MANAGE)
    with transaction.atomic():
        delivery = WebhookDelivery.objects.select_for_update().select_related("endpoint").get(pk=delivery.pk)
        if delivery.status in (WebhookDelivery.Status.PENDING, WebhookDelivery.Status.DELIVERING):
            raise DomainError(
                _("This delivery is still being sent."), code="delivery_in_progress", status=409
            )
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            status=WebhookDelivery.Status.PENDING,
            next_attempt_at=timezone.now(),
            attempts=0,
            claimed_by="",
            claimed_at=None,
        )
        delivery.refresh_from_db()
        record(
            principal,
            action="webhook_endpoint.resent",
            target=delivery.endpoint,
            organization=delivery.endpoint.organization,
            after={"message_id": delivery.message_id},
        )
    return delivery
