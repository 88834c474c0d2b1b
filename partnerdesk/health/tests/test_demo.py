"""The demo data loads once, through the services, and each kind of reader sees something."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from partnerdesk.access import policy
from partnerdesk.access.principal import principal_for
from partnerdesk.accounts.models import User
from partnerdesk.health.models import HealthIssue, MessagePost, PlannedMaintenance

pytestmark = pytest.mark.django_db


def test_demo_loads_once_with_an_incident_an_advisory_maintenance_and_posts():
    call_command("seed_demo")
    counts = _counts()
    call_command("seed_demo")
    assert _counts() == counts
    assert HealthIssue.objects.filter(classification="incident", end_at__isnull=True).exists()
    assert HealthIssue.objects.filter(classification="advisory").exists()
    assert counts[1] >= 5
    contoso = principal_for(User.objects.get(email="admin@contoso.test"))
    assert policy.visible(contoso, MessagePost).count() >= 4
    assert policy.visible(contoso, HealthIssue).count() >= 2


def _counts() -> tuple[int, int, int]:
    return HealthIssue.objects.count(), MessagePost.objects.count(), PlannedMaintenance.objects.count()
