"""The three portals' home pages, and the front door that sends each user to their own.

Each home page is a set of cards, one per thing that may need the viewer's attention: a bounded
count (one query each, "99+" beyond 99, see `sql.bounded_count`), a sentence saying what it is, and
a link to the list filtered to those rows. The counts come from the domains' own query functions,
with the same filters the lists apply, so a card and the list it opens agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import conditional_escape, format_html
from django.utils.http import urlencode
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from partnerdesk.access import policy
from partnerdesk.access.permissions import OrgKind, Permission
from partnerdesk.access.principal import Principal, principal_of
from partnerdesk.access.web import requires, signed_in
from partnerdesk.health import queries as health
from partnerdesk.health.queries import ACT_BY_SOON_DAYS
from partnerdesk.sql import BoundedCount, bounded_count
from partnerdesk.subscriptions import queries as subscriptions
from partnerdesk.subscriptions.models import ChangeRequest, Subscription
from partnerdesk.support import queries as support
from partnerdesk.support import reports, sla
from partnerdesk.tenancy import queries as tenancy
from partnerdesk.tenancy.models import DelegatedRelationship
from partnerdesk.texts import when

P = Permission

# "Renewing or expiring soon" on the partner's home page.
ENDING_SOON_DAYS = 30


@dataclass(frozen=True)
class Card:
    """One thing that may need attention: how many, in a sentence, and the list that shows them."""

    key: str
    count: BoundedCount
    sentence: SafeString
    url: str
    detail: str = ""

    @property
    def calm(self) -> bool:
        return self.count.number == 0


def _card(
    key: str,
    count: BoundedCount,
    url: str,
    some: str,
    none: str,
    detail: str = "",
    params: dict[str, Any] | None = None,
) -> Card:
    """A card whose sentence is `some` (translated with `count`'s plural; "%(count)s" marks the
    number, other placeholders come from `params`) or, when nothing is counted, the calm `none`."""
    if count.number == 0:
        return Card(key, count, format_html("{}", none), url)
    number = format_html('<strong class="card-number">{}</strong>', str(count))
    values = {name: conditional_escape(value) for name, value in (params or {}).items()}
    # Both the translated sentence and every value are escaped before they meet.
    sentence = mark_safe(conditional_escape(some) % {**values, "count": number})  # noqa: S308
    return Card(key, count, sentence, url, detail)


def _url(name: str, query: dict[str, str] | None = None, fragment: str = "") -> str:
    url = reverse(name)
    if query:
        url += "?" + urlencode(query)
    return url + (f"#{fragment}" if fragment else "")


def _support_chart(principal: Principal, reports_url_name: str) -> dict[str, Any]:
    """The weekly requests chart for dashboards whose viewer may read support reports."""
    if not principal.has(P.SUPPORT_REPORTS):
        return {}
    return {
        "bars": reports.dashboard_bars(principal),
        "chart_width": reports.CHART_WIDTH,
        "chart_height": reports.CHART_HEIGHT,
        "reports_url": reverse(reports_url_name),
    }


def _near_minutes() -> int:
    return int(sla.near_window().total_seconds() // 60)


@signed_in
def home(request: HttpRequest) -> HttpResponse:
    """Send each user to their own portal; a plain customer user gets a simple page."""
    principal = principal_of(request)
    kind = principal.home_organization.kind
    if kind == OrgKind.OPERATOR:
        return redirect("portals:operator_dashboard")
    if kind == OrgKind.PARTNER:
        return redirect("portals:partner_dashboard")
    if principal.has(P.ADMIN_CENTER):
        return redirect("portals:admin_dashboard")
    return render(request, "portals/user_home.html")


# --- Operator console ----------------------------------------------------------------------------


def operator_cards(principal: Principal) -> list[Card]:
    """The escalation desk's breaching and unassigned requests, flagged partners, active issues,
    scheduled maintenance and what awaits publication, as far as the principal may see them."""
    cards: list[Card] = []
    if principal.has(P.SUPPORT_OPERATOR_DESK):
        breached = {"sla": "breached"}
        n = support.count_service_requests(principal, breached)
        cards.append(
            _card(
                "operator-breached",
                n,
                _url("support:operator_queue", breached),
                ngettext(
                    "%(count)s service request has breached its SLA",
                    "%(count)s service requests have breached their SLA",
                    n.number,
                ),
                _("No service request has breached its SLA"),
            )
        )
        unassigned = {"status": "active", "assignee": "none"}
        n = support.count_service_requests(principal, unassigned)
        cards.append(
            _card(
                "operator-unassigned",
                n,
                _url("support:operator_queue", unassigned),
                ngettext(
                    "%(count)s open service request has no engineer",
                    "%(count)s open service requests have no engineer",
                    n.number,
                ),
                _("Every open service request has an engineer"),
            )
        )
        n = bounded_count(support.flagged_partners(principal))
        cards.append(
            _card(
                "operator-flagged",
                n,
                _url("support:operator_flags"),
                ngettext("%(count)s partner is flagged", "%(count)s partners are flagged", n.number),
                _("No partner is flagged"),
            )
        )
    if principal.has(P.HEALTH_VIEW):
        n = bounded_count(health.active_issues(principal))
        cards.append(
            _card(
                "operator-incidents",
                n,
                _url("health:operator_health", {"status": "active"}, "issues"),
                ngettext(
                    "%(count)s published incident or advisory is active",
                    "%(count)s published incidents and advisories are active",
                    n.number,
                ),
                _("No incident or advisory is active"),
            )
        )
        upcoming = health.upcoming_maintenance(principal)
        n = bounded_count(upcoming)
        first = upcoming.only("starts_at").first() if n.number else None
        cards.append(
            _card(
                "operator-maintenance",
                n,
                _url("health:operator_health", fragment="maintenance"),
                ngettext(
                    "%(count)s maintenance is scheduled or in progress",
                    "%(count)s maintenances are scheduled or in progress",
                    n.number,
                ),
                _("No maintenance is scheduled"),
                _("The next starts %(when)s") % {"when": when(first.starts_at)} if first else "",
            )
        )
        n = bounded_count(health.draft_issues(principal))
        cards.append(
            _card(
                "operator-draft-issues",
                n,
                _url("health:operator_health", {"status": "draft"}, "issues"),
                ngettext(
                    "%(count)s health issue awaits publication",
                    "%(count)s health issues await publication",
                    n.number,
                ),
                _("No health issue awaits publication"),
            )
        )
        n = bounded_count(health.draft_messages(principal))
        cards.append(
            _card(
                "operator-draft-posts",
                n,
                _url("health:operator_messages", {"status": "draft"}),
                ngettext(
                    "%(count)s Message center post awaits publication",
                    "%(count)s Message center posts await publication",
                    n.number,
                ),
                _("No Message center post awaits publication"),
            )
        )
    return cards


@requires(None, portal="operator")
def operator_dashboard(request: HttpRequest) -> HttpResponse:
    principal = principal_of(request)
    return render(
        request,
        "portals/operator_dashboard.html",
        {**_support_chart(principal, "support:operator_reports"), "cards": operator_cards(principal)},
    )


# --- Partner center ------------------------------------------------------------------------------


def partner_cards(principal: Principal) -> list[Card]:
    """Requests breaching or near their SLA and waiting on the partner, escalations needing it,
    open change requests, customers affected by active issues, subscriptions and relationships
    ending soon, as far as the principal may see them."""
    cards: list[Card] = []
    if principal.has(P.SUPPORT_DESK):
        breached = {"sla": "breached"}
        n = support.count_support_requests(principal, breached)
        cards.append(
            _card(
                "partner-breached",
                n,
                _url("support:partner_queue", breached),
                ngettext(
                    "%(count)s request has breached its SLA",
                    "%(count)s requests have breached their SLA",
                    n.number,
                ),
                _("No request has breached its SLA"),
            )
        )
        near = {"sla": "near"}
        n = support.count_support_requests(principal, near)
        minutes = _near_minutes()
        cards.append(
            _card(
                "partner-near",
                n,
                _url("support:partner_queue", near),
                ngettext(
                    "%(count)s request breaches its SLA within %(minutes)s minutes",
                    "%(count)s requests breach their SLA within %(minutes)s minutes",
                    n.number,
                ),
                _("No request breaches its SLA within %(minutes)s minutes") % {"minutes": minutes},
                params={"minutes": minutes},
            )
        )
        waiting = {"status": "open"}
        n = support.count_support_requests(principal, waiting)
        cards.append(
            _card(
                "partner-waiting",
                n,
                _url("support:partner_queue", waiting),
                ngettext("%(count)s request waits on you", "%(count)s requests wait on you", n.number),
                _("Nothing waits on you"),
            )
        )
    if principal.has(P.SUPPORT_ESCALATE):
        attention = {"status": "attention_needed"}
        n = support.count_service_requests(principal, attention)
        cards.append(
            _card(
                "partner-escalations",
                n,
                _url("support:partner_service_queue", attention),
                ngettext(
                    "%(count)s escalation needs your attention",
                    "%(count)s escalations need your attention",
                    n.number,
                ),
                _("No escalation needs your attention"),
            )
        )
    if principal.has(P.SUBSCRIPTIONS_VIEW):
        n = bounded_count(subscriptions.open_change_requests(policy.visible(principal, ChangeRequest)))
        cards.append(
            _card(
                "partner-change-requests",
                n,
                _url("subscriptions:partner_change_requests", {"show": "open"}),
                ngettext(
                    "%(count)s change request awaits your decision",
                    "%(count)s change requests await your decision",
                    n.number,
                ),
                _("No change request awaits your decision"),
            )
        )
        n = bounded_count(
            subscriptions.ending_within(policy.visible(principal, Subscription), ENDING_SOON_DAYS)
        )
        cards.append(
            _card(
                "partner-ending",
                n,
                _url("subscriptions:partner_subscriptions", {"ends_within": str(ENDING_SOON_DAYS)}),
                ngettext(
                    "%(count)s subscription renews or expires within %(days)s days",
                    "%(count)s subscriptions renew or expire within %(days)s days",
                    n.number,
                ),
                _("No subscription renews or expires within %(days)s days") % {"days": ENDING_SOON_DAYS},
                params={"days": ENDING_SOON_DAYS},
            )
        )
    if principal.has(P.HEALTH_VIEW):
        n = bounded_count(health.customers_affected_by_active_issues(principal))
        cards.append(
            _card(
                "partner-affected",
                n,
                _url("health:partner_health", {"affected": "1"}, "customers"),
                ngettext(
                    "%(count)s customer is affected by an active issue",
                    "%(count)s customers are affected by active issues",
                    n.number,
                ),
                _("No customer is affected by an active issue"),
            )
        )
    if principal.has(P.RELATIONSHIPS_VIEW):
        days = tenancy.EXPIRING_SOON_DAYS
        relationships = policy.visible(principal, DelegatedRelationship)
        n = bounded_count(tenancy.expiring_within(relationships, days))
        cards.append(
            _card(
                "partner-relationships-expiring",
                n,
                _url("tenancy:partner_relationships", {"expires_within": str(days)}),
                ngettext(
                    "%(count)s delegated relationship expires within %(days)s days",
                    "%(count)s delegated relationships expire within %(days)s days",
                    n.number,
                ),
                _("No delegated relationship expires within %(days)s days") % {"days": days},
                params={"days": days},
            )
        )
        pending = {"status": DelegatedRelationship.Status.PENDING.value}
        n = bounded_count(tenancy.filter_relationships(relationships, pending))
        cards.append(
            _card(
                "partner-relationships-pending",
                n,
                _url("tenancy:partner_relationships", pending),
                ngettext(
                    "%(count)s relationship request awaits the customer",
                    "%(count)s relationship requests await the customer",
                    n.number,
                ),
                _("No relationship request awaits a customer"),
            )
        )
    return cards


@requires(None, portal="partner")
def partner_dashboard(request: HttpRequest) -> HttpResponse:
    principal = principal_of(request)
    return render(
        request,
        "portals/partner_dashboard.html",
        {**_support_chart(principal, "support:partner_reports"), "cards": partner_cards(principal)},
    )


# --- Admin center --------------------------------------------------------------------------------


def admin_cards(principal: Principal) -> list[Card]:
    """Active issues affecting the tenant, unread major changes and act-by posts, licences running
    out, pending change and relationship requests, open support requests and what waits on the
    customer, as far as the principal may see them."""
    cards: list[Card] = []
    customer = principal.organization
    if principal.has(P.HEALTH_VIEW):
        n = bounded_count(health.active_issues(principal, shown_only=True))
        cards.append(
            _card(
                "admin-incidents",
                n,
                _url("health:admin_health"),
                ngettext(
                    "%(count)s incident or advisory affects your services",
                    "%(count)s incidents and advisories affect your services",
                    n.number,
                ),
                _("No incident or advisory affects your services"),
            )
        )
    if principal.has(P.MESSAGES_VIEW):
        major = {"unread": "1", "major_change": "1"}
        n = bounded_count(health.unread_messages(principal, major_change=True))
        cards.append(
            _card(
                "admin-major-changes",
                n,
                _url("health:admin_messages", major),
                ngettext("%(count)s unread major change", "%(count)s unread major changes", n.number),
                _("No unread major change"),
            )
        )
        act_by = {"unread": "1", "act_by_soon": "1"}
        n = bounded_count(health.unread_messages(principal, act_by_soon=True))
        cards.append(
            _card(
                "admin-act-by",
                n,
                _url("health:admin_messages", act_by),
                ngettext(
                    "%(count)s unread post asks you to act within %(days)s days",
                    "%(count)s unread posts ask you to act within %(days)s days",
                    n.number,
                ),
                _("No unread post asks you to act soon"),
                params={"days": ACT_BY_SOON_DAYS},
            )
        )
    if principal.has(P.LICENSES_VIEW):
        n = bounded_count(subscriptions.pools_running_out(customer.pk))
        cards.append(
            _card(
                "admin-licences",
                n,
                _url("subscriptions:admin_licences", {"running_out": "1"}),
                ngettext(
                    "%(count)s licence has none left to assign or is over-assigned",
                    "%(count)s licences have none left to assign or are over-assigned",
                    n.number,
                ),
                _("Every licence has some left to assign"),
            )
        )
    if principal.has(P.SUBSCRIPTIONS_VIEW):
        change_requests = policy.visible(principal, ChangeRequest).filter(customer_id=customer.pk)
        n = bounded_count(subscriptions.open_change_requests(change_requests))
        cards.append(
            _card(
                "admin-change-requests",
                n,
                _url("subscriptions:admin_change_requests", {"show": "open"}),
                ngettext(
                    "%(count)s change request awaits your partner",
                    "%(count)s change requests await your partner",
                    n.number,
                ),
                _("No change request is pending"),
            )
        )
    if principal.has(P.RELATIONSHIPS_VIEW):
        pending = {"status": DelegatedRelationship.Status.PENDING.value}
        relationships = policy.visible(principal, DelegatedRelationship)
        n = bounded_count(tenancy.filter_relationships(relationships, pending))
        cards.append(
            _card(
                "admin-relationships",
                n,
                _url("tenancy:admin_relationships", pending),
                ngettext(
                    "%(count)s partner relationship request awaits you",
                    "%(count)s partner relationship requests await you",
                    n.number,
                ),
                _("No partner relationship request awaits you"),
            )
        )
    if principal.has(P.SUPPORT_REQUESTS):
        active = {"status": "active"}
        n = support.count_support_requests(principal, active)
        cards.append(
            _card(
                "admin-support-open",
                n,
                _url("support:admin_support", active),
                ngettext(
                    "%(count)s support request is open", "%(count)s support requests are open", n.number
                ),
                _("No support request is open"),
            )
        )
        waiting = {"status": "waiting_on_customer"}
        n = support.count_support_requests(principal, waiting)
        cards.append(
            _card(
                "admin-support-waiting",
                n,
                _url("support:admin_support", waiting),
                ngettext(
                    "%(count)s support request waits on you",
                    "%(count)s support requests wait on you",
                    n.number,
                ),
                _("Nothing waits on you"),
            )
        )
    return cards


@requires(None, portal="admin")
def admin_dashboard(request: HttpRequest) -> HttpResponse:
    principal = principal_of(request)
    return render(request, "portals/admin_dashboard.html", {"cards": admin_cards(principal)})
