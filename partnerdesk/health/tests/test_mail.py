"""Digest and immediate e-mails go through the outbox to a real SMTP server, in the admin's language,
and never twice; maintenance windows start and end by themselves.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from partnerdesk.access.principal import principal_for
from partnerdesk.health import issues, jobs, mail, message_center, planned_maintenance
from partnerdesk.health.models import AdminPreference, PlannedMaintenance
from partnerdesk.notifications.services import deliver_due

pytestmark = pytest.mark.django_db


def _operator(world):
    return principal_for(world.user("operator.communications_manager"))


def _post(world, catalog, **extra):
    return message_center.create_message(
        _operator(world),
        title=extra.pop("title", "Retiring basic authentication"),
        body="Move to modern auth.",
        category="plan_for_change",
        service_ids=[catalog.exchange.pk],
        audience=message_center.AudienceSpec(type="all"),
        publish=True,
        **extra,
    )


def _deliver(smtp_server):
    deliver_due("test-worker", batch=100)
    return {(m["To"], m["Subject"]) for m in smtp_server.messages}


def _prefer(world, key, **fields):
    preference = AdminPreference.objects.create(user=world.user(key), **fields)
    return preference


def test_major_change_mail_reaches_opted_in_admins_and_extra_addresses_once(world, catalog, smtp_server):
    _prefer(world, "a1.global_admin", email_major_changes=True, extra_emails=["ops@contoso.test"])
    _prefer(world, "b1.global_admin", email_major_changes=True)  # entitled too, other partner
    _prefer(world, "a2.global_admin", email_major_changes=True)  # not entitled to Exchange
    _prefer(world, "a1.message_center_reader", email_major_changes=False)
    post = _post(world, catalog, is_major_change=True)

    jobs.mail_pending()
    jobs.mail_pending()  # a second run (or a second worker) sends nothing more
    received = _deliver(smtp_server)
    deliver_due("test-worker", batch=100)

    subject = f"Major change: {post.display_id} Retiring basic authentication"
    assert len(smtp_server.messages) == 2
    assert received == {
        ("global_admin@contoso.test, ops@contoso.test", subject),
        ("admin@tailspin.test", subject),
    }


def test_an_address_shared_by_several_admins_receives_each_mail_once(world, catalog, smtp_server):
    own = world.user("a1.global_admin").email
    _prefer(world, "a1.global_admin", email_major_changes=True, extra_emails=["ops@contoso.test"])
    _prefer(
        world,
        "a1.message_center_reader",
        email_major_changes=True,
        extra_emails=[own.upper(), "OPS@contoso.test", "Ops@Contoso.test", "team@contoso.test"],
    )
    post = _post(world, catalog, is_major_change=True)

    jobs.mail_pending()
    jobs.mail_pending()
    deliver_due("test-worker", batch=100)

    recipients = [
        address.strip().lower()
        for message in smtp_server.messages
        if post.display_id in message["Subject"]
        for address in message["To"].split(",")
    ]
    assert sorted(recipients) == sorted(
        [
            own.lower(),
            "ops@contoso.test",
            world.user("a1.message_center_reader").email.lower(),
            "team@contoso.test",
        ]
    )


def test_a_notifying_revision_mails_again_but_a_silent_one_does_not(world, catalog, smtp_server):
    _prefer(world, "a1.global_admin", email_major_changes=True)
    post = _post(world, catalog, is_major_change=True)
    jobs.mail_pending()
    message_center.revise_message(_operator(world), post, {"body": "Silent typo fix."}, notifies=False)
    jobs.mail_pending()
    post.refresh_from_db()
    message_center.revise_message(_operator(world), post, {"body": "The date moved."}, notifies=True)
    jobs.mail_pending()
    jobs.mail_pending()
    _deliver(smtp_server)
    assert len(smtp_server.messages) == 2
    assert "revision 2" in smtp_server.messages[1].get_content()


def test_data_privacy_mail_only_to_those_who_may_read_it(world, catalog, smtp_server):
    _prefer(world, "a1.privacy_reader", email_data_privacy=True)
    _prefer(world, "a1.message_center_reader", email_data_privacy=True)  # may not read privacy posts
    _post(world, catalog, tags=["data_privacy"])
    jobs.mail_pending()
    _deliver(smtp_server)
    assert [m["To"] for m in smtp_server.messages] == ["privacy_reader@contoso.test"]


def test_mail_is_in_the_admins_language(world, catalog, smtp_server):
    user = world.user("a1.global_admin")
    user.language = "es"
    user.save(update_fields=["language"])
    _prefer(world, "a1.global_admin", email_major_changes=True)
    _post(world, catalog, is_major_change=True)
    jobs.mail_pending()
    _deliver(smtp_server)
    body = smtp_server.messages[0].get_content()
    assert body.startswith("Hola")


def test_weekly_digest_once_per_week_and_not_for_those_who_turned_it_off(world, catalog, smtp_server):
    _post(world, catalog, title="First")
    _post(world, catalog, title="Second")
    _prefer(world, "a1.message_center_reader", weekly_digest=False)

    assert mail.send_weekly_digests() > 0
    assert mail.send_weekly_digests() == 0
    jobs.weekly_digest()
    _deliver(smtp_server)

    recipients = sorted(m["To"] for m in smtp_server.messages)
    # Exchange is in E3: Contoso's and Tailspin's Message center admins; Adatum has no Exchange.
    assert recipients == [
        "admin@tailspin.test",
        "global_admin@contoso.test",
        "privacy_reader@contoso.test",
        "service_support_admin@contoso.test",
    ]
    digest = next(m for m in smtp_server.messages if m["To"] == "global_admin@contoso.test")
    assert "2 new posts" in digest["Subject"]
    assert "First" in digest.get_content() and "Second" in digest.get_content()


def test_health_issue_posts_mail_subscribers_of_the_service(world, catalog, smtp_server):
    _prefer(world, "a1.service_support_admin", email_health_issues=True)
    teams_only = _prefer(world, "a1.global_admin", email_health_issues=True)
    teams_only.health_services.set([catalog.teams])
    issue = issues.create_issue(
        _operator(world),
        title="Mail delays",
        impact_description="Delays.",
        service_ids=[catalog.exchange.pk],
        first_post="Investigating.",
        publish=True,
    )
    issues.add_issue_post(_operator(world), issue, body="Quiet note.", notifies=False)
    issues.add_issue_post(_operator(world), issue, body="Fixed.", status="service_restored")
    jobs.mail_pending()
    jobs.mail_pending()
    _deliver(smtp_server)
    assert [m["To"] for m in smtp_server.messages] == ["service_support_admin@contoso.test"] * 2
    assert "Fixed." in smtp_server.messages[1].get_content()


def test_maintenance_reminds_starts_and_ends_by_itself(world, catalog, smtp_server):
    _prefer(world, "a1.global_admin", email_health_issues=True)
    now = timezone.now()
    maintenance = planned_maintenance.create_maintenance(
        _operator(world),
        title="Database upgrade",
        description="",
        service_ids=[catalog.exchange.pk],
        starts_at=now + timedelta(minutes=30),
        ends_at=now + timedelta(hours=2),
        reminder_hours=[24, 1],
    )
    # Both reminder moments have passed already at creation: the 1 h one is due now, not the 24 h.
    assert maintenance.reminders_sent == [24]
    jobs.run_maintenance()
    jobs.run_maintenance()
    maintenance.refresh_from_db()
    assert maintenance.reminders_sent == [24, 1]
    assert maintenance.status == PlannedMaintenance.Status.SCHEDULED

    PlannedMaintenance.objects.filter(pk=maintenance.pk).update(
        starts_at=now - timedelta(minutes=1), ends_at=now + timedelta(minutes=1)
    )
    jobs.run_maintenance()
    jobs.run_maintenance()
    assert PlannedMaintenance.objects.get(pk=maintenance.pk).status == PlannedMaintenance.Status.IN_PROGRESS
    PlannedMaintenance.objects.filter(pk=maintenance.pk).update(ends_at=now - timedelta(seconds=1))
    jobs.run_maintenance()
    assert PlannedMaintenance.objects.get(pk=maintenance.pk).status == PlannedMaintenance.Status.COMPLETED

    _deliver(smtp_server)
    subjects = [m["Subject"] for m in smtp_server.messages]
    assert subjects == [
        f"Planned maintenance: {maintenance.display_id} Database upgrade",
        f"Started: {maintenance.display_id} Database upgrade",
        f"Completed: {maintenance.display_id} Database upgrade",
    ]


def test_cancel_tells_subscribers(world, catalog, smtp_server):
    _prefer(world, "a1.global_admin", email_health_issues=True)
    maintenance = planned_maintenance.create_maintenance(
        _operator(world),
        title="Network work",
        description="",
        service_ids=[catalog.exchange.pk],
        starts_at=timezone.now() + timedelta(days=10),
        ends_at=timezone.now() + timedelta(days=10, hours=1),
    )
    planned_maintenance.cancel_maintenance(_operator(world), maintenance)
    jobs.run_maintenance()
    _deliver(smtp_server)
    assert [m["Subject"] for m in smtp_server.messages] == [
        f"Cancelled: {maintenance.display_id} Network work"
    ]


def test_scheduled_posts_publish_when_due(world, catalog):
    post = message_center.create_message(
        _operator(world),
        title="Later",
        body="x",
        category="stay_informed",
        audience=message_center.AudienceSpec(type="all"),
        publish_at=timezone.now() - timedelta(seconds=1),
    )
    assert post.status == "scheduled"
    jobs.publish_scheduled()
    jobs.publish_scheduled()
    post.refresh_from_db()
    assert post.status == "published"
