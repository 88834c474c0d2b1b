"""Connecting an organization's identity provider, changing and removing it, and the break-glass pass.

A partner's or customer's global admin connects it (`sso.manage`, never held through delegated
access: a partner must not be able to point its customer's sign-in at a provider it controls). The
provider's discovery document is fetched and checked before anything is saved. Every change is
audited in its transaction, never with the secret.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from partnerdesk import encryption, etags
from partnerdesk.access.permissions import OrgKind, Permission, Role
from partnerdesk.access.principal import Principal
from partnerdesk.accounts.models import RoleAssignment, User
from partnerdesk.audit import services as audit
from partnerdesk.directory.domains import usable_domains
from partnerdesk.directory.models import Domain
from partnerdesk.errors import DomainError, Forbidden, NotFound
from partnerdesk.sso import oidc
from partnerdesk.sso.models import SsoConnection
from partnerdesk.tenancy.models import Organization

P = Permission

SECRET_PURPOSE = "sso.client_secret"
# The roles whose holder may be given the break-glass pass: the organization's global admins.
BREAK_GLASS_ROLES = (Role.GLOBAL_ADMIN, Role.PARTNER_GLOBAL_ADMIN)
# What the audit log shows of a connection (never the secret).
AUDITED_FIELDS = ["issuer", "client_id", "just_in_time", "require_sso"]


def redirect_uri() -> str:
    """The callback to register at the identity provider (one for every organization)."""
    return settings.SITE_URL + reverse("sso:callback")


def covered_domains(organization: Organization) -> list[str]:
    """The domains whose people sign in through the organization's provider: its verified ones."""
    return usable_domains(organization)


def unsealed_secret(connection: SsoConnection) -> str:
    """The connection's client secret, unsealed for the token request (never shown to anyone)."""
    return encryption.unseal(SECRET_PURPOSE, bytes(connection.client_secret_sealed)).decode()


def _organization(principal: Principal) -> Organization:
    principal.require(P.SSO_MANAGE)
    organization = principal.organization
    if organization.kind not in (OrgKind.PARTNER, OrgKind.CUSTOMER):
        raise Forbidden(
            _("Only partners and customers connect an identity provider."), code="sso_not_offered"
        )
    return organization


def save_connection(
    principal: Principal,
    *,
    issuer: str,
    client_id: str,
    client_secret: str = "",
    just_in_time: bool = False,
    require_sso: bool = False,
    expected_etag: str | None = None,
) -> SsoConnection:
    """Connect the organization's provider or change the connection; an empty secret keeps the old one.

    A new issuer's discovery document (and its key set) is fetched and checked first: an unreachable
    or invalid provider is refused with what was wrong, and nothing is saved. "Require SSO" needs a verified
    domain (otherwise nobody could sign in); just-in-time creation makes plain users, which only
    customers have.
    """
    organization = _organization(principal)
    issuer, client_id, client_secret = issuer.strip(), client_id.strip(), client_secret.strip()
    if not issuer or not client_id:
        raise DomainError(_("Enter the issuer and the client ID."), code="sso_incomplete")
    if just_in_time and organization.kind != OrgKind.CUSTOMER:
        raise DomainError(
            _("Just-in-time creation makes plain users, which only customers have."),
            code="sso_just_in_time_customers_only",
        )
    if require_sso and not covered_domains(organization):
        raise DomainError(
            _("Verify a domain first: with single sign-on required and no domain, nobody could sign in."),
            code="sso_no_verified_domain",
        )
    # A stale form or If-Match is refused before the provider is asked; checked again under the lock.
    etags.check(expected_etag, SsoConnection.objects.filter(organization=organization).first())
    kept = SsoConnection.objects.filter(organization=organization).values_list("issuer", flat=True).first()
    if kept is not None and kept.rstrip("/") == issuer.rstrip("/"):
        issuer = kept  # checked when it was saved, and again at every sign-in
    else:
        issuer = oidc.discover(issuer)["issuer"]  # before the transaction: it waits on the network
    with transaction.atomic():
        current = SsoConnection.objects.select_for_update().filter(organization=organization).first()
        etags.check(expected_etag, current)
        if current is None and not client_secret:
            raise DomainError(_("Enter the client secret."), code="sso_incomplete")
        wanted: dict[str, Any] = {
            "issuer": issuer,
            "client_id": client_id,
            "just_in_time": just_in_time,
            "require_sso": require_sso,
        }
        if current is None:
            connection = SsoConnection.objects.create(
                organization=organization,
                client_secret_sealed=encryption.seal(SECRET_PURPOSE, client_secret.encode()),
                **wanted,
            )
            audit.record(
                principal,
                action="sso.connected",
                target=connection,
                organization=organization,
                after={**wanted, "client_secret": "set"},
            )
            return connection
        changed = {key: value for key, value in wanted.items() if getattr(current, key) != value}
        secret_changed = bool(client_secret) and client_secret != unsealed_secret(current)
        if not changed and not secret_changed:
            return current
        before = audit.snapshot(current, list(changed))
        for key, value in changed.items():
            setattr(current, key, value)
        if secret_changed:
            current.client_secret_sealed = encryption.seal(SECRET_PURPOSE, client_secret.encode())
        current.updated_at = timezone.now()
        current.save()
        audit.record(
            principal,
            action="sso.changed",
            target=current,
            organization=organization,
            before=before,
            after={**changed, **({"client_secret": "changed"} if secret_changed else {})},
        )
    return current


def remove_connection(
    principal: Principal, connection: SsoConnection, *, expected_etag: str | None = None
) -> None:
    """Disconnect the provider: its people sign in with passwords again (those who have one)."""
    organization = _organization(principal)
    with transaction.atomic():
        locked = SsoConnection.objects.select_for_update().filter(pk=connection.pk).first()
        if locked is None or locked.organization_id != organization.pk:
            raise NotFound(_("No identity provider is connected."), code="sso_not_connected")
        etags.check(expected_etag, locked)
        audit.record(
            principal,
            action="sso.removed",
            target=locked,
            organization=organization,
            before=audit.snapshot(locked, AUDITED_FIELDS),
        )
        locked.delete()


# --- Break glass (the recovery procedure of the README) -----------------------------------------


def organization_of_domain(domain: str) -> Organization | None:
    """The organization whose initial or verified domain this is (a verified name is unique)."""
    domain = domain.strip().lower()
    if not domain:
        return None
    found = Organization.objects.filter(initial_domain__iexact=domain).first()
    if found is None:
        verified = Domain.objects.filter(name=domain, status=Domain.Status.VERIFIED).select_related(
            "organization"
        )
        first = verified.first()
        found = first.organization if first is not None else None
    return found


def find_organization(reference: str) -> Organization:
    """The organization named by its id, one of its verified domains, or its exact name."""
    reference = reference.strip()
    try:
        by_id = Organization.objects.filter(pk=uuid.UUID(reference)).first()
    except ValueError:
        by_id = None
    candidates = [by_id] if by_id else list(Organization.objects.filter(name=reference)[:2])
    if not candidates:
        owner = organization_of_domain(reference)
        candidates = [owner] if owner is not None else []
    if len(candidates) != 1:
        raise NotFound(
            _("No single organization is called %(reference)s.") % {"reference": reference},
            code="organization_not_found",
        )
    return candidates[0]


def grant_break_glass(
    organization: Organization, email: str, *, turn_off_require_sso: bool = False, reason: str = ""
) -> SsoConnection:
    """Let one named global admin sign in with their password once, within SSO_BREAK_GLASS_MINUTES.

    Run by an operator of the install from the command line (nobody can sign in to do it when the
    provider is down); audited as the system, with the reason. With `turn_off_require_sso` the
    organization's password sign-in comes back for everyone, until an admin requires SSO again.
    """
    connection = SsoConnection.objects.filter(organization=organization).first()
    if connection is None:
        raise NotFound(_("This organization has no identity provider connected."), code="sso_not_connected")
    admin = User.objects.filter(
        organization=organization, email__iexact=email.strip(), deleted_at__isnull=True, blocked=False
    ).first()
    if admin is None or not RoleAssignment.objects.filter(user=admin, role__in=BREAK_GLASS_ROLES).exists():
        raise Forbidden(
            _("%(email)s is not an active global admin of %(organization)s.")
            % {"email": email, "organization": organization.name},
            code="not_a_global_admin",
        )
    until = timezone.now() + timedelta(minutes=settings.SSO_BREAK_GLASS_MINUTES)
    with transaction.atomic():
        changes: dict[str, Any] = {"break_glass_user": admin, "break_glass_until": until}
        if turn_off_require_sso:
            changes["require_sso"] = False
        SsoConnection.objects.filter(pk=connection.pk).update(**changes, version=etags.next_version())
        audit.record(
            None,
            action="sso.break_glass_granted",
            target=connection,
            organization=organization,
            before={"require_sso": connection.require_sso},
            after={
                "admin": admin.email,
                "until": until.isoformat(),
                "require_sso": False if turn_off_require_sso else connection.require_sso,
            },
            reason=reason or "break glass from the command line",
        )
    connection.refresh_from_db()
    return connection
