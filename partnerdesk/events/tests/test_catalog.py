"""The catalog is published as written: in the OpenAPI document's `webhooks` and in `docs/events.md`."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.test import Client

from partnerdesk.events import catalog, docs
from partnerdesk.events.models import Event
from partnerdesk.events.services import Audience, emit
from partnerdesk.testing import World

DOCS = Path(__file__).resolve().parents[3] / "docs" / "events.md"


def test_docs_events_md_is_the_catalog() -> None:
    assert DOCS.read_text() == docs.render(), "run: python -m partnerdesk.events.docs > docs/events.md"


@pytest.mark.django_db
def test_every_event_has_its_payload_schema_in_the_openapi_webhooks() -> None:
    document = Client().get("/api/v1/openapi.json").json()
    assert document["openapi"].startswith("3.1")
    assert set(document["webhooks"]) == set(catalog.CATALOG)
    schemas = document["components"]["schemas"]
    for name, event_type in catalog.CATALOG.items():
        envelope = document["webhooks"][name]["post"]["requestBody"]["content"]["application/json"]["schema"]
        assert envelope["title"] == event_type.schema_name
        assert envelope["properties"]["type"]["const"] == name
        payload = envelope["properties"]["data"]["$ref"].rsplit("/", 1)[1]
        assert payload == event_type.payload.__name__ and payload in schemas


def test_wildcards_name_families_and_unknown_names_are_not_patterns() -> None:
    assert catalog.matches("subscription.*", "subscription.suspended")
    assert (
        not catalog.matches("subscription.*", "subscriptions_x.created")
        if "subscriptions_x.created" in catalog.CATALOG
        else True
    )
    assert catalog.matches("*", "user.created") and not catalog.matches("*", "webhook.test")
    assert catalog.valid_pattern("maintenance.*") and not catalog.valid_pattern("maintenance.exploded")
    assert not catalog.valid_pattern("subscription") and not catalog.valid_pattern("sub*")


@pytest.mark.django_db
def test_emitting_validates_the_payload_and_writes_one_row(
    world: World, django_assert_num_queries: object
) -> None:
    with pytest.raises(ValueError):
        emit("user.created", world.customer_a1, {"id": "not a uuid"}, Audience())
    with pytest.raises(catalog.UnknownEvent):
        emit("user.exploded", world.customer_a1, {}, Audience())
    data = {
        "id": world.user("a1.user").pk,
        "organization_id": world.customer_a1.pk,
        "email": "x@y",
        "blocked": False,
        "deleted": False,
    }
    with django_assert_num_queries(1):  # type: ignore[operator]
        event = emit("user.created", world.user("a1.user"), data, Audience(customer_id=world.customer_a1.pk))
    assert (event.object_type, event.object_id) == ("accounts.user", str(world.user("a1.user").pk))
    assert list(Event.objects.seen_by("customer", world.customer_a1.pk)) == [event]
    assert not Event.objects.seen_by("customer", world.customer_a2.pk).exists()
    assert not Event.objects.seen_by("partner", world.partner_a.pk).exists()
