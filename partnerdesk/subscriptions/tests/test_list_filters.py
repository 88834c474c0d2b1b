"""The subscription lists' filters that the home pages' cards open: ending soon, licences running out."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from partnerdesk.subscriptions.models import LicenseAssignment, Subscription


def subscription(world, offer, *, days_left: int, quantity: int = 5, name: str = "") -> Subscription:
    return Subscription.objects.create(
        customer=world.customer_a1,
        partner=world.partner_a,
        offer=offer,
        quantity=quantity,
        friendly_name=name,
        term_end=timezone.now() + timedelta(days=days_left),
    )


def test_the_partner_lists_the_subscriptions_ending_within_the_days_asked(web, world, catalog):
    subscription(world, catalog.basic_monthly, days_left=10, name="Renews soon")
    subscription(world, catalog.premium_monthly, days_left=200, name="Renews later")

    soon = web("a.admin_agent").get("/partner/subscriptions/?ends_within=30").content.decode()
    outsider = web("b.admin_agent").get("/partner/subscriptions/?ends_within=30").content.decode()

    assert "Renews soon" in soon
    assert "Renews later" not in soon
    assert "Renews soon" not in outsider


def test_the_admin_lists_the_licences_with_none_left(web, world, catalog):
    subscription(world, catalog.basic_monthly, days_left=30, quantity=1)
    subscription(world, catalog.premium_monthly, days_left=30, quantity=5)
    LicenseAssignment.objects.create(
        customer=world.customer_a1, sku=catalog.basic, user=world.user("a1.global_admin")
    )
    client = web("a1.global_admin")

    short = client.get("/admin/licenses/?running_out=1").content.decode()
    everything = client.get("/admin/licenses/").content.decode()

    assert "Office 365 E1" in short
    assert "Office 365 E3" not in short
    assert "Office 365 E3" in everything
