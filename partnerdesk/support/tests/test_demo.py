"""The demo loads support data in every state, once."""

from __future__ import annotations

from django.core.management import call_command

from partnerdesk.support.models import ServiceRequest, SupportRequest


def test_the_demo_has_requests_in_every_state_and_loads_once(db):
    call_command("seed_demo", verbosity=0)
    counts = (SupportRequest.objects.count(), ServiceRequest.objects.count())
    call_command("seed_demo", verbosity=0)

    assert (SupportRequest.objects.count(), ServiceRequest.objects.count()) == counts
    assert set(SupportRequest.objects.values_list("status", flat=True)) == set(SupportRequest.Status.values)
    assert set(ServiceRequest.objects.values_list("status", flat=True)) == set(ServiceRequest.Status.values)
    assert SupportRequest.objects.filter(merged_into__isnull=False).exists()
    assert ServiceRequest.objects.filter(customer__isnull=True).exists()
    assert any(r.sla_state() == "breached" for r in SupportRequest.objects.all())
