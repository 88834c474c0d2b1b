"""Fill a PostgreSQL database for the benchmarks through Partnerdesk's own models (bulk_create).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/partnerdesk_bench_small \
        .venv/bin/python -m bench.generate --scale small

The database is dropped and re-created (it must be a dedicated one: its name must contain "bench"),
migrated, and filled. The API tokens the scenarios use are written to bench/.state/<scale>.json.

Large: 1,000 partners, 100,000 customers, 1,000,000 support requests (two messages each), 100,000
service requests, 2,000 health issues, 20,000 Message center posts with mixed audiences, one customer
with 100,000 users, licence pools, and read state for 10% of the posts for 1,000 admins.
Small: a tenth of each.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import subprocess
import time
import uuid
from collections.abc import Iterable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from bench.progress import progress

ROOT = Path(__file__).resolve().parent.parent
STATE = ROOT / "bench" / ".state"
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/partnerdesk_bench_{scale}"  # one database per scale

LARGE = {
    "partners": 1_000,
    "customers": 100_000,
    "support_requests": 1_000_000,
    "service_requests": 100_000,
    "health_issues": 2_000,
    "posts": 20_000,
    "big_tenant_users": 100_000,
    "readers": 1_000,
}
BATCH = 5_000


def scale_counts(scale: str) -> dict[str, int]:
    divisor = 1 if scale == "large" else 10
    return {key: value // divisor for key, value in LARGE.items()}


def bulk(label: str, model: Any, rows: Iterable[Any], total: int) -> None:
    """bulk_create `rows` in batches, drawing a progress bar."""
    started = time.monotonic()
    done = 0
    batch: list[Any] = []
    progress(label, 0, total, started)
    for row in rows:
        batch.append(row)
        if len(batch) >= BATCH:
            model.objects.bulk_create(batch)
            done += len(batch)
            batch = []
            progress(label, done, total, started)
    if batch or not done:
        model.objects.bulk_create(batch)
        done += len(batch)
        progress(label, max(done, total), total, started)


def recreate_database(url: str) -> None:
    name = urlparse(url).path.lstrip("/")
    if "bench" not in name:
        raise SystemExit(f"refusing to drop {name!r}: the benchmark database's name must contain 'bench'")
    admin = urlparse(url)._replace(path="/postgres").geturl()
    for sql in (f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"'):
        subprocess.run(["psql", admin, "-q", "-c", sql], check=True)


def migrate() -> None:
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def generate(scale: str) -> dict[str, Any]:
    from django.contrib.auth.hashers import make_password
    from django.db import connection
    from django.utils import timezone

    from partnerdesk.access.permissions import OrgKind, Role
    from partnerdesk.accounts.models import ApiToken, RoleAssignment, User, hash_token
    from partnerdesk.catalog.models import (
        Feature,
        Offer,
        OfferPolicy,
        Product,
        Region,
        Service,
        ServiceStatus,
        Sku,
    )
    from partnerdesk.health.models import (
        DisplayNumber,
        HealthIssue,
        HealthIssuePost,
        MessagePost,
        MessageViewState,
    )
    from partnerdesk.health.rendering import render_markdown
    from partnerdesk.subscriptions.models import LicenseAssignment, LicensePool, Subscription
    from partnerdesk.support.models import (
        Counter,
        Message,
        ServiceRequest,
        SlaPolicy,
        SupportRequest,
        SupportTopic,
    )
    from partnerdesk.tenancy.models import Organization

    rng = random.Random(7)
    counts = scale_counts(scale)
    now = timezone.now()
    password = make_password("bench-password-1")  # hashed once, shared by every generated user
    print(f"Generating scale={scale}: " + ", ".join(f"{k}={v:,}" for k, v in counts.items()))

    # --- the operator, catalog and services ----------------------------------------------------
    operator = Organization.objects.create(kind=OrgKind.OPERATOR, name="Bench Operator")
    services = [
        Service(key=f"service-{i}", name=f"Service {i:02d}", description="Benchmark service")
        for i in range(12)
    ]
    Service.objects.bulk_create(services)
    Feature.objects.bulk_create(
        Feature(service=s, group="Core", name=f"Feature {j}") for s in services for j in range(3)
    )
    regions = Region.objects.bulk_create(Region(key=f"region-{i}", name=f"Region {i}") for i in range(3))
    product = Product.objects.create(name="Bench Suite")
    skus = []
    offers = []
    for i in range(4):
        sku = Sku.objects.create(product=product, name=f"Bench SKU {i}")
        sku.services.set([*services[i * 3 : i * 3 + 3], services[0]])
        skus.append(sku)
        offer = Offer.objects.create(
            sku=sku, name=f"Bench offer {i}", term="P1Y", unit_price=10, max_quantity=10**6
        )
        OfferPolicy.objects.create(offer=offer)
        offers.append(offer)
    topics = SupportTopic.objects.bulk_create(SupportTopic(name=f"Topic {i}") for i in range(8))

    # --- organizations ---------------------------------------------------------------------------
    partners = [
        Organization(kind=OrgKind.PARTNER, name=f"Partner {i:05d}", contact_email=f"desk@p{i}.bench.test")
        for i in range(counts["partners"])
    ]
    bulk("partners", Organization, partners, len(partners))
    bench_partner = partners[0]
    SlaPolicy.objects.bulk_create(
        SlaPolicy(
            organization=p,
            severity=sev,
            first_response_minutes=60,
            resolution_minutes=480,
            around_the_clock=True,
            workdays=[0, 1, 2, 3, 4],
        )
        for p in [operator, *partners]
        for sev in ("critical", "moderate", "minimal")
    )

    def partner_of(i: int) -> Organization:
        # The bench partner holds 10% of the customers (so its queue is the big one); the rest spread.
        return bench_partner if i % 10 == 0 else partners[1 + i % (len(partners) - 1)]

    customers = [
        Organization(
            kind=OrgKind.CUSTOMER,
            name=f"Customer {i:06d}",
            partner=partner_of(i),
            initial_domain=f"c{i}.bench.test",
        )
        for i in range(counts["customers"])
    ]
    bulk("customers", Organization, customers, len(customers))
    big_tenant = customers[0]  # the customer with the big directory, a customer of the bench partner

    # --- people ------------------------------------------------------------------------------------
    def user(email: str, org: Organization, name: str) -> User:
        return User(email=email, display_name=name, organization=org, password=password)

    operator_admin = user("operator@bench.test", operator, "Operator admin")
    engineer = user("engineer@bench.test", operator, "Support engineer")
    User.objects.bulk_create([operator_admin, engineer])
    partner_agents = [user(f"agent@p{i}.bench.test", p, f"Agent {i}") for i, p in enumerate(partners)]
    bulk("partner agents", User, partner_agents, len(partner_agents))
    admins = [user(f"admin@c{i}.bench.test", c, f"Admin {i}") for i, c in enumerate(customers)]
    bulk("customer admins", User, admins, len(admins))
    big_users = [
        user(f"user{j}@c0.bench.test", big_tenant, f"User {j:06d}") for j in range(counts["big_tenant_users"])
    ]
    bulk("big tenant users", User, big_users, len(big_users))
    roles = [
        RoleAssignment(user=operator_admin, role=Role.OPERATOR_ADMIN),
        RoleAssignment(user=operator_admin, role=Role.COMMUNICATIONS_MANAGER),
        RoleAssignment(user=engineer, role=Role.SUPPORT_ENGINEER),
    ]
    roles += [RoleAssignment(user=a, role=Role.HELPDESK_AGENT) for a in partner_agents]
    roles += [RoleAssignment(user=a, role=Role.ADMIN_AGENT) for a in partner_agents]
    roles += [RoleAssignment(user=a, role=Role.GLOBAL_ADMIN) for a in admins]
    roles += [RoleAssignment(user=u, role=Role.USER) for u in big_users]
    bulk("role assignments", RoleAssignment, roles, len(roles))

    # --- subscriptions and licence pools -----------------------------------------------------------
    subs = []
    for i, c in enumerate(customers):
        offer = offers[i % len(offers)]
        quantity = counts["big_tenant_users"] * 2 if c is big_tenant else 25
        subs.append(
            Subscription(
                customer=c,
                partner_id=c.partner_id,
                offer=offer,
                quantity=quantity,
                term_end=now + timedelta(days=365),
                unit_price=10,
            )
        )
    bulk("subscriptions", Subscription, subs, len(subs))
    bulk(
        "licence pools",
        LicensePool,
        (
            LicensePool(customer_id=s.customer_id, sku_id=offers[i % len(offers)].sku_id)
            for i, s in enumerate(subs)
        ),
        len(subs),
    )
    from partnerdesk.subscriptions.entitlements import refresh_entitled_services

    refresh_entitled_services(s.customer_id for s in subs)  # what the services write at each change
    big_sku = offers[0].sku
    half = big_users[: len(big_users) // 2]
    bulk(
        "licence assignments",
        LicenseAssignment,
        (LicenseAssignment(customer=big_tenant, sku=big_sku, user=u) for u in half),
        len(half),
    )
    LicensePool.objects.filter(customer=big_tenant, sku=big_sku).update(assigned=len(half))  # the pool counts

    # --- support requests with messages, service requests -----------------------------------------
    statuses = ["open"] * 4 + ["waiting_on_customer", "resolved", "closed", "closed"]
    severities = ["critical", "moderate", "minimal", "minimal"]
    n_requests = counts["support_requests"]
    request_ids = [uuid.uuid4() for _ in range(n_requests)]
    start = now - timedelta(days=365)
    step = timedelta(days=365) / max(n_requests, 1)

    def support_rows() -> Iterator[SupportRequest]:
        for n, pk in enumerate(request_ids):
            ci = rng.randrange(len(customers))
            customer = customers[ci]
            created = start + step * n
            status = rng.choice(statuses)
            yield SupportRequest(
                id=pk,
                number=f"SUP{n + 1:07d}",
                customer=customer,
                partner_id=customer.partner_id,
                title=f"Benchmark request {n + 1}: mail flow delayed",
                description="Users report delayed mail since this morning. " * 4,
                contact_name=f"Admin {ci}",
                contact_email=f"admin@c{ci}.bench.test",
                severity=rng.choice(severities),
                status=status,
                created_by=admins[ci],
                created_at=created,
                updated_at=created,
                first_response_due_at=created + timedelta(hours=1),
                resolution_due_at=created + timedelta(hours=8),
                resolved_at=created + timedelta(hours=2) if status in ("resolved", "closed") else None,
            )

    bulk("support requests", SupportRequest, support_rows(), n_requests)

    def message_rows() -> Iterator[Message]:
        for n, pk in enumerate(request_ids):
            created = start + step * n
            yield Message(support_request_id=pk, body="Here is what we see. " * 5, created_at=created)
            yield Message(
                support_request_id=pk,
                body="Thanks, we are looking into it. " * 3,
                created_at=created + timedelta(minutes=30),
            )

    bulk("messages", Message, message_rows(), 2 * n_requests)
    Counter.objects.update_or_create(name="support_request", defaults={"value": n_requests})

    sr_statuses = ["open", "open", "attention_needed", "closed"]
    n_sr = counts["service_requests"]
    sr_step = timedelta(days=365) / max(n_sr, 1)

    def service_rows() -> Iterator[ServiceRequest]:
        for n in range(n_sr):
            pi = rng.randrange(len(partners))
            created = start + sr_step * n
            yield ServiceRequest(
                number=f"SR{n + 1:07d}",
                partner=partners[pi],
                title=f"Benchmark service request {n + 1}",
                description="The tenant cannot provision mailboxes. " * 3,
                topic=topics[n % len(topics)],
                contact=partner_agents[pi],
                created_by=partner_agents[pi],
                severity=rng.choice(severities),
                status=rng.choice(sr_statuses),
                created_at=created,
                updated_at=created,
                first_response_due_at=created + timedelta(hours=1),
                resolution_due_at=created + timedelta(hours=8),
            )

    bulk("service requests", ServiceRequest, service_rows(), n_sr)
    Counter.objects.update_or_create(name="service_request", defaults={"value": n_sr})

    # --- health issues ------------------------------------------------------------------------------
    n_issues = counts["health_issues"]
    issue_statuses = [s for s in ServiceStatus if s != ServiceStatus.SERVICE_OPERATIONAL]
    # One issue an hour, each restored two hours after it started, but the last five, still open: a
    # restored issue has ended (`end_at`), so the health page's last 30 days hold ~720 of them.
    issues = [
        HealthIssue(
            number=1000 + n,
            title=f"Benchmark issue {n}",
            impact_description="Some users may be affected.",
            status=ServiceStatus.SERVICE_RESTORED if n < n_issues - 5 else rng.choice(issue_statuses),
            is_published=True,
            published_at=now - timedelta(hours=n_issues - n),
            start_at=now - timedelta(hours=n_issues - n),
            end_at=now - timedelta(hours=n_issues - n - 2) if n < n_issues - 5 else None,
            created_by=operator_admin,
        )
        for n in range(n_issues)
    ]
    bulk("health issues", HealthIssue, issues, n_issues)
    through = HealthIssue.services.through
    bulk(
        "issue services",
        through,
        (
            through(healthissue_id=i.pk, service_id=services[n % len(services)].pk)
            for n, i in enumerate(issues)
        ),
        n_issues,
    )
    region_through = HealthIssue.regions.through
    region_through.objects.bulk_create(
        region_through(healthissue_id=i.pk, region_id=regions[n % len(regions)].pk)
        for n, i in enumerate(issues)
    )
    bulk(
        "issue posts",
        HealthIssuePost,
        (
            HealthIssuePost(
                issue=i,
                status=i.status,
                body="We are investigating.",
                body_html=render_markdown("We are investigating."),
                created_by=operator_admin,
            )
            for i in issues
        ),
        n_issues,
    )
    DisplayNumber.objects.update_or_create(kind="HI", defaults={"last": 1000 + n_issues})

    # --- Message center posts with mixed audiences ----------------------------------------------------
    n_posts = counts["posts"]
    audiences = ["all"] * 4 + ["services"] * 3 + ["partner_customers"] * 2 + ["tenants"]
    # The services store the rendered body with the post; render each distinct body once.
    post_body = "We are changing how things work. " * 10
    post_body_html = render_markdown(post_body)
    posts = []
    for n in range(n_posts):
        audience = audiences[n % len(audiences)]
        posts.append(
            MessagePost(
                number=100000 + n,
                title=f"Benchmark post {n}: plan for change",
                body=post_body,
                body_html=post_body_html,
                category="plan_for_change",
                audience=audience,
                audience_partner=partners[n % len(partners)] if audience == "partner_customers" else None,
                tags=",data_privacy," if n % 20 == 0 else ",new_feature,",
                status=MessagePost.Status.PUBLISHED,
                published_at=now - timedelta(minutes=n_posts - n),
                last_modified_at=now - timedelta(minutes=n_posts - n),
                created_by=operator_admin,
            )
        )
    bulk("message center posts", MessagePost, posts, n_posts)
    svc_through = MessagePost.services.through
    aud_svc_through = MessagePost.audience_services.through
    aud_cust_through = MessagePost.audience_customers.through
    svc_through.objects.bulk_create(
        (
            svc_through(messagepost_id=p.pk, service_id=services[n % len(services)].pk)
            for n, p in enumerate(posts)
        ),
        batch_size=BATCH,
    )
    aud_svc_through.objects.bulk_create(
        (
            aud_svc_through(messagepost_id=p.pk, service_id=services[n % len(services)].pk)
            for n, p in enumerate(posts)
            if p.audience == "services"
        ),
        batch_size=BATCH,
    )
    aud_cust_through.objects.bulk_create(
        (
            aud_cust_through(messagepost_id=p.pk, organization_id=customers[(n * 7 + k) % len(customers)].pk)
            for n, p in enumerate(posts)
            if p.audience == "tenants"
            for k in range(3)
        ),
        batch_size=BATCH,
    )
    DisplayNumber.objects.update_or_create(kind="MC", defaults={"last": 100000 + n_posts})

    # Read state: 10% of the posts, for the first `readers` customer admins (the bench admin first).
    readers = admins[: counts["readers"]]
    sample = rng.sample(posts, max(1, n_posts // 10))
    bulk(
        "read state",
        MessageViewState,
        (MessageViewState(user=u, message=p, is_read=True) for u in readers for p in sample),
        len(readers) * len(sample),
    )

    # --- API tokens for the scenarios ---------------------------------------------------------------------
    tokens: dict[str, str] = {}
    for label, person in [
        ("customer_admin", admins[0]),
        ("partner_agent", partner_agents[0]),
        ("operator_engineer", engineer),
        ("operator_admin", operator_admin),
    ]:
        raw = "pd_" + secrets.token_urlsafe(32)
        ApiToken.objects.create(user=person, name="bench", prefix=raw[:10], token_hash=hash_token(raw))
        tokens[label] = raw

    print("  analyzing tables")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {
        "scale": scale,
        "counts": counts,
        "tokens": tokens,
        "big_tenant": str(big_tenant.pk),
        "bench_partner": str(bench_partner.pk),
        "big_sku": str(big_sku.pk),
        # Users of the big tenant without a licence, for the assign/remove scenario.
        "licence_users": [str(u.pk) for u in big_users[len(big_users) // 2 :][:2000]],
        "service_id": str(services[0].pk),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scale", choices=["small", "large"], default="small")
    args = parser.parse_args()
    url = os.environ.setdefault("DATABASE_URL", DEFAULT_URL.format(scale=args.scale))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "partnerdesk.settings")
    started = time.monotonic()
    print(f"Re-creating {urlparse(url).path.lstrip('/')} and migrating")
    recreate_database(url)
    import django

    django.setup()
    migrate()
    state = generate(args.scale)
    STATE.mkdir(parents=True, exist_ok=True)
    (STATE / f"{args.scale}.json").write_text(json.dumps(state, indent=2))
    print(f"Done in {time.monotonic() - started:,.0f} s; tokens in {STATE / (args.scale + '.json')}")


if __name__ == "__main__":
    main()
