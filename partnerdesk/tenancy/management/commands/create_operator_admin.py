"""`partnerdesk create_operator_admin --email E --password P`: the first person into a new install."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from partnerdesk.access.permissions import OrgKind, Role
from partnerdesk.accounts.models import RoleAssignment, User
from partnerdesk.accounts.services import validate_new_password
from partnerdesk.audit import services as audit
from partnerdesk.errors import DomainError
from partnerdesk.mfa import services as mfa
from partnerdesk.tenancy.models import Organization


class Command(BaseCommand):
    help = "Create an operator admin (and the operator organization, on a new install)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--email", required=True)
        parser.add_argument("--password", required=True)
        parser.add_argument("--name", default="Operator admin")
        parser.add_argument(
            "--organization", default="Cloud operator", help="Operator name on a new install."
        )
        parser.add_argument(
            "--totp-secret",
            default="",
            help="A base32 TOTP secret: the admin gets a confirmed authenticator app with it, so a "
            "script can sign in (operator users must have a second factor).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        email = options["email"].strip().lower()
        with transaction.atomic():
            operator, _ = Organization.objects.get_or_create(
                kind=OrgKind.OPERATOR, defaults={"name": options["organization"]}
            )
            if User.objects.filter(email__iexact=email).exists():
                raise CommandError(f"A user with the e-mail {email} already exists.")
            user = User(email=email, display_name=options["name"], organization=operator)
            try:
                validate_new_password(user, options["password"])
            except DomainError as error:
                raise CommandError(error.message) from None
            user.set_password(options["password"])
            user.save()
            RoleAssignment.objects.create(user=user, role=Role.OPERATOR_ADMIN)
            audit.record(
                None,
                action="user.created",
                target=user,
                organization=operator,
                after={"email": email, "roles": [Role.OPERATOR_ADMIN]},
            )
            if options["totp_secret"]:
                try:
                    mfa.add_confirmed_totp(user, options["totp_secret"])
                except DomainError as error:
                    raise CommandError(error.message) from None
        self.stdout.write(self.style.SUCCESS(f"Operator admin {email} created in {operator.name}."))
