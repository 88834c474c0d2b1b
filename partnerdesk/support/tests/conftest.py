"""Support fixtures: a support topic, a service, attachments stored in a temporary folder."""

from __future__ import annotations

from typing import Any

import pytest

from partnerdesk.health.models import Service
from partnerdesk.support.models import SupportTopic


@pytest.fixture
def topic(db: Any) -> SupportTopic:
    return SupportTopic.objects.create(name="Sign-in and identity")


@pytest.fixture
def service(db: Any) -> Service:
    return Service.objects.create(key="mail", name="Mail")


@pytest.fixture(autouse=True)
def media_root(settings: Any, tmp_path: Any) -> Any:
    settings.MEDIA_ROOT = tmp_path / "files"
    return settings.MEDIA_ROOT


def open_request(client: Any, *, headers: dict[str, str] | None = None, **overrides: Any) -> Any:
    body = {
        "title": "Mail stopped arriving",
        "description": "Since this morning no external mail reaches our mailboxes.",
        "severity": "moderate",
        "contact_name": "Chen",
        "contact_email": "chen@contoso.test",
        **overrides,
    }
    return client.post("/support-requests", body, headers=headers or {})
