"""The tenant's domains: custom domains verified by a TXT record in real DNS, the default domain, and
the user principal names they allow.

A customer's are managed in its admin center (by its admins, or a partner acting on its behalf); a
partner's own, which its single sign-on covers, in the partner center by its global admin.
"""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from partnerdesk.access.permissions import OrgKind, Permission
from partnerdesk.access.principal import Principal
from partnerdesk.accounts.models import User
from partnerdesk.audit import services as audit
from partnerdesk.directory.dns import TxtResolver
from partnerdesk.directory.dns import resolver as default_resolver
from partnerdesk.directory.models import Domain
from partnerdesk.errors import Conflict, DomainError, Forbidden
from partnerdesk.etags import next_version
from partnerdesk.tenancy.models import Organization

P = Permission


_DOMAIN_RE = re.compile(r"^(?=.{4,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


_LOCAL_RE = re.compile(r"^[A-Za-z0-9._%+'-]{1,64}$")


def owner_of(principal: Principal) -> Organization:
    """Whose domains these are: the customer's (acted for, or its own admins) or the partner's own."""
    if principal.kind not in (OrgKind.CUSTOMER, OrgKind.PARTNER):
        raise Forbidden(_("Only partners and customers have domains."), code="domains_not_offered")
    return principal.organization


def usable_domains(organization: Organization) -> list[str]:
    """Domains user names may use: the initial domain and every verified custom domain."""
    names = list(
        Domain.objects.filter(organization=organization, status=Domain.Status.VERIFIED)
        .order_by("name")
        .values_list("name", flat=True)
    )
    return ([organization.initial_domain] if organization.initial_domain else []) + names


def default_domain(organization: Organization) -> str:
    """The domain new user names get by default: the chosen custom domain, else the initial domain."""
    chosen = Domain.objects.filter(organization=organization, is_default=True).values_list("name", flat=True)
    return chosen.first() or organization.initial_domain or ""


def clean_user_principal_name(organization: Organization, raw: str) -> str:
    """Return `local@domain` in lower case, or refuse a malformed name or a domain the tenant cannot use."""
    value = raw.strip().lower()
    local, at, domain = value.rpartition("@")
    if not at or not _LOCAL_RE.match(local) or not domain:
        raise DomainError(
            _("%(name)s is not a valid user name: use name@domain.") % {"name": raw}, code="invalid_upn"
        )
    allowed = usable_domains(organization)
    if domain not in allowed:
        raise DomainError(
            _("%(domain)s is not a verified domain of this organization. Use one of: %(allowed)s.")
            % {"domain": domain, "allowed": ", ".join(allowed)},
            code="domain_not_allowed",
        )
    return value


def clean_domain_name(raw: str) -> str:
    """Return the name in lower case without a trailing dot; refuse malformed and initial-domain names."""
    name = raw.strip().lower().rstrip(".")
    if not _DOMAIN_RE.match(name):
        raise DomainError(_("%(name)s is not a valid domain name.") % {"name": raw}, code="invalid_domain")
    suffix = settings.INITIAL_DOMAIN_SUFFIX.lower()
    if name == suffix or name.endswith("." + suffix):
        raise DomainError(
            _("Domains under %(suffix)s are initial domains and cannot be added.") % {"suffix": suffix},
            code="invalid_domain",
        )
    return name


def add_domain(principal: Principal, name: str) -> Domain:
    """Add a custom domain, unverified; the tenant then publishes its TXT record and asks to verify."""
    principal.require(P.DOMAINS_MANAGE)
    tenant = owner_of(principal)
    name = clean_domain_name(name)
    with transaction.atomic():
        if (
            Domain.objects.filter(name=name, status=Domain.Status.VERIFIED)
            .exclude(organization=tenant)
            .exists()
        ):
            raise Conflict(
                _("%(name)s is already verified by another organization.") % {"name": name},
                code="domain_taken",
            )
        if Domain.objects.filter(organization=tenant, name=name).exists():
            raise Conflict(_("%(name)s was already added.") % {"name": name}, code="domain_exists")
        try:
            with transaction.atomic():
                domain = Domain.objects.create(organization=tenant, name=name)
        except IntegrityError:
            raise Conflict(_("%(name)s was already added.") % {"name": name}, code="domain_exists") from None
        audit.record(
            principal, action="domain.added", target=domain, organization=tenant, after={"name": name}
        )
    return domain


def describe_lookup(domain: Domain, records: list[str], problem: str, detail: str) -> str:
    """Say precisely what DNS answered instead of the expected TXT record."""
    expected = domain.txt_record
    if problem == "nxdomain":
        return _(
            "%(name)s does not exist in DNS (NXDOMAIN). Publish a TXT record with the value %(value)s."
        ) % {
            "name": domain.name,
            "value": expected,
        }
    if problem == "no_answer":
        return _("%(name)s has no TXT records. Publish a TXT record with the value %(value)s.") % {
            "name": domain.name,
            "value": expected,
        }
    if problem == "unreachable":
        return _("The DNS lookup of %(name)s failed (%(detail)s). Try again in a few minutes.") % {
            "name": domain.name,
            "detail": detail or _("no answer"),
        }
    return _("%(name)s has TXT records %(found)s, but none is %(value)s.") % {
        "name": domain.name,
        "found": ", ".join(f'"{r}"' for r in records),
        "value": expected,
    }


def verify_domain(principal: Principal, domain: Domain, *, resolver: TxtResolver | None = None) -> Domain:
    """Look the TXT record up in DNS; mark the domain verified, or say precisely what was found instead."""
    principal.require(P.DOMAINS_MANAGE)
    tenant = owner_of(principal)
    if domain.is_verified:
        return domain
    lookup = (resolver or default_resolver()).txt(domain.name)
    if domain.txt_record not in lookup.records:
        raise DomainError(
            describe_lookup(domain, lookup.records, lookup.problem, lookup.detail), code="domain_not_verified"
        )
    now = timezone.now()
    with transaction.atomic():
        if (
            Domain.objects.filter(name=domain.name, status=Domain.Status.VERIFIED)
            .exclude(pk=domain.pk)
            .exists()
        ):
            raise Conflict(
                _("%(name)s is already verified by another organization.") % {"name": domain.name},
                code="domain_taken",
            )
        try:
            with transaction.atomic():
                changed = Domain.objects.filter(pk=domain.pk, status=Domain.Status.UNVERIFIED).update(
                    status=Domain.Status.VERIFIED,
                    verified_at=now,
                    last_checked_at=now,
                    last_check_result=domain.txt_record,
                    version=next_version(),
                )
        except IntegrityError:
            raise Conflict(
                _("%(name)s is already verified by another organization.") % {"name": domain.name},
                code="domain_taken",
            ) from None
        if changed:
            audit.record(
                principal,
                action="domain.verified",
                target=domain,
                organization=tenant,
                before={"status": "unverified"},
                after={"status": "verified", "txt_record": domain.txt_record},
            )
    domain.refresh_from_db()
    return domain


def set_default_domain(principal: Principal, domain: Domain | None) -> None:
    """Make a verified domain (or, with None, the initial domain) the default for new user names."""
    principal.require(P.DOMAINS_MANAGE)
    tenant = owner_of(principal)
    if domain is not None and not domain.is_verified:
        raise DomainError(
            _("Verify %(name)s before making it the default.") % {"name": domain}, code="domain_unverified"
        )
    with transaction.atomic():
        before = default_domain(tenant)
        Domain.objects.filter(organization=tenant, is_default=True).update(
            is_default=False, version=next_version()
        )
        if domain is not None:
            Domain.objects.filter(pk=domain.pk).update(is_default=True, version=next_version())
        after = domain.name if domain else tenant.initial_domain
        if before != after:
            audit.record(
                principal,
                action="domain.default_changed",
                target=domain or tenant,
                organization=tenant,
                before={"default": before},
                after={"default": after},
            )


def users_of_domain(organization: Organization, name: str) -> Any:
    """Users (deleted ones too, until purged) whose user name is in `name`."""
    return User.objects.filter(organization=organization, email__iendswith="@" + name)


def remove_domain(principal: Principal, domain: Domain) -> None:
    """Remove a custom domain that no user name uses (a deleted user still holds it until purged)."""
    principal.require(P.DOMAINS_MANAGE)
    tenant = owner_of(principal)
    with transaction.atomic():
        locked = Domain.objects.select_for_update().get(pk=domain.pk, organization=tenant)
        in_use = users_of_domain(tenant, locked.name).count()
        if in_use:
            raise Conflict(
                _("%(count)s user(s) have user names in %(name)s: change them before removing the domain.")
                % {"count": in_use, "name": locked.name},
                code="domain_in_use",
            )
        audit.record(
            principal,
            action="domain.removed",
            target=locked,
            organization=tenant,
            before={"name": locked.name, "status": locked.status, "default": locked.is_default},
        )
        locked.delete()
