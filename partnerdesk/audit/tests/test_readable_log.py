"""The audit log reads as sentences in the viewer's language, changes as labelled fields; the raw
record stays in the details, CSV and API; a date that is no date is a form error."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from partnerdesk.access.principal import delegated_principal, principal_for
from partnerdesk.audit import sentences
from partnerdesk.audit import services as audit
from partnerdesk.audit.models import AuditEvent
from partnerdesk.subscriptions import change_requests, lifecycle
from partnerdesk.subscriptions.tests.conftest import agent, build_catalog, subscribe
from partnerdesk.support import knowledge
from partnerdesk.support.models import HelpArticle
from partnerdesk.testing import World, database_state

pytestmark = pytest.mark.django_db


def _blocked_on_behalf(world: World, reason: str = "") -> AuditEvent:
    acting = delegated_principal(
        principal_for(world.user("a.admin_agent"), channel="web"), world.customer_a1.pk
    )
    with transaction.atomic():
        return audit.record(
            acting,
            action="user.blocked",
            target=world.user("a1.user"),
            organization=world.customer_a1,
            before={"blocked": False, "roles": ["user"]},
            after={"blocked": True, "roles": ["user"]},
            reason=reason,
        )


def test_an_event_is_one_sentence_naming_who_for_whom_and_what(world: World) -> None:
    event = _blocked_on_behalf(world, reason="Left the company")
    person = world.user("a1.user")
    agent = world.user("a.admin_agent")

    assert sentences.sentence(event) == (
        f"{agent.display_name or agent.email} (Fabrikam, acting for Contoso) blocked {person} from "
        "signing in: Left the company"
    )
    assert event.object_label == str(person)


def test_changes_are_labelled_fields_not_dicts(world: World) -> None:
    event = _blocked_on_behalf(world)
    assert [(c.label, c.before, c.after) for c in sentences.changes(event)] == [("Blocked", "No", "Yes")]


def test_an_action_without_a_phrase_still_reads(world: World) -> None:
    with transaction.atomic():
        event = audit.record(None, action="mystery.done", target=world.customer_a1, organization=None)
    assert sentences.sentence(event) == "The system did mystery.done on Contoso"


def test_the_page_shows_sentences_and_keeps_the_raw_record(web: Any, world: World) -> None:
    _blocked_on_behalf(world)
    page = web("a1.global_admin").get("/admin/audit/").content.decode()
    assert "(Fabrikam, acting for Contoso) blocked" in page
    assert '<th scope="row">Blocked</th><td>No</td><td>Yes</td>' in page
    assert "{&#x27;blocked&#x27;" not in page  # no Python dict dumps
    assert "&quot;blocked&quot;: true" in page  # the raw JSON, in the details toggle
    csv = b"".join(web("a1.global_admin").get("/admin/audit/?format=csv").streaming_content).decode()
    assert "acting for Contoso) blocked" in csv


def test_an_impossible_date_is_a_form_error(web: Any, world: World) -> None:
    before = database_state()
    response = web("a1.global_admin").get("/admin/audit/?since=2026-13-45")
    assert response.status_code == 400
    assert "Enter a valid date." in response.content.decode()
    assert database_state() == before


def test_the_page_costs_the_same_for_5_or_30_events(web: Any, world: World) -> None:
    client = web("a1.global_admin")
    for _ in range(5):
        _blocked_on_behalf(world)
    client.get("/admin/audit/")
    with CaptureQueriesContext(connection) as few:
        client.get("/admin/audit/")
    for _ in range(25):
        _blocked_on_behalf(world)
    with CaptureQueriesContext(connection) as many:
        client.get("/admin/audit/")
    assert len(many.captured_queries) == len(few.captured_queries)


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("es", "(Fabrikam, en nombre de Contoso) bloqueó"),
        ("zh-hans", "（Fabrikam，代表 Contoso）"),  # noqa: RUF001 (full-width punctuation is the point)
    ],
)
def test_the_sentence_is_in_the_viewers_language(
    web: Any, world: World, language: str, expected: str
) -> None:
    _blocked_on_behalf(world)
    admin = world.user("a1.global_admin")
    admin.language = language
    admin.save(update_fields=["language"])
    page = web("a1.global_admin").get("/admin/audit/").content.decode()
    assert expected in page


def test_codes_read_as_their_labels(world: World) -> None:
    subscription = lifecycle.suspend(
        agent(world), subscribe(world, build_catalog().basic_monthly, 5), reason="non_payment"
    )
    event = AuditEvent.objects.get(action="subscription.suspended")

    with translation.override("en"):
        sentence = sentences.sentence(event)
        changes = [(c.label, c.before, c.after) for c in sentences.changes(event)]
    assert event.object_label == str(subscription)
    assert sentence.endswith(f"suspended {subscription}: Non-payment")
    assert ("Status", "Active", "Suspended") in changes
    assert ("Suspension reason", "—", "Non-payment") in changes


def test_a_change_request_and_a_deflection_are_named_not_numbered(world: World) -> None:
    subscription = subscribe(world, build_catalog().basic_monthly, 5)
    admin = principal_for(world.user("a1.global_admin"))
    change_requests.request_change(admin, subscription, kind="increase", seats=8)
    article = HelpArticle.objects.create(
        author_organization=world.operator, title="Reset your password", body="Use the link."
    )
    knowledge.record_deflection(admin, article=article, service=None, query="password")

    with translation.override("en"):
        asked = sentences.sentence(AuditEvent.objects.get(action="change_request.created"))
        solved = AuditEvent.objects.get(action="support.deflected")
        solved_sentence = sentences.sentence(solved)
        solved_changes = [(c.label, c.after) for c in sentences.changes(solved)]
    assert asked.endswith(f"asked for a change to {subscription}")
    assert solved_sentence.endswith("solved a problem with the help article Reset your password")
    assert ("Help article", "Reset your password") in solved_changes


def test_ids_of_other_rows_read_as_their_names_and_bare_ids_are_left_to_the_details(world: World) -> None:
    agent = world.user("a.admin_agent")
    with transaction.atomic():
        event = audit.record(
            principal_for(agent),
            action="support_request.replied",
            target=world.customer_a1,
            organization=world.customer_a1,
            after={
                "assignee": str(agent.pk),
                "customer": str(world.customer_a1.pk),
                "message": "3ea7f9ab-32b8-4ccd-af93-7f3d01ee1ae8",
                "visibility": "internal",
            },
        )
    known = sentences.names([event])
    with translation.override("en"):
        changes = [(c.label, c.after) for c in sentences.changes(event, known)]
        sentence = sentences.sentence(event)

    assert changes == [
        ("Assigned to", agent.display_name or agent.email),
        ("Customer", "Contoso"),
        ("Visibility", "Internal note"),
    ]
    assert "did support_request.replied" not in sentence and "replied on the support request" in sentence


def test_the_names_cost_one_query_per_kind_of_row(world: World, django_assert_num_queries: Any) -> None:
    with transaction.atomic():
        events = [
            audit.record(
                None,
                action="support_request.updated",
                target=world.customer_a1,
                organization=world.customer_a1,
                after={"assignee": str(world.user(key).pk), "customer": str(world.customer_a1.pk)},
            )
            for key in ("a.admin_agent", "a.helpdesk_agent", "a.partner_global_admin")
        ]
    with django_assert_num_queries(2):  # users, organizations
        sentences.names(events)


def _recorded_actions() -> set[str]:
    """Every action name the product's code records as a literal (`action="x.y"`)."""
    root = Path(__file__).resolve().parents[2]
    found = set()
    for path in root.rglob("*.py"):
        if "tests" in path.parts or "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.keyword) and node.arg == "action":
                value = node.value
                for constant in ast.walk(value):
                    if (
                        isinstance(constant, ast.Constant)
                        and isinstance(constant.value, str)
                        and re.fullmatch(r"[a-z_]+\.[a-z_]+", constant.value)
                    ):
                        found.add(constant.value)
    return found


# Actions recorded from an f-string: each family with the values it takes.
FAMILIES = {
    "support_request.{status}": ["open", "waiting_on_customer", "resolved", "closed"],
    "service_request.{status}": ["open", "attention_needed", "closed"],
    "service_request.{note kind}": ["to_partner", "from_partner", "operator_internal", "shared", "system"],
    "{request}.sla_{kind}": ["support_request.sla_breach", "support_request.sla_near"],
    "service_request.sla_{kind}": ["service_request.sla_breach", "service_request.sla_near"],
    "maintenance.{event}": ["started", "completed"],
    "change_request.{status}": ["approved", "rejected", "information_requested"],
    "{organization kind}.updated": ["customer.updated", "partner.updated"],
}


def test_every_action_the_product_records_has_a_sentence() -> None:
    expanded = set()
    for family, values in FAMILIES.items():
        prefix = family.split(".")[0]
        for value in values:
            expanded.add(value if "." in value else f"{prefix}.{value}")
    missing = sorted(a for a in _recorded_actions() | expanded if a not in sentences.ACTIONS)
    assert missing == []
