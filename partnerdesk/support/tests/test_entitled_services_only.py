"""A customer names only services it is entitled to: a support request about another tenant's service
is refused on every route (the web form and the API), and nothing changes."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from partnerdesk.catalog.models import Service
from partnerdesk.support.models import SupportRequest
from partnerdesk.support.tests.conftest import open_request
from partnerdesk.testing import World, database_state

pytestmark = pytest.mark.django_db


@pytest.fixture
def not_entitled(world: World) -> Service:
    """A service in the catalog that no subscription of any customer includes."""
    return Service.objects.create(key="crm", name="Dynamics CRM")


def _form(service: Service) -> dict[str, Any]:
    return {
        "service": str(service.pk),
        "title": "CRM is down",
        "description": "Nothing loads.",
        "severity": "moderate",
        "contact_name": "Chen",
        "contact_email": "chen@contoso.test",
        "contact_method": "email",
        "action": "submit",
    }


def test_the_form_refuses_a_service_the_customer_is_not_entitled_to(
    web: Any, world: World, not_entitled: Service
) -> None:
    before = database_state()
    response = web("a1.global_admin").post(reverse("support:admin_request_create"), _form(not_entitled))
    assert response.status_code == 400
    assert f'value="{not_entitled.pk}"' not in response.content.decode()
    assert database_state() == before


def test_the_form_offers_and_accepts_an_entitled_service(web: Any, world: World, service: Service) -> None:
    client = web("a1.global_admin")
    page = client.get(reverse("support:admin_request_create")).content.decode()
    assert f'value="{service.pk}"' in page
    response = client.post(reverse("support:admin_request_create"), _form(service))
    assert response.status_code == 302
    assert SupportRequest.objects.get().service == service


def test_the_api_refuses_a_service_the_customer_is_not_entitled_to(
    api: Any, world: World, not_entitled: Service
) -> None:
    before = database_state()
    response = open_request(api("a1.global_admin"), service_id=str(not_entitled.pk))
    assert response.status_code == 400
    assert response.json_body["error"]["code"] == "invalid_service"
    assert database_state() == before


def test_a_deflection_cannot_name_a_service_the_customer_is_not_entitled_to(
    api: Any, world: World, not_entitled: Service
) -> None:
    before = database_state()
    response = api("a1.global_admin").post("/deflections", {"service_id": str(not_entitled.pk)})
    assert response.status_code == 400
    assert response.json_body["error"]["code"] == "invalid_service"
    assert database_state() == before
