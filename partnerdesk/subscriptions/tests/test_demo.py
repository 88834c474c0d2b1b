"""The demo data loads once and gives the demo customers subscriptions and licences."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from partnerdesk.subscriptions.models import LicenseAssignment, Subscription
from partnerdesk.subscriptions.queries import entitled_services


@pytest.mark.django_db
def test_seed_demo_twice_gives_subscriptions_and_licences() -> None:
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    counts = (Subscription.objects.count(), LicenseAssignment.objects.count())
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert (Subscription.objects.count(), LicenseAssignment.objects.count()) == counts
    contoso = Subscription.objects.filter(customer__name="Contoso").first()
    assert contoso is not None
    assert set(entitled_services(contoso.customer_id).values_list("key", flat=True)) == {
        "exchange",
        "sharepoint",
        "teams",
        "onedrive",
    }
