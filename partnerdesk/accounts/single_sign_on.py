"""Single sign-on as accounts calls it: an interface the `sso` app implements (ADR 0008, ADR 0011).

accounts owns the sign-in page and every password path (the form, the API's token exchange and
password change, password reset). Which organizations sign in through their own identity provider
is known by `partnerdesk.sso`, a layer above; it registers its implementation from its
`AppConfig.ready`. Until one is registered every password path is refused rather than let through
unchecked (an organization may require single sign-on).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

# The session of someone who signed in through their organization's identity provider says so: the
# IdP answered for the person (and for its own second factor), so Partnerdesk asks no password-based
# step of that session (ADR 0011). The key is the access layer's, which reads it in its middleware.
from partnerdesk.access.middleware import SIGNED_IN_WITH_SESSION_KEY, THROUGH_IDENTITY_PROVIDER

if TYPE_CHECKING:
    from django.http import HttpRequest

    from partnerdesk.accounts.models import User

__all__ = ["SIGNED_IN_WITH_SESSION_KEY", "THROUGH_IDENTITY_PROVIDER", "SingleSignOn", "current", "use"]


class SingleSignOn(Protocol):
    """What accounts asks of single sign-on (`partnerdesk.sso.signin` is one)."""

    def start_url(self, email: str, next_url: str) -> str | None:
        """Where to send someone whose e-mail is on a domain with an identity provider, or None."""
        ...

    def refuse_password(self, email: str, user: User | None) -> None:
        """Raise when the e-mail's domain signs in only through its identity provider.

        Called before the password is looked at, for known and unknown e-mails alike, so the
        refusal says no more than the domain's discovery does.
        """
        ...

    def password_allowed(self, user: User) -> bool:
        """Whether `user` may use a password at all (no "require SSO", or a break-glass pass)."""
        ...

    def password_used(self, user: User) -> None:
        """Note a successful password sign-in (it uses up a break-glass pass)."""
        ...


_implementations: list[SingleSignOn] = []


def use(implementation: SingleSignOn) -> None:
    """Register single sign-on (the sso app does, from its AppConfig)."""
    _implementations[:] = [implementation]


def current() -> SingleSignOn:
    """The registered single sign-on; none registered refuses every password path (ADR 0008)."""
    if not _implementations:
        raise RuntimeError("no single sign-on registered with accounts (is partnerdesk.sso installed?)")
    return _implementations[0]


def signed_in_through_identity_provider(request: HttpRequest) -> bool:
    """Whether this browser's session was opened by the organization's identity provider."""
    return request.session.get(SIGNED_IN_WITH_SESSION_KEY) == THROUGH_IDENTITY_PROVIDER
