"""Self-help and reusable answers: help articles, deflections ("this solved it"), support topics and
the partner desk's canned replies.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from partnerdesk.access.permissions import Permission
from partnerdesk.access.principal import Principal
from partnerdesk.audit import services as audit
from partnerdesk.errors import Conflict, Forbidden
from partnerdesk.support.common import clean
from partnerdesk.support.models import CannedReply, Deflection, HelpArticle, SupportTopic

if TYPE_CHECKING:
    from partnerdesk.catalog.models import Service

P = Permission


def save_topic(
    principal: Principal,
    *,
    name: str,
    description: str = "",
    active: bool = True,
    topic: SupportTopic | None = None,
) -> SupportTopic:
    """Create or edit a support topic (operator managed)."""
    principal.require(P.SUPPORT_TOPICS_MANAGE)
    with transaction.atomic():
        topic = topic or SupportTopic()
        before = (
            audit.snapshot(topic, ["name", "description", "active"])
            if topic.pk and not topic._state.adding
            else None
        )
        topic.name = clean(name, _("Name"), limit=120)
        topic.description = description.strip()[:300]
        topic.active = active
        if SupportTopic.objects.filter(name=topic.name).exclude(pk=topic.pk).exists():
            raise Conflict(_("A topic with this name exists."), code="duplicate_topic")
        topic.save()
        audit.record(
            principal,
            action="support_topic.saved",
            target=topic,
            organization=principal.organization,
            before=before,
            after=audit.snapshot(topic, ["name", "description", "active"]),
        )
    return topic


def active_topics() -> Any:
    """The topics a new service request may choose, by name."""
    return SupportTopic.objects.filter(active=True).order_by("name")


def save_article(
    principal: Principal,
    *,
    title: str,
    body: str,
    language: str,
    services: list[Any],
    published: bool = True,
    article: HelpArticle | None = None,
) -> HelpArticle:
    """Write or edit a help article; the operator's reach everyone, a partner's its customers."""
    principal.require(P.SUPPORT_ARTICLES_WRITE)
    if article is not None and article.author_organization_id != principal.organization.pk:
        raise Forbidden(_("Only the author's organization edits this article."), code="not_author")
    now = timezone.now()
    with transaction.atomic():
        creating = article is None
        article = article or HelpArticle(
            author_organization=principal.organization, created_by=principal.user
        )
        article.title = clean(title, _("Title"), limit=200)
        article.body = clean(body, _("Body"))
        article.language = language or "en"
        article.published = published
        article.updated_at = now
        article.save()
        article.services.set(services)
        audit.record(
            principal,
            action="help_article.created" if creating else "help_article.updated",
            target=article,
            organization=principal.organization,
            after={"title": article.title, "language": article.language, "published": published},
        )
    from partnerdesk.support import search

    search.index(article)
    return article


def record_deflection(
    principal: Principal, *, article: HelpArticle | None, service: Service | None, query: str = ""
) -> Deflection:
    """Count "this solved it": the customer did not need to open a request."""
    principal.require(P.SUPPORT_REQUESTS)
    customer = principal.organization
    if not customer.is_customer or customer.partner_id is None:
        raise Forbidden(_("Only a customer records that self-help solved it."), code="customers_only")
    with transaction.atomic():
        deflection = Deflection.objects.create(
            customer=customer,
            partner_id=customer.partner_id,
            user=principal.user,
            article=article,
            service=service,
            query=query.strip()[:300],
        )
        audit.record(
            principal,
            action="support.deflected",
            target=deflection,
            organization=customer,
            after={"article": article.title if article else None, "query": query.strip()[:300]},
        )
    return deflection


def save_canned_reply(principal: Principal, *, title: str, body: str) -> CannedReply:
    """Add a reusable reply to the partner's desk."""
    principal.require(P.SUPPORT_DESK)
    with transaction.atomic():
        reply = CannedReply.objects.create(
            partner=principal.organization,
            title=clean(title, _("Title"), limit=120),
            body=clean(body, _("Body")),
        )
        audit.record(
            principal, action="canned_reply.created", target=reply, organization=principal.organization
        )
    return reply
