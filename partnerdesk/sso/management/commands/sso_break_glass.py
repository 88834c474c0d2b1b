"""`partnerdesk sso_break_glass --organization O --email E`: the way back in when the provider is down.

Lets one named global admin of the organization sign in with their Partnerdesk password once, within
SSO_BREAK_GLASS_MINUTES, although the organization requires single sign-on; with
`--turn-off-require-sso` it turns the requirement off for everyone. Audited as the system, with
`--reason`. The README's "Single sign-on: break glass" section is the procedure.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from partnerdesk.errors import DomainError
from partnerdesk.sso import services


class Command(BaseCommand):
    help = "Let one global admin of an organization that requires SSO sign in with a password once."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--organization",
            required=True,
            help="The organization's id, one of its verified domains, or its name.",
        )
        parser.add_argument(
            "--email", required=True, help="The global admin who may use their password once."
        )
        parser.add_argument(
            "--turn-off-require-sso",
            action="store_true",
            help="Also turn 'require single sign-on' off for the whole organization.",
        )
        parser.add_argument("--reason", default="", help="Why (kept in the audit log).")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            organization = services.find_organization(options["organization"])
            connection = services.grant_break_glass(
                organization,
                options["email"],
                turn_off_require_sso=options["turn_off_require_sso"],
                reason=options["reason"],
            )
        except DomainError as error:
            raise CommandError(error.message) from None
        until = timezone.localtime(connection.break_glass_until)
        self.stdout.write(
            f"{options['email']} may sign in to {organization.name} with their password once, until "
            f"{until:%Y-%m-%d %H:%M %Z} (or reset it with 'Forgot your password?' first)."
        )
        if options["turn_off_require_sso"]:
            self.stdout.write("'Require single sign-on' is now off for the whole organization.")
