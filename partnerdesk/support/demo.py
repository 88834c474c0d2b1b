"""Demo support data: requests in every state (open, waiting on the customer, resolved, closed,
merged, escalated with service requests open / attention needed / closed, one past its SLA), a
partner's own service request, topics, help articles, a support profile, canned replies, an SLA
policy, a flag and a deflection.

Idempotent: nothing is added once the first demo request exists. Everything goes through the
services as the demo people, so it is audited as in real use.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from partnerdesk.access.principal import Principal, principal_for
from partnerdesk.accounts.models import User
from partnerdesk.catalog.models import Service
from partnerdesk.support import desk, flags, knowledge, service_requests, sla, support_requests, timeline
from partnerdesk.support.inputs import SeverityIn, SupportRequestIn
from partnerdesk.support.models import Note, ServiceRequest, SupportRequest, SupportTopic

MARKER = "Outlook cannot send external mail"
TOPICS = [
    ("Mail flow", "Delivery, connectors, spam filtering"),
    ("Sign-in and identity", "Accounts, MFA, directory sync"),
    ("Billing and invoices", "Invoices, credits, price questions"),
    ("Partner center", "Problems with the partner center itself"),
]


def _person(email: str) -> Principal | None:
    user = User.objects.filter(email=email).first()
    return principal_for(user) if user else None


NEAR = "Calendar sharing with a supplier fails"


def load() -> None:
    if not SupportRequest.objects.filter(title=MARKER).exists():
        _load_once()
    _close_to_breaching()


def _close_to_breaching() -> None:
    """A request whose first response is due in a few minutes, and an unanswered service request past
    its target: the home pages show them as (about to) breach their SLA. Added once, by title."""
    if SupportRequest.objects.filter(title=NEAR).exists():
        return
    ivy = _person("it@contoso.test")
    if ivy is None:
        return
    now = timezone.now()
    with transaction.atomic():
        near = _open(ivy, NEAR, "Free/busy of fabrikam.test shows nothing since Monday.", "moderate", None)
        # Within the "near" window however the SLA policy counts hours: due in half the window.
        SupportRequest.objects.filter(pk=near.pk).update(first_response_due_at=now + sla.near_window() / 2)
        ServiceRequest.objects.filter(
            title="October invoice shows the wrong exchange rate", first_response_at__isnull=True
        ).update(first_response_due_at=now - timedelta(hours=2))


def _load_once() -> None:
    chen = _person("admin@contoso.test")
    ivy = _person("it@contoso.test")
    ada = _person("admin@adatum.test")
    fiona = _person("admin@fabrikam.test")
    adam = _person("agent@fabrikam.test")
    hana = _person("helpdesk@fabrikam.test")
    ethan = _person("engineer@operator.test")
    olivia = _person("admin@operator.test")
    tomas = _person("admin@tailspin.test")
    if not all((chen, ivy, ada, fiona, adam, hana, ethan, olivia, tomas)):
        return  # the demo organizations are not loaded
    assert chen and ivy and ada and fiona and adam and hana and ethan and olivia and tomas
    with transaction.atomic():
        _load(chen, ivy, ada, fiona, adam, hana, ethan, olivia, tomas)


def _open(
    who: Principal, title: str, description: str, severity: SeverityIn, service: Service | None
) -> SupportRequest:
    return support_requests.create_support_request(
        who,
        SupportRequestIn(
            title=title,
            description=description,
            severity=severity,
            service_id=service.pk if service else None,
            contact_name=who.user.display_name,
            contact_email=who.user.email,
        ),
    )


def _load(
    chen: Principal,
    ivy: Principal,
    ada: Principal,
    fiona: Principal,
    adam: Principal,
    hana: Principal,
    ethan: Principal,
    olivia: Principal,
    tomas: Principal,
) -> None:
    topics = {}
    for name, description in TOPICS:
        existing = SupportTopic.objects.filter(name=name).first()
        topics[name] = existing or knowledge.save_topic(olivia, name=name, description=description)
    exchange = Service.objects.filter(key="exchange").first()
    teams = Service.objects.filter(key="teams").first()

    desk.update_support_profile(
        fiona,
        {
            "email": "support@fabrikam.test",
            "phone": "+86 10 5555 0100",
            "website": "https://fabrikam.test/support",
            "hours": "Mon-Fri 09:00-18:00 (China Standard Time); critical issues around the clock",
        },
    )
    sla.set_sla_policy(
        fiona,
        severity="moderate",
        first_response_minutes=240,
        resolution_minutes=3 * 24 * 60,
        around_the_clock=False,
        time_zone="Asia/Shanghai",
    )
    knowledge.save_canned_reply(
        fiona, title="Need a message trace", body="Could you send us a message trace of one affected message?"
    )
    knowledge.save_canned_reply(
        fiona, title="Resolved, please confirm", body="We believe this is fixed; please confirm."
    )
    knowledge.save_article(
        olivia,
        title="Outbound mail is rejected: check the connector",
        body="If external recipients do not get your mail, open Mail flow > Connectors and re-enable "
        "the outbound connector. Changes take up to 15 minutes.",
        language="en",
        services=[exchange] if exchange else [],
    )
    knowledge.save_article(
        olivia,
        title="Teams meetings drop audio",
        body="Check that UDP ports 3478-3481 are open to the service. Update the Teams client.",
        language="en",
        services=[teams] if teams else [],
    )
    knowledge.save_article(
        adam,
        title="Fabrikam: how to reset a user's password",
        body="In the admin center, open Users, choose the user and select Reset password.",
        language="en",
        services=[],
    )

    # Escalated, waiting on the partner (attention needed), with an operator-internal note.
    escalated = _open(
        chen, MARKER, "Since 08:00 every external message bounces with 5.7.1.", "critical", exchange
    )
    reply = timeline.add_message(adam, escalated, body="We see the bounces too and are checking.")
    timeline.add_message(
        adam, escalated, body="Tenant connector looks fine; likely operator side.", visibility="internal"
    )
    support_requests.update_support_request(adam, escalated, assignee_id=adam.user.pk)
    service_request = service_requests.escalate(
        adam,
        escalated,
        service_requests.NewServiceRequest(
            title="Contoso: outbound mail rejected with 5.7.1",
            description="All outbound mail from contoso bounces since 08:00 CST. Connector verified.",
            severity="critical",
            topic=topics["Mail flow"],
            contact=adam.user,
            service=exchange,
        ),
        shared_message_ids=[reply.pk],
    )
    service_requests.update_service_request(ethan, service_request, assignee_id=ethan.user.pk)
    timeline.add_note(
        ethan, service_request, body="Please send the NDR of one bounced message.", kind=Note.Kind.TO_PARTNER
    )
    timeline.add_note(
        ethan, service_request, body="Relay pool 3 shows rejects.", kind=Note.Kind.OPERATOR_INTERNAL
    )
    service_requests.update_service_request(
        ethan, service_request, status=ServiceRequest.Status.ATTENTION_NEEDED
    )

    # Escalated and fully resolved.
    solved = _open(
        ada,
        "Teams calls drop after 10 minutes",
        "Every call with more than 5 people drops.",
        "moderate",
        teams,
    )
    timeline.add_message(hana, solved, body="Thanks, escalating to the operator.")
    solved_sr = service_requests.escalate(
        hana,
        solved,
        service_requests.NewServiceRequest(
            title="Adatum: Teams calls drop",
            description="Calls drop after 10 minutes.",
            severity="moderate",
            topic=topics["Sign-in and identity"],
            contact=hana.user,
            service=teams,
        ),
    )
    timeline.add_note(ethan, solved_sr, body="A media relay was faulty; fixed.", kind=Note.Kind.TO_PARTNER)
    service_requests.update_service_request(
        ethan, solved_sr, status="closed", resolution="Replaced the faulty media relay."
    )
    timeline.add_message(hana, solved, body="The operator fixed a media relay; calls are stable again.")
    support_requests.update_support_request(hana, solved, status="resolved")
    flags.flag_partner(
        ethan,
        fiona.organization,
        reason="A password-reset question was escalated without first-line troubleshooting.",
        remediation="Use the admin center's reset password guide before escalating.",
        service_request=solved_sr,
    )

    # Open and answered; waiting on the customer; closed by the customer; merged duplicate.
    open_request = _open(
        ivy, "New user cannot sign in", "jane@contoso.test gets error AADSTS50126.", "moderate", None
    )
    timeline.add_message(hana, open_request, body="Could you confirm the user's UPN?")
    waiting = _open(chen, "Increase mailbox size for CEO", "The CEO mailbox is at 98 %.", "minimal", exchange)
    timeline.add_message(adam, waiting, body="Which plan is the CEO licensed for?")
    support_requests.update_support_request(adam, waiting, status="waiting_on_customer")
    closed = _open(chen, "Question about retention", "How long are deleted items kept?", "minimal", exchange)
    timeline.add_message(hana, closed, body="Deleted items are kept for 30 days by default.")
    support_requests.update_support_request(chen, closed, status="closed")
    duplicate = _open(
        ivy, "Outlook bounces external mail", "Same as the other request.", "moderate", exchange
    )
    support_requests.merge_support_requests(adam, duplicate, escalated)

    # Past its first-response target: shows as breached in the queue.
    late = _open(
        ada, "Shared mailbox missing", "A shared mailbox disappeared from Outlook.", "critical", exchange
    )
    SupportRequest.objects.filter(pk=late.pk).update(
        created_at=late.created_at - timedelta(hours=5),
        first_response_due_at=late.created_at - timedelta(hours=3),
    )
    _open(tomas, "Factura duplicada", "Hemos recibido la factura de octubre dos veces.", "minimal", None)

    # The partner's own service request.
    service_requests.create_service_request(
        fiona,
        service_requests.NewServiceRequest(
            title="October invoice shows the wrong exchange rate",
            description="Our October invoice uses the September rate.",
            severity="minimal",
            topic=topics["Billing and invoices"],
        ),
    )
    knowledge.record_deflection(chen, article=None, service=exchange, query="mail size")
