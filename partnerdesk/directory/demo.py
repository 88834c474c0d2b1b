"""Demo directory for Contoso: a verified and a pending domain, people with profiles, groups, policy.

Idempotent: every row is looked up by a natural key first, so `seed_demo` can run again.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from partnerdesk.access.permissions import OrgKind, Role
from partnerdesk.accounts.models import RoleAssignment, User
from partnerdesk.directory.models import Domain, Group, GroupMembership, SecuritySettings, SignInEvent
from partnerdesk.tenancy.models import Organization

DEMO_PASSWORD = "Partnerdesk-demo-1"

PEOPLE = [
    ("li.na@contoso.com", "Li Na", "Sales manager", "Sales", "CN"),
    ("wang.wei@contoso.com", "Wang Wei", "Account executive", "Sales", "CN"),
    ("zhang.min@contoso.com", "Zhang Min", "Systems engineer", "IT", "CN"),
    ("maria.garcia@contoso.com", "María García", "Buyer", "Purchasing", "ES"),
]


def load() -> None:
    contoso = Organization.objects.filter(kind=OrgKind.CUSTOMER, name="Contoso").first()
    if contoso is None:
        return
    with transaction.atomic():
        now = timezone.now()
        Domain.objects.get_or_create(
            organization=contoso,
            name="contoso.com",
            defaults={"status": Domain.Status.VERIFIED, "verified_at": now, "is_default": True},
        )
        Domain.objects.get_or_create(organization=contoso, name="contoso.cn")
        SecuritySettings.objects.get_or_create(
            organization=contoso,
            defaults={"password_min_length": 12, "lockout_threshold": 5, "technical_contact_name": "Ivy IT"},
        )
        people = []
        for email, name, title, department, location in PEOPLE:
            user = User.objects.filter(email=email).first()
            if user is None:
                user = User(
                    email=email,
                    display_name=name,
                    organization=contoso,
                    job_title=title,
                    department=department,
                    usage_location=location,
                    password_changed_at=now,
                )
                user.set_password(DEMO_PASSWORD)
                user.save()
                RoleAssignment.objects.create(user=user, role=Role.USER)
                SignInEvent.objects.create(organization=contoso, user=user, email=email, result="success")
            people.append(user)
        sales, _created = Group.objects.get_or_create(
            organization=contoso, name="Sales", defaults={"description": "Everyone who sells"}
        )
        it, _created = Group.objects.get_or_create(
            organization=contoso, name="IT", defaults={"description": "IT staff"}
        )
        for user in people[:2]:
            GroupMembership.objects.get_or_create(group=sales, user=user, role=GroupMembership.Role.MEMBER)
        GroupMembership.objects.get_or_create(group=sales, user=people[0], role=GroupMembership.Role.OWNER)
        GroupMembership.objects.get_or_create(group=it, user=people[2], role=GroupMembership.Role.MEMBER)
        if not SignInEvent.objects.filter(organization=contoso, result="failure").exists():
            SignInEvent.objects.create(
                organization=contoso,
                user=people[1],
                email=people[1].email,
                result="failure",
                reason="wrong_password",
                at=now - timedelta(hours=2),
            )
