"""The tenant's sign-in policy as accounts calls it: an interface the directory implements (ADR 0008).

accounts signs people in and changes passwords; each tenant's rules (lockout, password length and
expiry) and its sign-in log belong to the customer admin center (`directory.signins`), a layer above.
The directory registers its implementation from its `AppConfig.ready`; until it has, every sign-in
is refused rather than let through unchecked.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from partnerdesk.accounts.models import User
    from partnerdesk.ratelimits.services import Throttle


class SignInPolicy(Protocol):
    """What accounts asks of the sign-in policy (`partnerdesk.directory.signins` is one)."""

    def check_password_policy(self, user: User, password: str) -> None: ...

    def sign_in_throttle(self, email: str, user: User | None) -> Throttle: ...

    def count_failure(self, user: User, *, throttled: bool, channel: str, ip_address: str) -> None: ...

    def log(
        self, user: User, result: str, *, reason: str = "", channel: str = "web", ip_address: str = ""
    ) -> None: ...

    def accept(self, user: User, password: str, *, channel: str, ip_address: str) -> None: ...

    def change_reason_message(self, reason: str) -> str: ...


_policies: list[SignInPolicy] = []


def use(policy: SignInPolicy) -> None:
    """Register the sign-in policy (the directory does, from its AppConfig)."""
    _policies[:] = [policy]


def current() -> SignInPolicy:
    """The registered sign-in policy."""
    if not _policies:
        raise RuntimeError("no sign-in policy registered with accounts (is the directory installed?)")
    return _policies[0]
