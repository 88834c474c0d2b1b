"""The console commands: demo data once, the first operator admin, the worker."""

from __future__ import annotations

import re

import pytest
from django.core.management import CommandError, call_command

from partnerdesk.accounts.models import User
from partnerdesk.mfa.demo import DEMO_TOTP_SECRET
from partnerdesk.tenancy.models import DelegatedRelationship, Organization


def demo_sign_in(client, email: str) -> None:
    """Sign in as a demo operator or partner user: the password, then the demo's shared code."""
    import pyotp

    client.post("/account/signin/", {"email": email, "password": "Partnerdesk-demo-1"})
    response = client.post("/account/signin/verify/", {"code": pyotp.TOTP(DEMO_TOTP_SECRET).now()})
    assert response.status_code == 302, response.content


def test_seed_demo_loads_once_and_prints_the_sign_ins(db, capsys):
    call_command("seed_demo")
    counts = (Organization.objects.count(), User.objects.count(), DelegatedRelationship.objects.count())
    call_command("seed_demo")
    output = capsys.readouterr().out

    assert (
        Organization.objects.count(),
        User.objects.count(),
        DelegatedRelationship.objects.count(),
    ) == counts
    assert counts[0] == 7
    assert "Demo data is already loaded." in output
    assert "admin@operator.test" in output and "admin@contoso.test" in output
    assert User.objects.get(email="admin@contoso.test").check_password("Partnerdesk-demo-1")
    assert "partnerdesk demo_totp" in output and DEMO_TOTP_SECRET in output and "DEMO ONLY" in output


def test_the_demo_agent_can_act_for_contoso(db, client):
    call_command("seed_demo")
    demo_sign_in(client, "agent@fabrikam.test")
    contoso = Organization.objects.get(name="Contoso")

    client.post("/switch-organization/", {"organization": str(contoso.pk)})

    assert "Acting for Contoso" in client.get("/admin/").content.decode()


def test_create_operator_admin_makes_the_operator_and_its_admin(db):
    call_command("create_operator_admin", "--email", "Root@Cloud.test", "--password", "Long-enough-pass-1")

    user = User.objects.get(email="root@cloud.test")
    assert user.organization.kind == "operator"
    assert user.check_password("Long-enough-pass-1")
    assert list(user.role_assignments.values_list("role", flat=True)) == ["operator_admin"]


def test_create_operator_admin_refuses_a_weak_password_and_a_taken_email(db):
    with pytest.raises(CommandError):
        call_command("create_operator_admin", "--email", "root@cloud.test", "--password", "123")
    call_command("create_operator_admin", "--email", "root@cloud.test", "--password", "Long-enough-pass-1")
    with pytest.raises(CommandError):
        call_command(
            "create_operator_admin", "--email", "root@cloud.test", "--password", "Long-enough-pass-2"
        )
    assert User.objects.count() == 1


def test_the_worker_runs_one_pass(db, capsys):
    call_command("worker", "--once")

    assert "stopped" in capsys.readouterr().out


def test_dashboards_chart_the_requests_per_week(db, client):
    call_command("seed_demo")
    demo_sign_in(client, "admin@fabrikam.test")
    partner = client.get("/partner/").content.decode()
    demo_sign_in(client, "admin@operator.test")
    operator = client.get("/operator/").content.decode()

    assert 'data-testid="chart"' in partner and "/partner/support-reports/" in partner
    assert 'data-testid="chart"' in operator and "/operator/support/reports/" in operator
    bars = [int(n) for n in re.findall(r"<title>[^<]*: (\d+)</title>", partner)]
    assert len(bars) == 12 and sum(bars) > 0


def test_a_sales_agents_dashboard_has_no_support_chart(db, client):
    call_command("seed_demo")
    demo_sign_in(client, "sales@fabrikam.test")

    assert 'data-testid="chart"' not in client.get("/partner/").content.decode()
