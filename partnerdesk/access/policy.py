"""Which rows a principal may see, and the object look-up every view and API operation uses.

Only the mechanism lives here: each domain app registers the scoping rules of its own models with
`@scoped("app.model")` in its `scopes.py`, imported from its `AppConfig.ready()`, so the choke point
imports no domain. Deny by default: a model with no scoping rule cannot be looked up through this
module at all. Another organization's object is NotFound (404); a visible object the principal may
not change is Forbidden (403), raised by `Principal.require`.

Most rules have one of three shapes, written once here: `of_organization(path)` (the rows of the
organization the principal acts in), `of_user(path)` (the signed-in person's own) and
`by_side(operator=..., partner=..., customer=...)` (each side the rows that name its organization,
every row, or none); `following(path, model)` gives a row the rule of the row it belongs to.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import models
from django.utils.translation import gettext as _

from partnerdesk.access.permissions import OrgKind
from partnerdesk.access.principal import Principal
from partnerdesk.errors import NotFound

M = TypeVar("M", bound=models.Model)

_Scoper = Callable[[Principal, models.QuerySet[Any]], models.QuerySet[Any]]
_SCOPES: dict[str, _Scoper] = {}


def scoped(label: str) -> Callable[[_Scoper], _Scoper]:
    """Register `function` as the rule of which rows of the model `label` ("app.model") a principal sees.

    One rule per model: registering a second one is a mistake (the first would silently lose).
    """

    def register(function: _Scoper) -> _Scoper:
        if label in _SCOPES and _SCOPES[label] is not function:
            raise ValueError(f"{label} already has a scoping rule")
        _SCOPES[label] = function
        return function

    return register


def of_organization(path: str = "organization") -> _Scoper:
    """The rule "rows of the organization the principal acts in", reached from a row through `path`."""

    def rule(principal: Principal, queryset: models.QuerySet[Any]) -> models.QuerySet[Any]:
        return queryset.filter(**{f"{path}_id": principal.organization.pk})

    return rule


def of_user(path: str = "user") -> _Scoper:
    """The rule "the signed-in person's own rows" (whichever organization they act in)."""

    def rule(principal: Principal, queryset: models.QuerySet[Any]) -> models.QuerySet[Any]:
        return queryset.filter(**{f"{path}_id": principal.user.pk})

    return rule


EVERY_ROW = "*"


def by_side(
    *, operator: str | None = None, partner: str | None = None, customer: str | None = None
) -> _Scoper:
    """The rule "each side sees the rows that name its organization" (a tenant and its partner).

    For each side the path from a row to the organization that must be the principal's (a customer
    sees the rows whose `customer="customer"` is it), `EVERY_ROW`, or None: that side sees no row.
    """
    paths = {OrgKind.OPERATOR: operator, OrgKind.PARTNER: partner, OrgKind.CUSTOMER: customer}

    def rule(principal: Principal, queryset: models.QuerySet[Any]) -> models.QuerySet[Any]:
        path = paths.get(principal.kind)
        if path is None:
            return queryset.none()
        if path == EVERY_ROW:
            return queryset
        return queryset.filter(**{f"{path}_id": principal.organization.pk})

    return rule


def following(path: str, model: type[models.Model]) -> _Scoper:
    """The rule "rows of a `model` the principal sees", reached through `path` (a service's features)."""

    def rule(principal: Principal, queryset: models.QuerySet[Any]) -> models.QuerySet[Any]:
        return queryset.filter(**{f"{path}__in": visible(principal, model)})

    return rule


def has_rule(model: type[models.Model]) -> bool:
    """Whether a scoping rule is registered for `model` (the coverage test lists those without)."""
    return model._meta.label_lower in _SCOPES


def ruled_labels() -> frozenset[str]:
    """The labels that have a scoping rule (the coverage test refuses one whose model is gone)."""
    return frozenset(_SCOPES)


def visible(principal: Principal, queryset: models.QuerySet[M] | type[M]) -> models.QuerySet[M]:
    """Narrow `queryset` to the rows `principal` may see."""
    if isinstance(queryset, type):
        queryset = queryset._default_manager.all()
    label = queryset.model._meta.label_lower
    try:
        scope = _SCOPES[label]
    except KeyError:
        raise LookupError(f"no scoping rule for {label}: register one in its app's scopes.py") from None
    return scope(principal, queryset)


def get_visible(principal: Principal, queryset: models.QuerySet[M] | type[M], **lookup: Any) -> M:
    """Return the one visible row matching `lookup`, or raise NotFound (also for malformed ids)."""
    scoped_queryset = visible(principal, queryset)
    try:
        return scoped_queryset.get(**lookup)
    except (ObjectDoesNotExist, ValueError, ValidationError):
        raise NotFound(_("Not found.")) from None
