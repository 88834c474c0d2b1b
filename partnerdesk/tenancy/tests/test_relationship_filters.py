"""The relationship lists' filters that the home pages' cards open: pending, and expiring within N days."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from partnerdesk.tenancy.models import DelegatedRelationship


def relationship(world, customer, name: str, **fields) -> DelegatedRelationship:
    return DelegatedRelationship.objects.create(
        partner=world.partner_a,
        customer=customer,
        name=name,
        roles=["global_admin"],
        duration_days=30,
        **fields,
    )


def test_the_partner_lists_the_relationships_expiring_within_the_days_asked(web, world):
    now = timezone.now()
    relationship(world, world.customer_a2, "Ends soon", status="active", expires_at=now + timedelta(days=10))
    relationship(world, world.customer_a2, "Ended", status="active", expires_at=now - timedelta(days=1))

    soon = web("a.admin_agent").get("/partner/relationships/?expires_within=30").content.decode()
    later = web("a.admin_agent").get("/partner/relationships/?expires_within=100").content.decode()

    assert "Ends soon" in soon
    assert "Fabrikam managed services" not in soon  # expires in 90 days
    assert "Ended" not in soon
    assert "Fabrikam managed services" in later


def test_the_customer_lists_the_requests_awaiting_it(web, world):
    relationship(world, world.customer_a1, "Please accept")
    relationship(world, world.customer_a2, "Adatum's own")

    pending = web("a1.global_admin").get("/admin/relationships/?status=pending").content.decode()
    unknown = web("a1.global_admin").get("/admin/relationships/?status=nonsense").content.decode()

    assert "Please accept" in pending
    assert "Fabrikam managed services" not in pending
    assert "Adatum's own" not in pending
    assert "Please accept" in unknown and "Fabrikam managed services" in unknown
