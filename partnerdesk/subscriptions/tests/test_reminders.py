"""Lifecycle mails of subscriptions, driven by the jobs with a moved clock, received by a real SMTP server.

Renewal and end-of-term reminders 30 and 7 days before, suspension, reactivation and expiry when they
happen, data deletion warnings 30 and 7 days before: each arrives once, to the customer's global
admins and billing contact and the partner's global and billing admins, in each one's language.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

import pytest
from django.db import close_old_connections, connection
from django.utils import timezone

from partnerdesk.access.permissions import Role
from partnerdesk.accounts.models import User
from partnerdesk.notifications import jobs
from partnerdesk.notifications.models import OutboxMessage, ScheduledJob, SentNotice
from partnerdesk.subscriptions import lifecycle, reminders, renewals
from partnerdesk.subscriptions.models import Subscription
from partnerdesk.subscriptions.tests.conftest import Catalog, agent, build_catalog, subscribe
from partnerdesk.testing import World, addressees, make_user, plain_body, received

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)
END = datetime(2027, 1, 10, 12, 0, tzinfo=UTC)  # a yearly term bought at T0 ends then
DAY = timedelta(days=1)
# Who hears about a Contoso subscription of partner A: its global admin and billing contact, and
# Fabrikam's global and billing admins. Never its other admins, its users, another customer's admins
# or another partner's people.
EVERYONE = [
    "billing@contoso.test",
    "billing_admin@fabrikam.test",
    "global_admin@contoso.test",
    "partner_global_admin@fabrikam.test",
]


def to(messages: list[EmailMessage], address: str) -> EmailMessage:
    [message] = [m for m in messages if m["To"] == address]
    return message


@pytest.fixture
def yearly(world: World, catalog: Catalog, smtp_server) -> Subscription:
    subscription = subscribe(world, catalog.basic_yearly, 10, now=T0)
    OutboxMessage.objects.all().delete()
    return subscription


def test_the_renewal_reminders_arrive_once_at_30_and_7_days_to_both_sides(world, yearly, smtp_server):
    assert reminders.send_due(now=END - 31 * DAY) == 0

    assert reminders.send_due(now=END - 30 * DAY) == 1
    assert reminders.send_due(now=END - 30 * DAY + timedelta(hours=1)) == 0
    thirty = received(smtp_server)
    assert addressees(thirty) == EVERYONE
    assert all(m["Subject"] == "Office 365 E1 P1Y renews on Jan. 10, 2027" for m in thirty)
    text = plain_body(to(thirty, "global_admin@contoso.test"))
    assert "bought through Fabrikam, renews automatically on Jan. 10, 2027" in text
    assert "Product: Office 365 E1\nSeats: 10\nTerm: One year\nCustomer: Contoso\nPartner: Fabrikam" in text
    assert "/admin/subscriptions/" in text
    partner_text = plain_body(to(thirty, "partner_global_admin@fabrikam.test"))
    assert "Contoso's subscription Office 365 E1 P1Y renews automatically" in partner_text
    assert f"/partner/subscriptions/{yearly.pk}/" in partner_text

    assert reminders.send_due(now=END - 8 * DAY) == 0
    assert reminders.send_due(now=END - 7 * DAY) == 1
    assert reminders.send_due(now=END - 6 * DAY) == 0
    assert addressees(received(smtp_server)) == EVERYONE


def test_a_job_that_was_down_through_the_30_day_mark_sends_only_the_7_day_reminder(yearly, smtp_server):
    assert reminders.send_due(now=END - 5 * DAY) == 1
    assert reminders.send_due(now=END - 5 * DAY) == 0
    assert addressees(received(smtp_server)) == EVERYONE
    assert list(SentNotice.objects.values_list("kind", flat=True)) == ["renewal_7"]


def test_the_next_term_is_reminded_again(yearly, smtp_server):
    reminders.send_due(now=END - 30 * DAY)
    renewals.renew_due(now=END)
    received(smtp_server)

    assert reminders.send_due(now=END + 365 * DAY - 30 * DAY) == 1
    assert addressees(received(smtp_server)) == EVERYONE


def test_each_admin_reads_it_in_their_language_and_time_zone(world, yearly, smtp_server):
    User.objects.filter(pk=world.user("a1.global_admin").pk).update(
        language="es", time_zone="Pacific/Auckland"
    )

    reminders.send_due(now=END - 30 * DAY)

    messages = received(smtp_server)
    spanish = plain_body(to(messages, "global_admin@contoso.test"))
    # Already-translated phrases and Django's own Spanish date, on the date it is in Auckland.
    assert spanish.startswith("Hola, Global_Admin:")
    assert "Producto: Office 365 E1\nPuestos: 10\nPlazo: Un año\nCliente: Contoso" in spanish
    assert "11 de enero de 2027" in spanish
    assert "11 de enero de 2027" in str(to(messages, "global_admin@contoso.test")["Subject"])
    english = plain_body(to(messages, "partner_global_admin@fabrikam.test"))
    assert english.startswith("Hello Partner_Global_Admin,") and "Jan. 10, 2027" in english


def test_an_admin_who_opted_out_gets_no_reminder(world, yearly, smtp_server, web):
    page = web("a1.global_admin").get("/account/profile/").content.decode()
    assert 'id="id_subscription_notices" checked' in page
    # An unticked checkbox is not posted: the admin turns the notices off.
    response = web("a1.global_admin").post(
        "/account/profile/", {"display_name": "Global Admin", "language": "", "time_zone": ""}
    )
    assert response.status_code == 302
    assert User.objects.get(pk=world.user("a1.global_admin").pk).subscription_notices is False

    reminders.send_due(now=END - 30 * DAY)

    assert "global_admin@contoso.test" not in addressees(received(smtp_server))


def test_a_subscription_without_auto_renew_is_announced_as_ending_then_expired(world, yearly, smtp_server):
    lifecycle.update_settings(agent(world), yearly, {"auto_renew": False}, now=T0 + DAY)
    OutboxMessage.objects.all().delete()

    assert reminders.send_due(now=END - 30 * DAY) == 1
    ending = received(smtp_server)
    assert addressees(ending) == EVERYONE
    assert all("ends on Jan. 10, 2027 and will not renew" in m["Subject"] for m in ending)

    assert renewals.expire_due(now=END) == 1
    assert renewals.expire_due(now=END) == 0
    expired = received(smtp_server)
    assert addressees(expired) == EVERYONE
    assert all(m["Subject"] == "Office 365 E1 P1Y has expired" for m in expired)
    assert "Its data will be deleted on March 11, 2027." in plain_body(
        to(expired, "global_admin@contoso.test")
    )

    # Then the deletion warnings, 30 and 7 days before the 60 days of retention end.
    assert reminders.send_due(now=END + 29 * DAY) == 0
    assert reminders.send_due(now=END + 30 * DAY) == 1
    assert reminders.send_due(now=END + 53 * DAY) == 1
    assert reminders.send_due(now=END + 54 * DAY) == 0
    warnings = received(smtp_server)
    assert addressees(warnings) == sorted(EVERYONE * 2)
    assert all(
        m["Subject"] == "The data of Office 365 E1 P1Y will be deleted on March 11, 2027" for m in warnings
    )


def test_suspension_reactivation_and_the_deletion_warnings_of_a_suspended_subscription(
    world, yearly, smtp_server
):
    suspended_at = T0 + 10 * DAY
    lifecycle.suspend(agent(world), yearly, reason="non_payment", now=suspended_at)
    suspension = received(smtp_server)
    assert addressees(suspension) == EVERYONE
    text = plain_body(to(suspension, "global_admin@contoso.test"))
    assert "Fabrikam suspended Contoso's subscription Office 365 E1 P1Y" in text
    assert "Reason: Non-payment" in text
    assert "its data will be deleted on March 21, 2026." in text

    assert reminders.send_due(now=suspended_at + 29 * DAY) == 0
    assert reminders.send_due(now=suspended_at + 30 * DAY) == 1
    assert reminders.send_due(now=suspended_at + 30 * DAY) == 0
    assert reminders.send_due(now=suspended_at + 53 * DAY) == 1
    warnings = received(smtp_server)
    assert addressees(warnings) == sorted(EVERYONE * 2)
    assert "It is suspended (Non-payment)." in plain_body(warnings[0])

    lifecycle.reactivate(agent(world), yearly, now=suspended_at + 55 * DAY)
    reactivation = received(smtp_server)
    assert addressees(reactivation) == EVERYONE
    assert all(m["Subject"] == "Office 365 E1 P1Y was reactivated" for m in reactivation)
    assert reminders.send_due(now=suspended_at + 58 * DAY) == 0

    # A second suspension starts a new clock: its warnings fire again, for the new date.
    again = suspended_at + 100 * DAY
    lifecycle.suspend(agent(world), yearly, reason="fraud", now=again)
    assert reminders.send_due(now=again + 30 * DAY) == 1
    assert len(received(smtp_server)) == 2 * len(EVERYONE)
    assert renewals.delete_data_due(now=again + 60 * DAY) == 1
    assert reminders.send_due(now=again + 60 * DAY) == 0
    assert received(smtp_server) == []


def test_a_suspended_subscription_whose_term_ends_first_is_warned_after_it_expired(
    world, yearly, smtp_server
):
    lifecycle.suspend(agent(world), yearly, reason="non_payment", now=END - 40 * DAY)
    received(smtp_server)

    # Retention would end 20 days after the term; the term ends first, so no warning for that date.
    assert reminders.send_due(now=END - 10 * DAY) == 0
    renewals.expire_due(now=END)
    assert reminders.send_due(now=END + 30 * DAY) == 1
    assert len(received(smtp_server)) == 2 * len(EVERYONE)


def test_a_cancelled_subscription_mails_nothing(world, yearly, smtp_server):
    lifecycle.cancel(agent(world), yearly, now=T0 + timedelta(hours=1))

    for moment in (END - 30 * DAY, END - 7 * DAY, T0 + 31 * DAY, T0 + 54 * DAY):
        assert reminders.send_due(now=moment) == 0
    assert received(smtp_server) == []
    assert not SentNotice.objects.exists()


def test_a_monthly_subscription_gets_no_30_day_reminder_when_bought(world, catalog, smtp_server):
    february = datetime(2026, 2, 1, 12, 0, tzinfo=UTC)
    subscribe(world, catalog.basic_monthly, 5, now=february)  # 28 days long

    assert reminders.send_due(now=february + timedelta(hours=1)) == 0
    assert reminders.send_due(now=february + 21 * DAY) == 1
    assert addressees(received(smtp_server)) == EVERYONE


def test_a_deletion_warning_reaches_a_global_admin_even_if_every_one_opted_out(world, yearly, smtp_server):
    User.objects.filter(pk=world.user("a1.global_admin").pk).update(subscription_notices=False)
    User.objects.filter(pk=world.user("a.partner_global_admin").pk).update(subscription_notices=False)
    lifecycle.suspend(agent(world), yearly, reason="non_payment", now=T0 + DAY)
    suspension = addressees(received(smtp_server))
    assert suspension == ["billing@contoso.test", "billing_admin@fabrikam.test"]

    reminders.send_due(now=T0 + 31 * DAY)
    assert addressees(received(smtp_server)) == EVERYONE

    # With another global admin who wants the notices, the one who opted out is left alone.
    make_user(world.customer_a1, "second@contoso.test", [Role.GLOBAL_ADMIN])
    reminders.send_due(now=T0 + 54 * DAY)
    warned = addressees(received(smtp_server))
    assert "second@contoso.test" in warned and "global_admin@contoso.test" not in warned


def test_the_jobs_are_registered_and_each_run_sends_the_reminder_once(world, catalog, smtp_server):
    jobs.autodiscover()
    assert {"subscriptions.reminders", "tenancy.relationship_reminders"} <= set(jobs.REGISTRY)
    ends = timezone.now() + 29 * DAY
    bought = ends.replace(year=ends.year - 1)
    subscription = subscribe(world, catalog.basic_yearly, 3, now=bought)
    assert subscription.term_end == ends
    OutboxMessage.objects.all().delete()

    jobs.run_due("w1")
    jobs.run_due("w2")
    ScheduledJob.objects.update(next_run_at=timezone.now())  # due again: it finds nothing new
    jobs.run_due("w3")

    assert ScheduledJob.objects.get(name="subscriptions.reminders").runs == 2
    # Other apps' jobs ran too; of their mails, only this one's are looked at.
    renewal = [m for m in received(smtp_server) if "renews on" in str(m["Subject"])]
    assert addressees(renewal) == EVERYONE


@pytest.mark.django_db(transaction=True)
def test_two_worker_threads_running_the_job_together_send_each_reminder_once(smtp_server):
    if connection.vendor == "sqlite" and connection.settings_dict["NAME"].startswith(
        ("file:memorydb", ":memory:")
    ):
        pytest.skip(
            "in-memory SQLite is one connection; run with DATABASE_URL=postgres://… for the real race"
        )
    from partnerdesk.testing import build_world

    world = build_world()
    catalog = build_catalog()
    for _ in range(5):
        subscribe(world, catalog.basic_yearly, 10, now=T0)
    barrier = threading.Barrier(2)
    results: list[int] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait()
            results.append(reminders.send_due(now=END - 30 * DAY))
        except BaseException as error:
            errors.append(error)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert sum(results) == 5
    assert SentNotice.objects.count() == 5
    assert addressees(received(smtp_server)) == sorted(EVERYONE * 5)
