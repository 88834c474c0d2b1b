"""A delegated relationship about to expire is announced to both sides, 30 and 7 days before, once each,
driven by the job with a moved clock and received by a real SMTP server."""

from __future__ import annotations

from datetime import timedelta

import pytest

from partnerdesk.access.principal import principal_for
from partnerdesk.accounts.models import User
from partnerdesk.notifications.models import SentNotice
from partnerdesk.tenancy import reminders, services
from partnerdesk.tenancy.models import DelegatedRelationship
from partnerdesk.testing import World, addressees, plain_body, received

pytestmark = pytest.mark.django_db

DAY = timedelta(days=1)
# Fabrikam's global admins and Contoso's: not Fabrikam's agents, not Contoso's other admins or users,
# not Adatum's (another customer of Fabrikam) nor Litware's.
BOTH_SIDES = ["global_admin@contoso.test", "partner_global_admin@fabrikam.test"]


def relationship(world: World) -> DelegatedRelationship:
    assert world.relationship_a1 is not None and world.relationship_a1.expires_at is not None
    return world.relationship_a1


def test_both_sides_are_told_30_and_7_days_before_once_each(world, smtp_server):
    expires = relationship(world).expires_at
    assert expires is not None

    assert reminders.send_due(now=expires - 31 * DAY) == 0
    assert reminders.send_due(now=expires - 30 * DAY) == 1
    assert reminders.send_due(now=expires - 29 * DAY) == 0
    thirty = received(smtp_server)
    assert addressees(thirty) == BOTH_SIDES
    assert all('Delegated access "Fabrikam managed services" expires on' in m["Subject"] for m in thirty)
    [customer_mail] = [m for m in thirty if m["To"] == "global_admin@contoso.test"]
    text = plain_body(customer_mail)
    assert "between Fabrikam and Contoso expires on" in text
    assert "- Global admin\n- User admin\n" in text
    assert "/admin/relationships/" in text

    assert reminders.send_due(now=expires - 7 * DAY) == 1
    assert reminders.send_due(now=expires - 7 * DAY) == 0
    assert addressees(received(smtp_server)) == BOTH_SIDES
    assert sorted(SentNotice.objects.values_list("kind", flat=True)) == ["expiring_30", "expiring_7"]


def test_the_reminder_is_in_the_recipients_language(world, smtp_server):
    User.objects.filter(pk=world.user("a1.global_admin").pk).update(language="es")
    expires = relationship(world).expires_at
    assert expires is not None

    reminders.send_due(now=expires - 30 * DAY)

    [spanish] = [m for m in received(smtp_server) if m["To"] == "global_admin@contoso.test"]
    text = plain_body(spanish)
    assert text.startswith("Hola, Global_Admin:")
    assert "- Administrador global\n" in text  # the role's label, already translated
    assert f"{expires:%Y}" in text and " de " in str(spanish["Subject"])


def test_an_admin_who_opted_out_is_not_told(world, smtp_server):
    User.objects.filter(pk=world.user("a.partner_global_admin").pk).update(subscription_notices=False)
    expires = relationship(world).expires_at
    assert expires is not None

    reminders.send_due(now=expires - 30 * DAY)

    assert addressees(received(smtp_server)) == ["global_admin@contoso.test"]


def test_an_ended_relationship_is_not_reminded(world, smtp_server):
    services.end_relationship(principal_for(world.user("a1.global_admin")), relationship(world))
    expires = relationship(world).expires_at
    assert expires is not None

    assert reminders.send_due(now=expires - 30 * DAY) == 0
    assert reminders.send_due(now=expires - 7 * DAY) == 0
    assert received(smtp_server) == []


def test_a_new_expiry_is_reminded_again_and_a_short_one_only_at_7_days(world, smtp_server):
    expires = relationship(world).expires_at
    assert expires is not None
    reminders.send_due(now=expires - 30 * DAY)
    received(smtp_server)

    later = expires + 60 * DAY
    DelegatedRelationship.objects.filter(pk=relationship(world).pk).update(expires_at=later)
    assert reminders.send_due(now=later - 30 * DAY) == 1
    assert addressees(received(smtp_server)) == BOTH_SIDES

    # Accepted 10 days before it expires: no "expires in 30 days" right after accepting.
    DelegatedRelationship.objects.filter(pk=relationship(world).pk).update(
        decided_at=later - 10 * DAY, expires_at=later + DAY
    )
    assert reminders.send_due(now=later - 9 * DAY) == 0
    assert reminders.send_due(now=later - 6 * DAY) == 1


def test_the_expiry_is_announced_once_as_an_event_both_sides_and_the_operator_see(world):
    from partnerdesk.events.models import Event

    expires = relationship(world).expires_at
    assert expires is not None

    assert reminders.announce_expired(now=expires - timedelta(minutes=1)) == 0
    assert reminders.announce_expired(now=expires + timedelta(minutes=1)) == 1
    assert reminders.announce_expired(now=expires + timedelta(minutes=6)) == 0

    [event] = Event.objects.filter(name="relationship.expired")
    assert event.payload["id"] == str(relationship(world).pk)
    assert event.payload["status"] == "expired"
    assert (event.operator, event.partner_id, event.customer_id) == (
        True,
        world.partner_a.pk,
        world.customer_a1.pk,
    )


def test_a_renewed_expiry_is_announced_again_and_a_long_past_one_never(world):
    from partnerdesk.events.models import Event

    expires = relationship(world).expires_at
    assert expires is not None
    assert reminders.announce_expired(now=expires + reminders.EXPIRED_ANNOUNCED_WITHIN + DAY) == 0

    DelegatedRelationship.objects.filter(pk=relationship(world).pk).update(expires_at=expires + 90 * DAY)
    assert reminders.announce_expired(now=expires + 91 * DAY) == 1
    assert Event.objects.filter(name="relationship.expired").count() == 1


def test_an_ended_relationship_is_not_announced_as_expired(world):
    expires = relationship(world).expires_at
    assert expires is not None
    DelegatedRelationship.objects.filter(pk=relationship(world).pk).update(
        status=DelegatedRelationship.Status.ENDED
    )
    assert reminders.announce_expired(now=expires + DAY) == 0
