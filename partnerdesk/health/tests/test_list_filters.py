"""The health lists' filters that the home pages' cards open: active and draft issues, affected customers."""

from __future__ import annotations

from partnerdesk.access.principal import principal_for
from partnerdesk.health import issues


def issue(world, catalog, title: str, *, publish: bool, service=None, status: str = "investigating"):
    return issues.create_issue(
        principal_for(world.user("operator.communications_manager")),
        title=title,
        impact_description="x",
        service_ids=[(service or catalog.exchange).pk],
        status=status,
        first_post="x",
        publish=publish,
    )


def test_the_operator_lists_active_issues_or_drafts(web, world, catalog):
    issue(world, catalog, "Mail is slow", publish=True)
    issue(world, catalog, "Not published yet", publish=False)
    issue(world, catalog, "Fixed already", publish=True, status="service_restored")
    client = web("operator.communications_manager")

    active = client.get("/operator/health/?status=active").content.decode()
    drafts = client.get("/operator/health/?status=draft").content.decode()
    everything = client.get("/operator/health/").content.decode()

    assert "Mail is slow" in active
    assert "Not published yet" not in active and "Fixed already" not in active
    assert "Not published yet" in drafts
    assert "Mail is slow" not in drafts and "Fixed already" not in drafts
    assert all(title in everything for title in ("Mail is slow", "Not published yet", "Fixed already"))


def test_the_partner_lists_only_the_customers_an_active_issue_affects(web, world, catalog):
    issue(world, catalog, "Mail is slow", publish=True)  # Exchange: Contoso has it, Adatum has only Teams
    issue(world, catalog, "Teams draft", publish=False, service=catalog.teams)

    affected = web("a.admin_agent").get("/partner/health/?affected=1").content.decode()
    other_partner = web("b.admin_agent").get("/partner/health/?affected=1").content.decode()

    assert "Contoso" in affected
    assert "Adatum" not in affected
    assert "Contoso" not in other_partner and "Tailspin" in other_partner
