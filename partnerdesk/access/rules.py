"""Named rules: authorization decisions that depend on which side of the platform the principal is on.

Some operations are shared by two sides, each with its own permission (a support request is worked by
the partner's desk and opened by the customer's admins), and the other sides are refused with a
message saying why. Such a decision is declared here once, by name, instead of an
`if principal.kind == ...` in a view or API body; the edge decorators and `Principal.require` accept a
rule wherever they accept a permission. A rule whose refusal needs a domain's behaviour (an audited
refusal) is declared in that domain's `rules.py` with the same class.

The `on_*_side` predicates are for shaping data by side (which fields an answer carries, a default),
never for refusing: a refusal is a rule or a permission.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from partnerdesk.access.permissions import OrgKind, Permission
from partnerdesk.errors import DomainError, Forbidden, NotFound

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    from partnerdesk.access.principal import Principal

P = Permission

# How a side that the rule does not admit is refused: given the principal and what was attempted
# (`"PATCH /api/v1/subscriptions/…"`, or `"service call"`), return the error to raise.
Refusal = Callable[["Principal", str], DomainError]


def not_allowed(principal: Principal, what: str) -> DomainError:
    """The plain refusal, the same one a missing permission gets."""
    return Forbidden(_("You do not have permission to do this."), code="permission_denied")


def not_found(principal: Principal, what: str) -> DomainError:
    """Refuse as if the thing did not exist: the other sides have no such object at all."""
    return NotFound(_("Not found."))


def once_permitted(permission: Permission, refusal: Refusal) -> Refusal:
    """Refuse a principal lacking `permission` plainly, as a missing permission is; only one holding it
    (on a side the rule does not admit) gets the rule's own `refusal`."""

    def refuse(principal: Principal, what: str) -> DomainError:
        if not principal.has(permission):
            return not_allowed(principal, what)
        return refusal(principal, what)

    return refuse


@dataclass(frozen=True)
class Rule:
    """A named decision: the permission each admitted side needs, and how the other sides are refused."""

    name: str
    needs: Mapping[OrgKind, Permission]
    refusal: Refusal = field(default=not_allowed)

    def admits(self, principal: Principal) -> bool:
        """Whether the principal is on a side this rule lets in at all (its permission aside)."""
        return principal.kind in self.needs

    def refuse_other_sides(self, principal: Principal, what: str = "service call") -> None:
        """Raise the rule's refusal for a principal of a side it does not admit."""
        if not self.admits(principal):
            raise self.refusal(principal, what)

    def allows(self, principal: Principal) -> bool:
        return self.admits(principal) and principal.has(self.needs[principal.kind])

    def require(self, principal: Principal, what: str = "service call") -> None:
        """Raise unless the principal's side is admitted and it holds that side's permission."""
        self.refuse_other_sides(principal, what)
        principal.require(self.needs[principal.kind])


Need = Permission | Rule


def name_of(need: Need | None) -> str:
    """How a route's declaration is labelled: the permission's value or the rule's name."""
    if need is None:
        return "signed_in"
    return need.name if isinstance(need, Rule) else need.value


# --- Sides (data shaping only) ---------------------------------------------------------------------


def on_operator_side(principal: Principal) -> bool:
    return principal.kind == OrgKind.OPERATOR


def on_partner_side(principal: Principal) -> bool:
    return principal.kind == OrgKind.PARTNER


def on_customer_side(principal: Principal) -> bool:
    return principal.kind == OrgKind.CUSTOMER


# --- Support (DOMAIN §5) ---------------------------------------------------------------------------


def _operator_sees_service_requests(principal: Principal, what: str) -> DomainError:
    return Forbidden(
        _("The operator sees service requests, not customers' support requests."), code="permission_denied"
    )


def customer_cannot_contact_operator(principal: Principal, what: str) -> DomainError:
    """A customer never files with the operator (DOMAIN §2 rule 4): say whom to contact instead."""
    partner = principal.organization.partner
    return Forbidden(
        _(
            "Customers cannot contact the operator. Open a support request with your partner, "
            "%(partner)s; it escalates to the operator when needed."
        )
        % {"partner": partner.name if partner else ""},
        code="customer_cannot_contact_operator",
    )


def _operator_has_no_profile(principal: Principal, what: str) -> DomainError:
    return Forbidden(_("The operator has no support profile."), code="permission_denied")


# Support requests: worked by the partner's desk, opened and followed by the customer's admins.
SUPPORT_REQUESTS_WORK = Rule(
    "support.requests_work",
    {OrgKind.PARTNER: P.SUPPORT_DESK, OrgKind.CUSTOMER: P.SUPPORT_REQUESTS},
    _operator_sees_service_requests,
)
# Service requests: between a partner (who escalates) and the operator's desk; never a customer.
SERVICE_REQUESTS_WORK = Rule(
    "support.service_requests_work",
    {OrgKind.OPERATOR: P.SUPPORT_OPERATOR_DESK, OrgKind.PARTNER: P.SUPPORT_ESCALATE},
    customer_cannot_contact_operator,
)
# A partner's own service request (not an escalation): the partner files it, the operator does not.
SERVICE_REQUESTS_FILE = Rule(
    "support.service_requests_file",
    {OrgKind.OPERATOR: P.SUPPORT_ESCALATE, OrgKind.PARTNER: P.SUPPORT_ESCALATE},
    customer_cannot_contact_operator,
)
# Self-help search: the customer before it files, the partner's desk, the operator's article writers.
HELP_ARTICLES_SEARCH = Rule(
    "support.articles_search",
    {
        OrgKind.CUSTOMER: P.SUPPORT_REQUESTS,
        OrgKind.PARTNER: P.SUPPORT_DESK,
        OrgKind.OPERATOR: P.SUPPORT_ARTICLES_WRITE,
    },
)


def _partners_only(message: StrOrPromise) -> Refusal:
    def refusal(principal: Principal, what: str) -> DomainError:
        return Forbidden(str(message), code="partners_only")

    return refusal


# Escalating a customer's request to the operator: the partner's own act.
ESCALATE = Rule(
    "support.escalate",
    {OrgKind.PARTNER: P.SUPPORT_ESCALATE},
    once_permitted(P.SUPPORT_ESCALATE, _partners_only(gettext_lazy("Only the partner escalates."))),
)
# The partner's support profile, which its customers read.
SUPPORT_PROFILE_EDIT = Rule(
    "support.profile_edit",
    {OrgKind.PARTNER: P.SUPPORT_PROFILE_EDIT},
    once_permitted(
        P.SUPPORT_PROFILE_EDIT, _partners_only(gettext_lazy("Only partners have a support profile."))
    ),
)
# How to reach support: a customer reads its partner's profile, a partner its own.
SUPPORT_PROFILE_VIEW = Rule(
    "support.profile_view",
    {OrgKind.CUSTOMER: P.SUPPORT_REQUESTS, OrgKind.PARTNER: P.SUPPORT_DESK},
    _operator_has_no_profile,
)

# --- Delegated relationships ---------------------------------------------------------------------

# Ending delegated access: the customer's own admins (who approve it) or the partner's (who asked).
RELATIONSHIPS_END = Rule(
    "relationships.end",
    {
        OrgKind.CUSTOMER: P.RELATIONSHIPS_MANAGE,
        OrgKind.PARTNER: P.RELATIONSHIPS_REQUEST,
        OrgKind.OPERATOR: P.RELATIONSHIPS_REQUEST,
    },
)

# --- Service health and Message center -------------------------------------------------------------


# Which of my customers an issue or a post reaches: a partner's question; for the others no such list.
ISSUE_AFFECTED_CUSTOMERS = Rule(
    "health.issue_affected_customers",
    {OrgKind.PARTNER: P.HEALTH_VIEW},
    once_permitted(P.HEALTH_VIEW, not_found),
)
MESSAGE_AFFECTED_CUSTOMERS = Rule(
    "messages.affected_customers",
    {OrgKind.PARTNER: P.MESSAGES_VIEW},
    once_permitted(P.MESSAGES_VIEW, not_found),
)
