"""Demo service health and Message center: an active incident, an advisory, a resolved incident
with its report, planned maintenance, and Message center posts for each kind of audience.

Idempotent: each item is looked up by its title first. Uses the demo operator's communications
manager, so everything is audited as in real use.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from partnerdesk.access.principal import Principal, principal_for
from partnerdesk.accounts.models import User
from partnerdesk.catalog.models import Feature, Region, Service
from partnerdesk.health import issues, message_center, planned_maintenance
from partnerdesk.health.models import HealthIssue, MessagePost, PlannedMaintenance
from partnerdesk.tenancy.models import Organization

# The same keys as the commercial catalog's demo, so SKUs and services meet whichever loads first.
SERVICES = {
    "exchange": (
        "Exchange Online",
        [("E-mail and calendar", "Mail flow"), ("E-mail and calendar", "Calendar")],
    ),
    "sharepoint": ("SharePoint Online", [("Files", "Uploads"), ("Sites", "Search")]),
    "teams": ("Microsoft Teams", [("Meetings", "Audio and video"), ("Chat", "Messaging")]),
    "onedrive": ("OneDrive for Business", [("Files", "Sync")]),
}
REGIONS = {"china-north-2": "China North 2", "china-east-2": "China East 2"}


def load() -> None:
    comms = User.objects.filter(email="comms@operator.test").first()
    if comms is None:
        return
    operator = principal_for(comms)
    catalog: dict[str, Service] = {}
    for key, (name, features) in SERVICES.items():
        service = Service.objects.get_or_create(key=key, defaults={"name": name})[0]
        for group, feature in features:
            Feature.objects.get_or_create(service=service, group=group, name=feature)
        catalog[key] = service
    for key, name in REGIONS.items():
        Region.objects.get_or_create(key=key, defaults={"name": name})
    now = timezone.now()
    _issues(operator, catalog, now)
    _maintenance(operator, catalog, now)
    _messages(operator, catalog, now)
    _drafts(operator, catalog, now)


def _issues(operator: Principal, catalog: dict[str, Service], now: datetime) -> None:
    if not HealthIssue.objects.filter(title="Some users can't send mail to external recipients").exists():
        issue = issues.create_issue(
            operator,
            title="Some users can't send mail to external recipients",
            impact_description="Users may see delays or non-delivery reports sending to external domains.",
            service_ids=[catalog["exchange"].pk],
            feature_ids=list(Feature.objects.filter(name="Mail flow").values_list("pk", flat=True)),
            region_ids=list(Region.objects.filter(key="china-north-2").values_list("pk", flat=True)),
            status="investigating",
            start_at=now - timedelta(hours=3),
            first_post="We're investigating reports of delayed outbound mail in China North 2.",
            publish=True,
        )
        issues.add_issue_post(
            operator,
            issue,
            body="We've identified a misconfigured outbound connector and are rolling back the change.",
            status="service_degradation",
        )
    if not HealthIssue.objects.filter(title="File uploads are slower than usual").exists():
        issues.create_issue(
            operator,
            title="File uploads are slower than usual",
            impact_description="Large uploads to SharePoint sites may take longer to complete.",
            service_ids=[catalog["sharepoint"].pk],
            classification="advisory",
            status="investigating",
            start_at=now - timedelta(hours=1),
            first_post="We're reviewing telemetry for upload latency in China East 2.",
            publish=True,
        )
    if not HealthIssue.objects.filter(title="Meeting join failures").exists():
        issue = issues.create_issue(
            operator,
            title="Meeting join failures",
            impact_description="Some users couldn't join Teams meetings from the desktop client.",
            service_ids=[catalog["teams"].pk],
            status="service_interruption",
            start_at=now - timedelta(days=10, hours=2),
            first_post="Users can't join meetings; we're investigating.",
            publish=True,
        )
        issues.add_issue_post(operator, issue, body="A fix is deployed.", status="service_restored")
        HealthIssue.objects.filter(pk=issue.pk).update(end_at=now - timedelta(days=10))
        issues.publish_incident_report(
            operator,
            issue,
            report="Root cause: an expired certificate on a meeting gateway. We've added expiry monitoring.",
        )


def _maintenance(operator: Principal, catalog: dict[str, Service], now: datetime) -> None:
    if not PlannedMaintenance.objects.filter(title="Teams meeting infrastructure upgrade").exists():
        start = (now + timedelta(days=3)).replace(hour=18, minute=0, second=0, microsecond=0)
        planned_maintenance.create_maintenance(
            operator,
            title="Teams meeting infrastructure upgrade",
            description="Meetings in progress may reconnect once during the window.",
            service_ids=[catalog["teams"].pk],
            starts_at=start,
            ends_at=start + timedelta(hours=2),
        )


def _messages(operator: Principal, catalog: dict[str, Service], now: datetime) -> None:
    fabrikam = Organization.objects.filter(name="Fabrikam").first()
    contoso = Organization.objects.filter(name="Contoso").first()
    posts: list[dict[str, Any]] = [
        dict(
            title="Retirement of TLS 1.0 and 1.1",
            body="We will stop accepting **TLS 1.0 and 1.1** connections.\n\n- Check your mail servers\n"
            "- Update old clients\n\nSee the [guidance](https://learn.microsoft.com/).",
            category="plan_for_change",
            severity="high",
            is_major_change=True,
            act_by=(now + timedelta(days=20)).date(),
            service_ids=[catalog["exchange"].pk],
            tags=["retirement", "admin_impact"],
            audience=message_center.AudienceSpec(type="all"),
        ),
        dict(
            title="Meeting recap comes to Teams",
            body="Meeting recap shows recordings, transcripts and notes in one place.",
            category="stay_informed",
            service_ids=[catalog["teams"].pk],
            tags=["new_feature", "user_impact"],
            audience=message_center.AudienceSpec(type="services", service_ids=(str(catalog["teams"].pk),)),
        ),
        dict(
            title="Updated data processing terms",
            body="The data processing terms for services in China were updated.",
            category="stay_informed",
            tags=["data_privacy"],
            audience=message_center.AudienceSpec(type="all"),
        ),
    ]
    if fabrikam:
        posts.append(
            dict(
                title="Fabrikam customers: new support hours",
                body="Fabrikam's support desk now answers around the clock for critical requests.",
                category="stay_informed",
                audience=message_center.AudienceSpec(type="partner_customers", partner_id=str(fabrikam.pk)),
            )
        )
    if contoso:
        posts.append(
            dict(
                title="Mailbox moves for your organization",
                body="We'll move your mailboxes to new storage. No action is needed.",
                category="prevent_or_fix_issue",
                service_ids=[catalog["exchange"].pk],
                audience=message_center.AudienceSpec(type="tenants", customer_ids=(str(contoso.pk),)),
            )
        )
    for post in posts:
        if not MessagePost.objects.filter(title=post["title"]).exists():
            message_center.create_message(operator, publish=True, **post)


def _drafts(operator: Principal, catalog: dict[str, Service], now: datetime) -> None:
    """An issue and a Message center post written but not published: the operator console's home
    page shows them as awaiting publication."""
    if not HealthIssue.objects.filter(title="OneDrive sync pauses on some devices").exists():
        issues.create_issue(
            operator,
            title="OneDrive sync pauses on some devices",
            impact_description="Some users may see sync paused for files changed in the last hour.",
            service_ids=[catalog["onedrive"].pk],
            status="investigating",
            start_at=now - timedelta(minutes=30),
            first_post="We're checking reports of paused sync.",
            publish=False,
        )
    if not MessagePost.objects.filter(title="New retention labels in SharePoint").exists():
        message_center.create_message(
            operator,
            publish=False,
            title="New retention labels in SharePoint",
            body="Retention labels can now be applied to whole document libraries.",
            category="stay_informed",
            service_ids=[catalog["sharepoint"].pk],
            tags=["new_feature"],
            audience=message_center.AudienceSpec(type="all"),
        )
