"""The registry of enforcing wrappers: the only way a route may be mounted.

Each edge has one small decorator that resolves the principal, checks the portal and the named
permission (or rule) and refuses in the same place: `requires`/`signed_in`/`public` in
`partnerdesk.api` (API operations) and `partnerdesk.access.web` (pages), and `graph_view` (the
Graph-compatible surface). Each of them hands the wrapper it produced to `enforcing`, and the route
test asserts that every URL callback and every API operation is one of these wrappers. A label set by
hand (`view.required_permission = ...`) is not enough: only the decorator registers.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

# Weak: a wrapper made in a test (a sneaky route) disappears with it.
_ENFORCING: weakref.WeakSet[Callable[..., Any]] = weakref.WeakSet()


def enforcing(
    wrapper: F,
    declaration: str,
    requirement: Any = None,
    *,
    portal: str | None = None,
    methods: tuple[str, ...] | None = None,
) -> F:
    """Register `wrapper` as produced by an enforcing decorator.

    `declaration` names what it checks ("public", "signed_in", a permission's value or a rule's name);
    `requirement` is the Permission or named Rule itself (None for public and signed_in), `portal` the
    portal whose entry permission a page also checks, and `methods` the HTTP methods the wrapper
    itself admits (None: whatever reaches it), for tests generated from the route table (the
    isolation matrix derives every expected refusal from these).
    """
    wrapper.required_permission = declaration  # type: ignore[attr-defined]
    wrapper.requirement = requirement  # type: ignore[attr-defined]
    wrapper.portal = portal  # type: ignore[attr-defined]
    wrapper.methods = methods  # type: ignore[attr-defined]
    _ENFORCING.add(wrapper)
    return wrapper


def is_enforcing(callback: Any) -> bool:
    """Whether `callback` is a wrapper one of the edge decorators produced."""
    try:
        return callback in _ENFORCING
    except TypeError:  # not weak-referenceable: certainly not one of ours
        return False
