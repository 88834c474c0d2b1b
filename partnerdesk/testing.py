"""The tiny world every test starts from: an operator, two partners with two customers each,
one user of each role, and an outsider. Built directly with the models so it costs milliseconds.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from django.utils import timezone

from partnerdesk.access.permissions import ROLES_BY_KIND, OrgKind, Role
from partnerdesk.accounts.models import RoleAssignment, User
from partnerdesk.mfa.models import OrganizationPolicy, Requirement
from partnerdesk.tenancy.models import DelegatedRelationship, Organization

PASSWORD = "Correct-horse-battery-9"


@dataclass
class World:
    operator: Organization
    partner_a: Organization
    partner_b: Organization
    customer_a1: Organization
    customer_a2: Organization
    customer_b1: Organization
    customer_b2: Organization
    users: dict[str, User] = field(default_factory=dict)
    relationship_a1: DelegatedRelationship | None = None

    def user(self, key: str) -> User:
        return self.users[key]


def make_user(organization: Organization, email: str, roles: list[Role], *, name: str = "") -> User:
    user = User(email=email, display_name=name or email.split("@")[0].title(), organization=organization)
    user.set_password(PASSWORD)
    user.save()
    RoleAssignment.objects.bulk_create([RoleAssignment(user=user, role=r) for r in roles])
    return user


def build_world() -> World:
    """Users are keyed `<org>.<role>`: operator.operator_admin, a.admin_agent, a1.global_admin, …"""
    operator = Organization.objects.create(kind=OrgKind.OPERATOR, name="Northwind Cloud")
    partner_a = Organization.objects.create(
        kind=OrgKind.PARTNER, name="Fabrikam", contact_email="help@fabrikam.test"
    )
    partner_b = Organization.objects.create(kind=OrgKind.PARTNER, name="Litware")
    # A real install requires a second factor of every operator and partner user (mfa.policy.DEFAULTS);
    # the world's users sign in with a password alone so every test does not enrol first. The tests
    # of multi-factor authentication (`mfa/tests/`) delete these rows to test the default.
    OrganizationPolicy.objects.bulk_create(
        OrganizationPolicy(organization=organization, requirement=Requirement.NOT_REQUIRED)
        for organization in (operator, partner_a, partner_b)
    )

    def customer(name: str, partner: Organization) -> Organization:
        return Organization.objects.create(
            kind=OrgKind.CUSTOMER,
            name=name,
            partner=partner,
            initial_domain=f"{name.lower()}.partnerdesk.test",
            billing_email=f"billing@{name.lower()}.test",
        )

    world = World(
        operator=operator,
        partner_a=partner_a,
        partner_b=partner_b,
        customer_a1=customer("Contoso", partner_a),
        customer_a2=customer("Adatum", partner_a),
        customer_b1=customer("Tailspin", partner_b),
        customer_b2=customer("Wingtip", partner_b),
    )
    for role in (
        Role.OPERATOR_ADMIN,
        Role.SUPPORT_ENGINEER,
        Role.COMMUNICATIONS_MANAGER,
        Role.CATALOG_MANAGER,
        Role.AUDITOR,
    ):
        world.users[f"operator.{role}"] = make_user(operator, f"{role}@operator.test", [role])
    for role in (
        Role.PARTNER_GLOBAL_ADMIN,
        Role.ADMIN_AGENT,
        Role.HELPDESK_AGENT,
        Role.SALES_AGENT,
        Role.BILLING_ADMIN,
    ):
        world.users[f"a.{role}"] = make_user(partner_a, f"{role}@fabrikam.test", [role])
    world.users["b.partner_global_admin"] = make_user(
        partner_b, "admin@litware.test", [Role.PARTNER_GLOBAL_ADMIN]
    )
    world.users["b.admin_agent"] = make_user(partner_b, "agent@litware.test", [Role.ADMIN_AGENT])
    for role in ROLES_BY_KIND[OrgKind.CUSTOMER]:
        world.users[f"a1.{role}"] = make_user(world.customer_a1, f"{role}@contoso.test", [role])
    world.users["a2.global_admin"] = make_user(world.customer_a2, "admin@adatum.test", [Role.GLOBAL_ADMIN])
    world.users["b1.global_admin"] = make_user(world.customer_b1, "admin@tailspin.test", [Role.GLOBAL_ADMIN])
    # The outsider: signed in, but of an organization unrelated to partner A and its customers.
    world.users["outsider"] = world.users["b.admin_agent"]
    now = timezone.now()
    world.relationship_a1 = DelegatedRelationship.objects.create(
        partner=partner_a,
        customer=world.customer_a1,
        name="Fabrikam managed services",
        roles=[Role.GLOBAL_ADMIN, Role.USER_ADMIN],
        duration_days=90,
        status=DelegatedRelationship.Status.ACTIVE,
        decided_at=now,
        expires_at=now + timedelta(days=90),
    )
    return world


# Columns that change on reads (bookkeeping, not state a refused request could have changed).
_VOLATILE = {"accounts.user": {"last_login"}, "accounts.apitoken": {"last_used_at", "last_used_from"}}
# Who is signed in where is bookkeeping too: a test signing a client in after its snapshot must not
# count as a change (tests of ending sessions look at the sessions themselves).
_SKIPPED = {
    "notifications.scheduledjob",
    "sessions.session",
    "ratelimits.ratecounter",
    "accounts.usersession",
}


def database_state() -> dict[str, list[tuple[str, ...]]]:
    """Every row of every Partnerdesk table, for "a refused request changed nothing" assertions."""
    from django.apps import apps

    state: dict[str, list[tuple[str, ...]]] = {}
    for model in apps.get_models():
        label = model._meta.label_lower
        if not model.__module__.startswith("partnerdesk.") or label in _SKIPPED or model._meta.proxy:
            # A proxy model's rows are its concrete model's, already in the state.
            continue
        names = [
            f.attname for f in model._meta.concrete_fields if f.attname not in _VOLATILE.get(label, set())
        ]
        state[label] = sorted(
            tuple(str(v) for v in row) for row in model._default_manager.values_list(*names)
        )
        for relation in model._meta.many_to_many:
            through: Any = relation.remote_field.through
            state[f"{label}.{relation.name}"] = sorted(
                tuple(str(v) for v in row) for row in through._default_manager.values_list()
            )
    return state


@dataclass
class Walk:
    """Every item of a paginated list, and what each page cost."""

    items: list[dict[str, Any]]
    pages: int
    queries: list[int]


def walk_pages(client: Any, path: str, *, limit: int) -> Walk:
    """Follow `next_cursor` from the first page of `path` to the last, counting each page's queries."""
    from urllib.parse import quote

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    items: list[dict[str, Any]] = []
    queries: list[int] = []
    separator = "&" if "?" in path else "?"
    cursor: str | None = None
    while True:
        url = f"{path}{separator}limit={limit}" + (f"&cursor={quote(cursor)}" if cursor else "")
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        assert response.status_code == 200, response.content
        queries.append(len(captured))
        items += response.json_body["items"]
        cursor = response.json_body["next_cursor"]
        if cursor is None:
            return Walk(items=items, pages=len(queries), queries=queries)
        assert len(queries) < 1000, "the cursor does not advance"


def migrate_to(targets: list[tuple[str, str]]) -> Any:
    """Migrate the test database to `targets` ((app, migration), forwards or backwards) and return the
    models as they were there (`.get_model(app, name)`). A test of a data migration goes back, writes
    the old rows, comes forward, and in `finally` returns to `latest_migrations()`."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return MigrationExecutor(connection).loader.project_state(targets).apps


def latest_migrations() -> list[tuple[str, str]]:
    """The last migration of every app: where the test database is, and must be again."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    return MigrationExecutor(connection).loader.graph.leaf_nodes()


def assert_page_admits(
    web: Any, path: str, allowed: str, wrong_role: str | None, outsider: str | None
) -> None:
    """The page answers `allowed`, sends an anonymous visitor to sign in, refuses `wrong_role` (403)
    and `outsider` (403 or 404), and none of these visits changes anything."""
    before = database_state()
    assert web(allowed).get(path).status_code == 200
    assert web(None).get(path).status_code == 302
    if wrong_role:
        assert web(wrong_role).get(path).status_code == 403
    if outsider:
        assert web(outsider).get(path).status_code in (403, 404)
    assert database_state() == before


# --- Mail, as the `smtp_server` fixture received it ------------------------------------------------


def received(smtp_server: Any) -> list[EmailMessage]:
    """Deliver what the outbox holds and return what the SMTP server got since the last call."""
    from partnerdesk.notifications.services import deliver_due

    while deliver_due("test"):
        pass
    messages = list(smtp_server.messages)
    smtp_server.messages.clear()
    return messages


def addressees(messages: list[EmailMessage]) -> list[str]:
    """Whom the messages went to, sorted."""
    return sorted(str(message["To"]) for message in messages)


def plain_body(message: EmailMessage) -> str:
    """The message's plain-text part, with the newlines it was written with."""
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content()).replace("\r\n", "\n")


# --- Browser tests ---------------------------------------------------------------------------------


def screenshot(page: Any, name: str) -> None:
    """Keep a full-page screenshot as `<name>.png` when PARTNERDESK_SCREENSHOTS names a folder."""
    folder = os.environ.get("PARTNERDESK_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def path_of(page: Any) -> str:
    """The path (and query) of the page's URL, without the live server's address."""
    return "/" + page.url.split("/", 3)[3]
