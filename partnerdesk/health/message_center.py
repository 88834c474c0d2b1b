"""Message center: posts, their audiences (resolved when reading, ADR 0006), revisions, attachments and
each reader's view state (read, archived, favourite).

Publishing is cheap whatever the audience: nothing is written per tenant. E-mails that follow a
publication are found and queued by the jobs in `partnerdesk.health.jobs`, once per person.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from partnerdesk import uploads
from partnerdesk.access.permissions import OrgKind, Permission, Role
from partnerdesk.access.principal import Principal
from partnerdesk.audit import services as audit
from partnerdesk.catalog.models import Service
from partnerdesk.errors import Conflict, DomainError, NotFound
from partnerdesk.etags import next_version
from partnerdesk.health import changes as counters
from partnerdesk.health import emit
from partnerdesk.health.common import next_number, require_health_manage, required_text, services_by_id
from partnerdesk.health.models import (
    MessageAttachment,
    MessagePost,
    MessageRevision,
    MessageViewState,
)
from partnerdesk.health.rendering import render_markdown

MESSAGE_READER_ROLES = (
    Role.GLOBAL_ADMIN,
    Role.SERVICE_SUPPORT_ADMIN,
    Role.MESSAGE_CENTER_READER,
    Role.PRIVACY_READER,
)


@dataclass(frozen=True)
class AudienceSpec:
    """Who a post is for: all, tenants entitled to services, one partner's customers, or a list."""

    type: str
    service_ids: tuple[str, ...] = ()
    partner_id: str | None = None
    customer_ids: tuple[str, ...] = ()
    # The services the post is about: only tenants entitled to one of them are reached.
    named_service_ids: tuple[str, ...] = ()


def _resolve_audience(spec: AudienceSpec) -> tuple[list[Service], Any, list[Any]]:
    from partnerdesk.tenancy.models import Organization

    if spec.type not in MessagePost.Audience.values:
        raise DomainError(_("Unknown audience type."), code="invalid_audience")
    services: list[Service] = []
    partner = None
    customers: list[Any] = []
    if spec.type == MessagePost.Audience.SERVICES:
        services = services_by_id(spec.service_ids)
    elif spec.type == MessagePost.Audience.PARTNER_CUSTOMERS:
        try:
            if not spec.partner_id:
                raise ValueError
            partner = Organization.objects.get(pk=str(spec.partner_id), kind=OrgKind.PARTNER)
        except (Organization.DoesNotExist, ValueError, TypeError, ValidationError):
            raise DomainError(_("Unknown partner."), code="unknown_partner") from None
    elif spec.type == MessagePost.Audience.TENANTS:
        wanted = {str(i) for i in spec.customer_ids}
        try:
            customers = list(Organization.objects.filter(pk__in=wanted, kind=OrgKind.CUSTOMER))
        except (ValueError, TypeError, ValidationError):
            customers = []
        if not wanted or len(customers) != len(wanted):
            raise DomainError(_("Unknown or missing tenants."), code="unknown_tenant")
    return services, partner, customers


def audience_customers(spec_or_post: AudienceSpec | MessagePost) -> Any:
    """The tenants an audience reaches, as a queryset (used for counts, previews and mailing)."""
    from partnerdesk.subscriptions.queries import ENTITLING_STATUSES
    from partnerdesk.tenancy.models import Organization

    customers = Organization.objects.filter(kind=OrgKind.CUSTOMER)
    if isinstance(spec_or_post, MessagePost):
        post = spec_or_post
        kind = post.audience
        service_ids: Any = post.audience_services.values("pk")
        partner_id = post.audience_partner_id
        listed: Any = post.audience_customers.values("pk")
        named_service_ids: Any = list(post.services.values_list("pk", flat=True))
    else:
        services, partner, listed_rows = _resolve_audience(spec_or_post)
        kind = spec_or_post.type
        service_ids = [s.pk for s in services]
        partner_id = partner.pk if partner else None
        listed = [c.pk for c in listed_rows]
        named_service_ids = [s.pk for s in services_by_id(spec_or_post.named_service_ids, required=False)]
    from partnerdesk.subscriptions.models import Subscription

    def entitled_to(ids: Any) -> Exists:
        return Exists(
            Subscription.objects.filter(
                customer_id=OuterRef("pk"), status__in=ENTITLING_STATUSES, offer__sku__services__in=ids
            )
        )

    # A post that names services concerns only tenants entitled to one of them (see queries._concerns).
    if named_service_ids:
        customers = customers.filter(entitled_to(named_service_ids))
    if kind == MessagePost.Audience.ALL:
        return customers
    if kind == MessagePost.Audience.SERVICES:
        return customers.filter(entitled_to(service_ids))
    if kind == MessagePost.Audience.PARTNER_CUSTOMERS:
        return customers.filter(partner_id=partner_id)
    return customers.filter(pk__in=listed)


@dataclass(frozen=True)
class Reach:
    tenants: int
    admins: int


def audience_reach(spec_or_post: AudienceSpec | MessagePost) -> Reach:
    """How many tenants and Message center admins an audience reaches (two counting queries)."""
    from partnerdesk.accounts.models import User

    customers = audience_customers(spec_or_post)
    admins = (
        User.objects.filter(
            organization__in=customers.values("pk"), role_assignments__role__in=MESSAGE_READER_ROLES
        )
        .distinct()
        .count()
    )
    return Reach(tenants=customers.count(), admins=admins)


MESSAGE_FIELDS = ["title", "body", "category", "severity", "is_major_change", "act_by", "expires_at", "tags"]


def _clean_tags(tags: Iterable[str]) -> str:
    tags = list(tags)
    unknown = set(tags) - set(MessagePost.Tag.values)
    if unknown:
        raise DomainError(
            _("Unknown tag: %(tags)s.") % {"tags": ", ".join(sorted(unknown))}, code="invalid_tag"
        )
    return MessagePost.join_tags(tags)


def create_message(
    principal: Principal,
    *,
    title: str,
    body: str,
    category: str,
    audience: AudienceSpec,
    severity: str = MessagePost.Severity.NORMAL,
    is_major_change: bool = False,
    act_by: date | None = None,
    service_ids: Iterable[uuid.UUID | str] = (),
    tags: Iterable[str] = (),
    expires_at: datetime | None = None,
    publish: bool = False,
    publish_at: datetime | None = None,
) -> MessagePost:
    """Write a Message center post: a draft, scheduled for `publish_at`, or published at once.

    The audience is stored as a rule, never expanded: the cost is the same for 10 or 100,000 tenants.
    """
    require_health_manage(principal)
    if category not in MessagePost.Category.values:
        raise DomainError(_("Unknown category."), code="invalid_category")
    if severity not in MessagePost.Severity.values:
        raise DomainError(_("Unknown severity."), code="invalid_severity")
    audience_services, partner, customers = _resolve_audience(audience)
    services = services_by_id(service_ids, required=False)
    title, body = required_text(title, _("Title")), required_text(body, _("Body"))
    with transaction.atomic():
        counters.changed(counters.MESSAGES)
        counters.expires(expires_at)
        post = MessagePost.objects.create(
            number=next_number("MC"),
            title=title,
            body=body,
            body_html=render_markdown(body),
            category=category,
            severity=severity,
            is_major_change=is_major_change,
            act_by=act_by,
            tags=_clean_tags(tags),
            expires_at=expires_at,
            audience=audience.type,
            audience_partner=partner,
            created_by=principal.user,
        )
        # A new post links nothing yet: `add` writes the links without reading them first (`set` would).
        post.services.add(*services)
        post.audience_services.add(*audience_services)
        post.audience_customers.add(*customers)
        audit.record(
            principal,
            action="message.created",
            target=post,
            organization=None,
            after={**audit.snapshot(post, MESSAGE_FIELDS), "audience": audience.type},
        )
        if publish:
            _publish_message(principal, post, services=services)
        elif publish_at is not None:
            MessagePost.objects.filter(pk=post.pk).update(
                status=MessagePost.Status.SCHEDULED, publish_at=publish_at, version=next_version()
            )
            post.status, post.publish_at = MessagePost.Status.SCHEDULED, publish_at
    return post


def _publish_message(
    principal: Principal | None, post: MessagePost, *, services: list[Service] | None = None
) -> bool:
    """Publish `post` unless another writer did; `services` are its services when the caller holds them."""
    now = timezone.now()
    won = MessagePost.objects.filter(
        pk=post.pk, status__in=[MessagePost.Status.DRAFT, MessagePost.Status.SCHEDULED]
    ).update(
        status=MessagePost.Status.PUBLISHED,
        published_at=now,
        last_modified_at=now,
        mail_pending=True,
        version=next_version(),
    )
    if not won:
        return False
    post.status, post.published_at, post.last_modified_at = MessagePost.Status.PUBLISHED, now, now
    post.mail_pending = True
    audit.record(principal, action="message.published", target=post, organization=None)
    emit.message("message.published", post, services=services)
    return True


def publish_message(principal: Principal, post: MessagePost) -> MessagePost:
    """Publish a draft or scheduled post now."""
    require_health_manage(principal)
    with transaction.atomic():
        counters.changed(counters.MESSAGES)
        if not _publish_message(principal, post):
            raise Conflict(_("This post is already published."), code="already_published")
    return post


def publish_scheduled_messages() -> int:
    """Publish every scheduled post whose time has come (the worker's job; safe to run twice)."""
    published = 0
    due = MessagePost.objects.filter(status=MessagePost.Status.SCHEDULED, publish_at__lte=timezone.now())
    for post in due:
        with transaction.atomic():
            counters.changed(counters.MESSAGES)
            published += _publish_message(None, post)
    return published


def revise_message(
    principal: Principal,
    post: MessagePost,
    changes: dict[str, Any],
    *,
    note: str = "",
    notifies: bool = False,
) -> MessagePost:
    """Change a post. Once published, the earlier text is kept as a visible revision that says
    whether this change notified; a notifying revision marks the post unread for everyone again.
    """
    require_health_manage(principal)
    allowed = set(MESSAGE_FIELDS) | {"service_ids"}
    unknown = set(changes) - allowed
    if unknown:
        raise DomainError(
            _("You may not change: %(fields)s.") % {"fields": ", ".join(sorted(unknown))},
            code="field_not_allowed",
        )
    with transaction.atomic():
        counters.changed(counters.MESSAGES)
        locked = MessagePost.objects.select_for_update().get(pk=post.pk)
        before = audit.snapshot(locked, MESSAGE_FIELDS)
        old_title, old_body, old_body_html = locked.title, locked.body, locked.body_html
        for field, value in changes.items():
            if field == "service_ids":
                locked.services.set(services_by_id(value, required=False))
                continue
            if field in ("title", "body"):
                value = required_text(value, field)
            if field == "body":
                locked.body_html = render_markdown(value)
            if field == "tags":
                value = _clean_tags(value)
            if field == "category" and value not in MessagePost.Category.values:
                raise DomainError(_("Unknown category."), code="invalid_category")
            if field == "severity" and value not in MessagePost.Severity.values:
                raise DomainError(_("Unknown severity."), code="invalid_severity")
            setattr(locked, field, value)
        locked.last_modified_at = timezone.now()
        if locked.status == MessagePost.Status.PUBLISHED:
            locked.revision += 1
            MessageRevision.objects.create(
                message=locked,
                revision=locked.revision,
                title=old_title,
                body=old_body,
                body_html=old_body_html,
                note=note.strip(),
                notifies=notifies,
                created_by=principal.user,
            )
            if notifies:
                locked.mail_pending = True
                # The change is news again: everyone sees it as unread (one UPDATE, any audience size).
                MessageViewState.objects.filter(message=locked, is_read=True).update(
                    is_read=False, updated_at=locked.last_modified_at
                )
        locked.save()
        counters.expires(locked.expires_at)
        audit.record(
            principal,
            action="message.revised",
            target=locked,
            organization=None,
            before=before,
            after={**audit.snapshot(locked, MESSAGE_FIELDS), "notifies": notifies},
        )
        emit.message("message.revised", locked)
    return locked


def add_attachment(principal: Principal, post: MessagePost, upload: UploadedFile) -> MessageAttachment:
    """Attach a file to a post, checked and stored as support's attachments are (`uploads`)."""
    require_health_manage(principal)
    checked = uploads.check(upload)
    with transaction.atomic():
        counters.changed(counters.MESSAGES)
        attachment = MessageAttachment(
            message=post,
            name=checked.filename,
            content_type=checked.content_type,
            size=checked.size,
            uploaded_by=principal.user,
        )
        attachment.file.save(checked.filename, upload, save=False)
        attachment.save()
        audit.record(
            principal,
            action="message.attachment_added",
            target=post,
            organization=None,
            after={"attachment": str(attachment.pk), "name": attachment.name, "size": attachment.size},
        )
    return attachment


STATE_ACTIONS: dict[str, tuple[str, bool]] = {
    "mark_read": ("is_read", True),
    "mark_unread": ("is_read", False),
    "archive": ("is_archived", True),
    "unarchive": ("is_archived", False),
    "favorite": ("is_favorited", True),
    "unfavorite": ("is_favorited", False),
}


def set_view_state(principal: Principal, message_ids: Iterable[uuid.UUID | str], action: str) -> int:
    """Mark posts read/unread, archived/restored, favourite or not, for the caller only.

    Every id must be a post the caller can see (another audience's post is NotFound). Writes one row
    per (user, post) the caller touched, nothing for anyone else.
    """
    from partnerdesk.access import policy

    principal.require(Permission.MESSAGES_VIEW)
    if action not in STATE_ACTIONS:
        raise DomainError(_("Unknown action."), code="invalid_action")
    field, value = STATE_ACTIONS[action]
    wanted: set[str] = set()
    for raw in message_ids:
        wanted.add(str(raw))
    if not wanted:
        raise DomainError(_("Name at least one post."), code="no_messages")
    try:
        posts = list(
            policy.visible(principal, MessagePost).filter(
                Q(pk__in=_uuids(wanted)) | Q(number__in=_numbers(wanted))
            )
        )
    except (ValueError, TypeError):
        raise NotFound(_("Not found.")) from None
    if len(posts) != len(wanted):
        raise NotFound(_("Not found."))
    now = timezone.now()
    with transaction.atomic():
        counters.changed(counters.state_of(principal.user.pk))
        for post in posts:
            state, created = MessageViewState.objects.select_for_update().get_or_create(
                user=principal.user, message=post, defaults={field: value, "updated_at": now}
            )
            if not created and getattr(state, field) != value:
                MessageViewState.objects.filter(pk=state.pk).update(**{field: value, "updated_at": now})
    return len(posts)


def _uuids(values: set[str]) -> list[uuid.UUID]:
    found = []
    for value in values:
        try:
            found.append(uuid.UUID(value))
        except ValueError:
            continue
    return found


def _numbers(values: set[str]) -> list[int]:
    return [int(v[2:]) for v in values if v.upper().startswith("MC") and v[2:].isdigit()]
