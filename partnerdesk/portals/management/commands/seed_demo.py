"""`partnerdesk seed_demo`: load the demo world once (running it again changes nothing)."""

from __future__ import annotations

import importlib
import importlib.util
from datetime import timedelta
from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from partnerdesk.access.permissions import OrgKind, Role
from partnerdesk.accounts.models import RoleAssignment, User
from partnerdesk.audit import services as audit
from partnerdesk.mfa.demo import DEMO_TOTP_SECRET
from partnerdesk.tenancy.models import DelegatedRelationship, Organization

DEMO_PASSWORD = "Partnerdesk-demo-1"

OPERATOR = (
    "Northwind Cloud",
    [
        ("admin@operator.test", "Olivia Operator", [Role.OPERATOR_ADMIN]),
        ("engineer@operator.test", "Ethan Engineer", [Role.SUPPORT_ENGINEER]),
        ("comms@operator.test", "Chloe Communications", [Role.COMMUNICATIONS_MANAGER]),
        ("catalog@operator.test", "Carlos Catalog", [Role.CATALOG_MANAGER]),
        ("auditor@operator.test", "Ava Auditor", [Role.AUDITOR]),
    ],
)

PARTNERS = [
    (
        "Fabrikam",
        "support@fabrikam.test",
        "+86 10 5555 0100",
        "https://fabrikam.test",
        [
            ("admin@fabrikam.test", "Fiona Fabrikam", [Role.PARTNER_GLOBAL_ADMIN]),
            ("agent@fabrikam.test", "Adam Agent", [Role.ADMIN_AGENT]),
            ("helpdesk@fabrikam.test", "Hana Helpdesk", [Role.HELPDESK_AGENT]),
            ("sales@fabrikam.test", "Sam Sales", [Role.SALES_AGENT]),
            ("billing@fabrikam.test", "Bo Billing", [Role.BILLING_ADMIN]),
        ],
        [
            (
                "Contoso",
                "contoso",
                "Asia/Shanghai",
                "zh-hans",
                [
                    ("admin@contoso.test", "Chen Contoso", [Role.GLOBAL_ADMIN]),
                    ("it@contoso.test", "Ivy IT", [Role.USER_ADMIN, Role.SERVICE_SUPPORT_ADMIN]),
                    ("user@contoso.test", "Uma User", [Role.USER]),
                ],
            ),
            (
                "Adatum",
                "adatum",
                "Asia/Shanghai",
                "en",
                [
                    ("admin@adatum.test", "Ada Adatum", [Role.GLOBAL_ADMIN]),
                ],
            ),
        ],
    ),
    (
        "Litware",
        "help@litware.test",
        "+86 21 5555 0199",
        "https://litware.test",
        [
            ("admin@litware.test", "Leo Litware", [Role.PARTNER_GLOBAL_ADMIN]),
            ("agent@litware.test", "Lina Agent", [Role.ADMIN_AGENT]),
        ],
        [
            (
                "Tailspin Toys",
                "tailspin",
                "Europe/Madrid",
                "es",
                [
                    ("admin@tailspin.test", "Tomás Tailspin", [Role.GLOBAL_ADMIN]),
                ],
            ),
            (
                "Wingtip",
                "wingtip",
                "UTC",
                "en",
                [
                    ("admin@wingtip.test", "Wen Wingtip", [Role.GLOBAL_ADMIN]),
                ],
            ),
        ],
    ),
]

SIGN_INS = [
    ("Operator console", "admin@operator.test"),
    ("Partner center (global admin)", "admin@fabrikam.test"),
    ("Partner center (admin agent; can act for Contoso)", "agent@fabrikam.test"),
    ("Admin center (Contoso global admin)", "admin@contoso.test"),
]


def _people(organization: Organization, people: list[tuple[str, str, list[Role]]]) -> None:
    for email, name, roles in people:
        user = User(email=email, display_name=name, organization=organization)
        user.set_password(DEMO_PASSWORD)
        user.save()
        RoleAssignment.objects.bulk_create([RoleAssignment(user=user, role=r) for r in roles])
        audit.record(
            None,
            action="user.created",
            target=user,
            organization=organization,
            after={"email": email, "roles": list(roles)},
        )


class Command(BaseCommand):
    help = "Load the demo organizations, people and relationships (once; safe to run again)."

    def handle(self, *args: Any, **options: Any) -> None:
        if User.objects.filter(email="admin@operator.test").exists():
            self.stdout.write("Demo data is already loaded.")
        else:
            self._load()
            self.stdout.write(self.style.SUCCESS("Demo data loaded."))
        # Each area adds its own demo data in `<app>/demo.py`; each `load()` is idempotent on its own.
        for config in apps.get_app_configs():
            if config.name.startswith("partnerdesk.") and importlib.util.find_spec(f"{config.name}.demo"):
                importlib.import_module(f"{config.name}.demo").load()
        self.stdout.write(f"\nDemo sign-ins (password for all: {DEMO_PASSWORD}):")
        for portal, email in SIGN_INS:
            self.stdout.write(f"  {portal:<52} {email}")
        self.stdout.write(
            "\nOperator and partner users then give a code of their authenticator app. DEMO ONLY: they\n"
            f"share the published TOTP secret {DEMO_TOTP_SECRET} (otpauth URI below). The current code:\n"
            "  partnerdesk demo_totp\n"
            f"  python -c \"import pyotp; print(pyotp.TOTP('{DEMO_TOTP_SECRET}').now())\"\n"
            f"  otpauth://totp/Partnerdesk%20demo?secret={DEMO_TOTP_SECRET}&issuer=Partnerdesk"
        )

    @transaction.atomic
    def _load(self) -> None:
        operator_name, operator_people = OPERATOR
        operator, _ = Organization.objects.get_or_create(
            kind=OrgKind.OPERATOR, defaults={"name": operator_name}
        )
        _people(operator, operator_people)
        customers: dict[str, Organization] = {}
        for name, email, phone, website, partner_people, partner_customers in PARTNERS:
            partner = Organization.objects.create(
                kind=OrgKind.PARTNER,
                name=name,
                contact_email=email,
                phone=phone,
                website=website,
                country="CN",
            )
            audit.record(None, action="partner.created", target=partner, organization=partner)
            _people(partner, partner_people)
            for customer_name, prefix, time_zone, language, customer_people in partner_customers:
                customer = Organization.objects.create(
                    kind=OrgKind.CUSTOMER,
                    name=customer_name,
                    partner=partner,
                    initial_domain=f"{prefix}.partnerdesk.test",
                    time_zone=time_zone,
                    language=language,
                    contact_email=customer_people[0][0],
                    billing_contact=customer_people[0][1],
                    billing_email=f"billing@{prefix}.test",
                )
                audit.record(None, action="customer.created", target=customer, organization=customer)
                _people(customer, customer_people)
                customers[customer_name] = customer
        now = timezone.now()
        fabrikam = customers["Contoso"].partner
        assert fabrikam is not None
        DelegatedRelationship.objects.create(
            partner=fabrikam,
            customer=customers["Contoso"],
            name="Fabrikam managed services",
            roles=[Role.GLOBAL_ADMIN, Role.USER_ADMIN, Role.SERVICE_SUPPORT_ADMIN],
            duration_days=365,
            status=DelegatedRelationship.Status.ACTIVE,
            decided_at=now,
            expires_at=now + timedelta(days=365),
        )
        DelegatedRelationship.objects.create(
            partner=fabrikam,
            customer=customers["Adatum"],
            name="Fabrikam helpdesk",
            roles=[Role.SERVICE_SUPPORT_ADMIN, Role.MESSAGE_CENTER_READER],
            duration_days=180,
        )
