"""The three portals' dashboards, and the front door that sends each user to their own."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from partnerdesk.access import policy
from partnerdesk.access.permissions import OrgKind, Permission
from partnerdesk.access.principal import Principal, principal_of
from partnerdesk.access.web import requires, signed_in
from partnerdesk.accounts.models import User
from partnerdesk.support import reports
from partnerdesk.tenancy.models import DelegatedRelationship, Organization

P = Permission


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


@requires(None, portal="operator")
def operator_dashboard(request: HttpRequest) -> HttpResponse:
    organizations = policy.visible(principal_of(request), Organization)
    partners = organizations.filter(kind=OrgKind.PARTNER)
    return render(
        request,
        "portals/operator_dashboard.html",
        {
            **_support_chart(principal_of(request), "support:operator_reports"),
            "partner_count": partners.count(),
            "suspended_count": partners.filter(status=Organization.Status.SUSPENDED).count(),
            "customer_count": organizations.filter(kind=OrgKind.CUSTOMER).count(),
        },
    )


@requires(None, portal="partner")
def partner_dashboard(request: HttpRequest) -> HttpResponse:
    principal = principal_of(request)
    relationships = policy.visible(principal, DelegatedRelationship)
    return render(
        request,
        "portals/partner_dashboard.html",
        {
            **_support_chart(principal, "support:partner_reports"),
            "customer_count": policy.visible(principal, Organization).filter(kind=OrgKind.CUSTOMER).count(),
            "active_relationships": relationships.filter(status=DelegatedRelationship.Status.ACTIVE).count(),
            "pending_relationships": relationships.filter(
                status=DelegatedRelationship.Status.PENDING
            ).count(),
        },
    )


@requires(None, portal="admin")
def admin_dashboard(request: HttpRequest) -> HttpResponse:
    principal = principal_of(request)
    return render(
        request,
        "portals/admin_dashboard.html",
        {
            "user_count": policy.visible(principal, User).count(),
            "pending_relationships": policy.visible(principal, DelegatedRelationship)
            .filter(status=DelegatedRelationship.Status.PENDING)
            .count(),
        },
    )
