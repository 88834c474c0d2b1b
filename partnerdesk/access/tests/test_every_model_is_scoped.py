"""Every model of the project has a scoping rule, registered by its own app; the choke point imports none.

A model without a rule cannot be read through `policy.visible` at all (deny by default); the few rows
no principal ever reads (the worker's bookkeeping) are listed here, each with the reason.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.apps import apps
from django.db import models

from partnerdesk.access import policy
from partnerdesk.access.principal import principal_for
from partnerdesk.testing import World

# Rows that belong to the machinery, not to any organization: no view, API operation or job reads
# them on a principal's behalf.
UNSCOPED: dict[str, str] = {
    "notifications.outboxmessage": "the e-mail outbox: written by services, claimed and sent by the worker",
    "notifications.scheduledjob": "the periodic jobs' claims: read only by the worker",
    "health.changecount": "change counters behind the ETags of polled lists: numbers only, no content",
    "health.displaynumber": "the counter behind human ids (MC123456): read only when numbering",
    "support.counter": "the counter behind request numbers: read only when numbering",
    "idempotency.idempotencyrecord": "the platform's Idempotency-Key store: read only by the API "
    "operation wrapper, always by the calling user and key",
    "ratelimits.ratecounter": "the platform's rate limit counters: read only by the rate limits, by key",
    "notifications.sentnotice": "which lifecycle and SLA notices were queued: read only by the reminder "
    "and SLA breach jobs, to send each once",
}

ACCESS = Path(__file__).resolve().parents[1]


def project_models() -> list[type[models.Model]]:
    return [m for m in apps.get_models() if m.__module__.startswith("partnerdesk.")]


def test_every_project_model_has_a_scoping_rule_or_a_reason() -> None:
    missing = [m._meta.label_lower for m in project_models() if not policy.has_rule(m)]
    assert sorted(missing) == sorted(UNSCOPED)


def test_every_rule_is_of_a_model_that_exists() -> None:
    labels = {m._meta.label_lower for m in project_models()}
    assert sorted(policy.ruled_labels() - labels) == []


def test_the_allow_list_names_only_models_that_exist_and_have_no_rule() -> None:
    labels = {m._meta.label_lower: m for m in project_models()}
    assert set(UNSCOPED) <= set(labels)
    assert not [label for label in UNSCOPED if policy.has_rule(labels[label])]


@pytest.mark.django_db
def test_a_model_without_a_rule_cannot_be_queried(world: World) -> None:
    from partnerdesk.notifications.models import OutboxMessage

    with pytest.raises(LookupError, match="no scoping rule"):
        policy.visible(principal_for(world.user("operator.operator_admin")), OutboxMessage)


def test_a_second_rule_for_the_same_model_is_refused() -> None:
    with pytest.raises(ValueError, match="already has a scoping rule"):
        policy.scoped("tenancy.organization")(lambda principal, queryset: queryset)


def _imports(module: Path) -> list[str]:
    names: list[str] = []
    for node in ast.walk(ast.parse(module.read_text())):
        if isinstance(node, ast.ImportFrom):
            names.append(node.module or "")
        elif isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
    return names


@pytest.mark.parametrize("module", ["policy.py", "rules.py", "entry.py", "permissions.py", "web.py"])
def test_the_choke_point_imports_no_domain_app(module: str) -> None:
    domains = {m.__module__.split(".")[1] for m in project_models()}
    assert [n for n in _imports(ACCESS / module) if n.split(".")[1:2] and n.split(".")[1] in domains] == []
