"""The named rule for changing subscriptions (DOMAIN §2 rule 2), declared beside its domain.

Only a partner (holding subscriptions.change) changes a subscription; the operator holds no such
permission. A customer, or a partner agent acting in its admin center, is told to ask its partner,
and the attempt is audited: that refusal is this domain's behaviour, so the rule lives here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from partnerdesk.access.permissions import OrgKind, Permission
from partnerdesk.access.rules import Rule
from partnerdesk.errors import DomainError

if TYPE_CHECKING:
    from partnerdesk.access.principal import Principal


def _ask_your_partner(principal: Principal, what: str) -> DomainError:
    from partnerdesk.subscriptions.common import customer_change_refusal

    return customer_change_refusal(principal, principal.organization, what=what)


CHANGE = Rule(
    "subscriptions.change",
    {OrgKind.OPERATOR: Permission.SUBSCRIPTIONS_CHANGE, OrgKind.PARTNER: Permission.SUBSCRIPTIONS_CHANGE},
    _ask_your_partner,
)
