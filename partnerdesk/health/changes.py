"""Change counters of Message center, health issues and each reader's view state, and the ETags of
the lists polled most (API and Graph), built from values much cheaper to read than the lists.

A tag covers everything its answer depends on: the counters of the content (any post, any issue,
the reader's own read/archive/favourite marks), who asks (user, organization, its partner, roles:
a tenant's admins see the same posts but not the same marks), the tenant's entitled services, and
the query string. Partners get no tag for posts and issues: which of those they see follows every
one of their customers' subscriptions.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, F, Min, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.utils import timezone

from partnerdesk import etags
from partnerdesk.access.permissions import OrgKind
from partnerdesk.access.principal import Principal
from partnerdesk.catalog.models import Feature
from partnerdesk.health import queries
from partnerdesk.health.models import ChangeCount, MessagePost

MESSAGES = "messages"
ISSUES = "issues"


def state_of(user_id: Any) -> str:
    """The counter of one reader's view state (read, archived, favourite)."""
    return f"message-state:{user_id}"


def _next_expiry() -> Any:
    """When the next published post expires: the Message center changes then without a write."""
    live = MessagePost.objects.filter(status=MessagePost.Status.PUBLISHED, expires_at__gt=timezone.now())
    return live.aggregate(next=Min("expires_at"))["next"]


def changed(*names: str) -> None:
    """Count one change of each kind of content, inside the change's own transaction."""
    for name in names:
        if ChangeCount.objects.filter(name=name).update(value=F("value") + 1):
            continue
        try:
            with transaction.atomic():
                ChangeCount.objects.create(name=name, value=1)
        except IntegrityError:  # a concurrent first change created it
            ChangeCount.objects.filter(name=name).update(value=F("value") + 1)


def expires(at: Any) -> None:
    """Note that the posts change on their own at `at` (a post written in this transaction expires)."""
    if at is None or at <= timezone.now():
        return
    sooner = Q(changes_at__isnull=True) | Q(changes_at__gt=at)
    ChangeCount.objects.filter(sooner, name=MESSAGES).update(changes_at=at)


def counts(names: Iterable[str]) -> list[int]:
    """The current value of each counter (0: never changed), in one query.

    A counter whose content has changed on its own since (`changes_at` passed: a post expired)
    counts that first, with one conditional UPDATE that also notes the next expiry.
    """
    wanted = list(names)
    found = ChangeCount.objects.filter(name__in=wanted).values_list("name", "value", "changes_at")
    rows = {name: (value, at) for name, value, at in found}
    now = timezone.now()
    due = [name for name, (_, at) in rows.items() if at is not None and at <= now]
    if due:
        ChangeCount.objects.filter(name__in=due, changes_at__lte=now).update(
            value=F("value") + 1, changes_at=_next_expiry()
        )
        return counts(wanted)
    return [rows[name][0] if name in rows else 0 for name in wanted]


def _asked(request: HttpRequest) -> tuple[Any, ...]:
    """The path and the query's parameters, however they were spelled (`$top` or `%24top`, any order)."""
    return request.path, sorted(request.GET.lists())


def _who(principal: Principal, request: HttpRequest) -> tuple[Any, ...]:
    """The parts of a tag that say who asks and what: answers differ by each of them."""
    organization = principal.organization
    entitled: Any = "all"
    if principal.kind == OrgKind.CUSTOMER:
        entitled = queries.entitled_service_ids(organization)
    return (
        principal.user.pk,
        organization.pk,
        organization.partner_id,
        sorted(principal.roles),
        entitled,
        _asked(request),
    )


def message_list_tag(principal: Principal, request: HttpRequest, *, issues: bool = False) -> str | None:
    """The ETag of a Message center list as `principal` reads it (None: partners get none)."""
    if principal.kind == OrgKind.PARTNER:
        return None
    names = [MESSAGES, state_of(principal.user.pk), *([ISSUES] if issues else [])]
    return etags.validator("messages", *counts(names), *_who(principal, request))


def issue_list_tag(principal: Principal, request: HttpRequest) -> str | None:
    """The ETag of a health issue list (Graph `issues`)."""
    if principal.kind == OrgKind.PARTNER:
        return None
    return etags.validator("issues", *counts([ISSUES]), *_who(principal, request))


def with_feature_count(services: QuerySet[Any]) -> QuerySet[Any]:
    """Services, each with how many features it has: part of what its overview row shows."""
    features = Feature.objects.filter(service_id=OuterRef("pk")).order_by().values("service_id")
    counted = features.annotate(n=Count("pk")).values("n")
    return services.annotate(feature_count=Coalesce(Subquery(counted), 0))


def service_list_tag(request: HttpRequest, rows: Iterable[Any], *, issues: bool = False) -> str:
    """The ETag of a service health overview, from the services it lists (already read).

    The services' rows are all it shows (services and features are only ever added; each service
    row carries its feature count): a tenant's entitlement changes which rows there are, a status
    change a row. Listing the services is cheap; what a 304 saves is the features and the body.
    """
    described = [(s.pk, s.key, s.name, s.description, s.status, s.feature_count) for s in rows]
    with_issues = counts([ISSUES]) if issues else []
    return etags.validator("services", described, *with_issues, _asked(request))
