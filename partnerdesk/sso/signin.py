"""Signing in through the organization's identity provider, and what "require SSO" does to passwords.

Registered with accounts (`accounts.single_sign_on`) from the app's `ready`: the sign-in page asks
`start_url` for the e-mail's domain before it asks for a password, and every password path asks
`refuse_password` / `password_allowed` (ADR 0011).

Who may come back from the provider: an ID token validated by `oidc`, whose e-mail is verified by the
provider and on one of the organization's verified domains, matched to an active user of that
organization, or created as a plain user when the organization allows just-in-time creation. Blocked
in Partnerdesk stays blocked whatever the provider says.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from partnerdesk.access.permissions import Role
from partnerdesk.access.principal import principal_for
from partnerdesk.accounts import services as accounts
from partnerdesk.accounts import sessions
from partnerdesk.accounts.models import User
from partnerdesk.accounts.single_sign_on import SIGNED_IN_WITH_SESSION_KEY, THROUGH_IDENTITY_PROVIDER
from partnerdesk.audit import services as audit
from partnerdesk.directory import signins
from partnerdesk.directory.models import SignInEvent
from partnerdesk.errors import Conflict, Forbidden
from partnerdesk.etags import next_version
from partnerdesk.sso import oidc, services
from partnerdesk.sso.models import SsoConnection

# The flows this browser started, by their state: which connection, and where to go afterwards.
FLOWS_SESSION_KEY = "sso_flows"
MAX_FLOWS = 5


class SsoRequired(Forbidden):
    """The e-mail's organization signs in only through its identity provider."""

    code = "sso_required"


class SignInRefused(Forbidden):
    """The provider's answer does not let anyone into Partnerdesk; the code says why."""

    code = "sso_refused"


def _domain_of(email: str) -> str:
    return email.strip().lower().rpartition("@")[2]


def connection_for_email(email: str) -> SsoConnection | None:
    """The identity provider of the organization that verified the e-mail's domain, if it has one."""
    owner = services.organization_of_domain(_domain_of(email))
    if owner is None:
        return None
    return SsoConnection.objects.select_related("organization").filter(organization=owner).first()


def _holds_break_glass(connection: SsoConnection, user: User) -> bool:
    return (
        connection.break_glass_user_id == user.pk
        and connection.break_glass_until is not None
        and connection.break_glass_until > timezone.now()
    )


# --- What accounts asks (accounts.single_sign_on.SingleSignOn) ----------------------------------


def start_url(email: str, next_url: str) -> str | None:
    """The page that sends this e-mail's owner to their provider, when its domain has one."""
    if connection_for_email(email) is None:
        return None
    query = {"email": email.strip(), **({"next": next_url} if next_url else {})}
    return f"{reverse('sso:start')}?{urlencode(query)}"


def refuse_password(email: str, user: User | None) -> None:
    """Refuse any password for an e-mail of a domain whose organization requires single sign-on.

    The same answer for an unknown e-mail of that domain as for a user's: the domain's discovery
    already tells that it signs in elsewhere. The holder of the break-glass pass is let through.
    """
    connection = connection_for_email(email)
    if connection is None or not connection.require_sso:
        return
    if user is not None and _holds_break_glass(connection, user):
        return
    if user is not None:
        signins.log(user, SignInEvent.Result.FAILURE, reason="sso_required")
    raise SsoRequired(
        _(
            "Your organization signs in through its own identity provider: leave the password empty "
            "and continue."
        )
    )


def password_allowed(user: User) -> bool:
    """False for the people of an organization that requires single sign-on (bar the break-glass pass)."""
    connection = SsoConnection.objects.filter(organization_id=user.organization_id).first()
    if connection is None or not connection.require_sso:
        return True
    return _holds_break_glass(connection, user)


def password_used(user: User) -> None:
    """Use up the user's break-glass pass, if they just signed in with it (audited)."""
    with transaction.atomic():
        used = SsoConnection.objects.filter(
            organization_id=user.organization_id, break_glass_user=user, break_glass_until__gt=timezone.now()
        ).update(break_glass_user=None, break_glass_until=None, version=next_version())
        if used:
            connection = SsoConnection.objects.get(organization_id=user.organization_id)
            audit.record(
                principal_for(user),
                action="sso.break_glass_used",
                target=connection,
                organization=user.organization,
                after={"admin": user.email},
            )
            signins.log(user, SignInEvent.Result.SUCCESS, reason="sso_break_glass")


# --- The flow: to the provider and back ----------------------------------------------------------


def begin(request: HttpRequest, email: str, next_url: str) -> str:
    """The provider's authorization URL for this e-mail (state, nonce and PKCE kept in the session)."""
    connection = connection_for_email(email)
    if connection is None:
        raise SignInRefused(
            _("%(domain)s does not sign in through an identity provider.") % {"domain": _domain_of(email)},
            code="sso_not_connected",
        )
    metadata = oidc.discover(connection.issuer)
    url, state = oidc.authorization_url(
        request,
        metadata,
        client_id=connection.client_id,
        client_secret=services.unsealed_secret(connection),
        redirect_uri=services.redirect_uri(),
        login_hint=email.strip(),
    )
    flows: dict[str, Any] = dict(request.session.get(FLOWS_SESSION_KEY, {}))
    flows[state] = {"connection": str(connection.pk), "next": next_url}
    request.session[FLOWS_SESSION_KEY] = dict(list(flows.items())[-MAX_FLOWS:])
    return url


@dataclass(frozen=True)
class SignedIn:
    user: User
    next_url: str
    created: bool


def finish(request: HttpRequest) -> SignedIn:
    """Validate the provider's answer and sign the browser in as the matching user, or refuse."""
    flows: dict[str, Any] = dict(request.session.get(FLOWS_SESSION_KEY, {}))
    flow = flows.pop(request.GET.get("state", ""), None)
    request.session[FLOWS_SESSION_KEY] = flows
    connection = (
        SsoConnection.objects.select_related("organization").filter(pk=flow["connection"]).first()
        if flow
        else None
    )
    if connection is None:
        raise SignInRefused(
            _("This sign-in was not started here, or it was used already. Sign in again."),
            code="sso_state_invalid",
        )
    metadata = oidc.discover(connection.issuer)
    claims = oidc.validated_claims(
        request,
        metadata,
        issuer=connection.issuer,
        client_id=connection.client_id,
        client_secret=services.unsealed_secret(connection),
    )
    user, created = _matching_user(connection, claims)
    ip_address = request.META.get("REMOTE_ADDR", "")
    with transaction.atomic():
        sessions.sign_in(request, user, after={"method": "sso", "issuer": connection.issuer})
        signins.log(
            user,
            SignInEvent.Result.SUCCESS,
            reason="sso_just_in_time" if created else "",
            ip_address=ip_address,
            method=SignInEvent.Method.SSO,
        )
    request.session[SIGNED_IN_WITH_SESSION_KEY] = THROUGH_IDENTITY_PROVIDER
    return SignedIn(user=user, next_url=flow["next"] if flow else "", created=created)


def _matching_user(connection: SsoConnection, claims: dict[str, Any]) -> tuple[User, bool]:
    """The active user of the connection's organization the verified e-mail names (maybe created now)."""
    organization = connection.organization
    email = str(claims.get("email") or "").strip().lower()
    if not email or claims.get("email_verified") is not True:
        raise SignInRefused(
            _("Your identity provider did not confirm a verified e-mail address."),
            code="sso_email_unverified",
        )
    if _domain_of(email) not in services.covered_domains(organization):
        raise SignInRefused(
            _("%(email)s is not on a verified domain of %(organization)s.")
            % {"email": email, "organization": organization.name},
            code="sso_domain_not_verified",
        )
    # unscoped: nobody is signed in yet; the provider's verified e-mail is the authorization
    user = (
        User.objects.select_related("organization")
        .filter(email__iexact=email, deleted_at__isnull=True)
        .first()
    )
    if user is not None and user.organization_id != organization.pk:
        raise SignInRefused(
            _("%(email)s belongs to another organization in Partnerdesk.") % {"email": email},
            code="sso_other_organization",
        )
    created = False
    if user is None:
        if not connection.just_in_time:
            raise SignInRefused(
                _(
                    "%(email)s has no Partnerdesk account in %(organization)s. Ask an admin of your "
                    "organization to create it."
                )
                % {"email": email, "organization": organization.name},
                code="sso_no_account",
            )
        try:
            with transaction.atomic():
                user = accounts.create_user(
                    None,
                    organization=organization,
                    email=email,
                    display_name=str(claims.get("name") or "").strip()[:200] or email,
                    roles=[Role.USER],
                    with_password=False,
                    reason="sso.just_in_time",
                ).user
        except Conflict:
            # A deleted user still holds the name until purged: restore them instead.
            raise SignInRefused(
                _("%(email)s cannot be created now (the name is still held). Ask an admin.")
                % {"email": email},
                code="sso_no_account",
            ) from None
        created = True
    if user.blocked:
        signins.log(user, SignInEvent.Result.BLOCKED, reason="sign_in_blocked", method=SignInEvent.Method.SSO)
        raise SignInRefused(_("Sign-in is blocked for this account."), code="account_blocked")
    return user, created
