"""The partner center's Domains pages: a partner's own domains, proved in real DNS (a dnslib server on
loopback), then covered by its single sign-on through a real OpenID Connect provider."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from partnerdesk.audit.models import AuditEvent
from partnerdesk.directory.models import Domain
from partnerdesk.sso import services as sso
from partnerdesk.sso.tests.conftest import (  # noqa: F401 (the provider's fixtures, used by name)
    Provider,
    _loopback_provider_allowed,
    callback_path,
    connect,
    oidc_provider,
)
from partnerdesk.testing import World, database_state

pytestmark = pytest.mark.django_db

ADMIN = "a.partner_global_admin"


def add(client: Client, name: str) -> Domain:
    response = client.post("/partner/domains/new/", {"name": name})
    assert response.status_code == 302, response.content[:500]
    domain = Domain.objects.get(name=name.lower())
    assert response["Location"] == f"/partner/domains/{domain.pk}/"
    return domain


def test_the_partner_global_admin_adds_verifies_and_removes_its_own_domain(
    world: World, web: Any, dns_server: Any
) -> None:
    client = web(ADMIN)
    listing = client.get("/partner/domains/")
    assert listing.status_code == 200
    assert 'href="/partner/domains/"' in listing.content.decode()  # in the partner center's navigation

    domain = add(client, "Mail.Fabrikam.TEST")
    assert domain.organization == world.partner_a and not domain.is_verified
    page = client.get(f"/partner/domains/{domain.pk}/")
    assert page.status_code == 200
    assert f"pd-verify={domain.verification_code}" in page.content.decode()
    assert f'action="/partner/domains/{domain.pk}/verify/"' in page.content.decode()

    # Not yet published: the page says what DNS answered, and nothing changes.
    before = database_state()
    refused = client.post(f"/partner/domains/{domain.pk}/verify/")
    assert refused.status_code == 400
    assert "NXDOMAIN" in refused.content.decode()
    assert database_state() == before

    dns_server.publish("mail.fabrikam.test", domain.txt_record)
    verified = client.post(f"/partner/domains/{domain.pk}/verify/")
    assert verified.status_code == 302 and verified["Location"] == f"/partner/domains/{domain.pk}/"
    domain.refresh_from_db()
    assert domain.is_verified
    assert sso.covered_domains(world.partner_a) == ["mail.fabrikam.test"]
    assert "mail.fabrikam.test" in client.get("/partner/domains/").content.decode()
    event = AuditEvent.objects.get(action="domain.verified")
    assert event.organization_id == world.partner_a.pk

    # Removing asks first; the confirmed POST removes it.
    asked = client.post(f"/partner/domains/{domain.pk}/remove/")
    assert asked.status_code == 200 and Domain.objects.filter(pk=domain.pk).exists()
    removed = client.post(f"/partner/domains/{domain.pk}/remove/", {"confirmed": "1"})
    assert removed.status_code == 302 and removed["Location"] == "/partner/domains/"
    assert not Domain.objects.filter(pk=domain.pk).exists()
    assert AuditEvent.objects.filter(action="domain.removed", organization=world.partner_a).count() == 1


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("a.admin_agent", 403),  # the partner's agents: no permission
        ("a1.global_admin", 403),  # a customer's admin: not the partner center
        ("b.partner_global_admin", 404),  # another partner: no such domain
    ],
)
def test_other_roles_and_other_partners_change_nothing(
    world: World, web: Any, dns_server: Any, key: str, expected: int
) -> None:
    domain = add(web(ADMIN), "fabrikam.test")
    dns_server.publish("fabrikam.test", domain.txt_record)
    client = web(key)
    before = database_state()

    assert client.get(f"/partner/domains/{domain.pk}/").status_code == expected
    assert client.post(f"/partner/domains/{domain.pk}/verify/").status_code == expected
    assert client.post(f"/partner/domains/{domain.pk}/remove/", {"confirmed": "1"}).status_code == expected
    assert "fabrikam.test" not in client.get("/partner/domains/").content.decode()
    assert client.post("/partner/domains/new/", {"name": "litware.test"}).status_code in (403, 302)

    if expected == 403:
        assert database_state() == before
    else:  # another partner adds only its own domain, and never sees or touches partner A's
        assert Domain.objects.get(pk=domain.pk).status == Domain.Status.UNVERIFIED
        assert list(Domain.objects.exclude(pk=domain.pk).values_list("organization_id", flat=True)) == [
            world.partner_b.pk
        ]


def test_a_partner_agent_acting_for_a_customer_does_not_reach_its_domains_here(
    world: World, web: Any
) -> None:
    customer_domain = Domain.objects.create(organization=world.customer_a1, name="contoso.test")
    client = web(ADMIN)
    # Even with a customer chosen in the switcher, the partner center shows the partner's own domains.
    session = client.session
    from partnerdesk.access.web import ACTING_FOR_SESSION_KEY

    session[ACTING_FOR_SESSION_KEY] = str(world.customer_a1.pk)
    session.save()
    before = database_state()
    assert client.get(f"/partner/domains/{customer_domain.pk}/").status_code == 404
    assert (
        client.post(f"/partner/domains/{customer_domain.pk}/remove/", {"confirmed": "1"}).status_code == 404
    )
    assert "contoso.test" not in client.get("/partner/domains/").content.decode()
    assert database_state() == before


def test_the_partner_single_sign_on_covers_its_verified_domain(
    world: World,
    web: Any,
    dns_server: Any,
    oidc_provider: Provider,  # noqa: F811 (the imported fixture)
) -> None:
    client = web(ADMIN)
    domain = add(client, "fabrikam.test")
    dns_server.publish("fabrikam.test", domain.txt_record)
    assert client.post(f"/partner/domains/{domain.pk}/verify/").status_code == 302
    connect(world, oidc_provider, key=ADMIN)
    # Its people's user names are in it: removing it is refused (as in the admin center), nothing changed.
    before = database_state()
    refused = client.post(f"/partner/domains/{domain.pk}/remove/", {"confirmed": "1"}, follow=True)
    assert "change them before removing the domain" in refused.content.decode()
    assert database_state() == before

    browser = Client()
    started = browser.post("/account/signin/", {"email": "admin_agent@fabrikam.test", "password": ""})
    assert started.status_code == 302, started.content[:300]
    authorization_url = browser.get(started["Location"]).context["authorization_url"]
    assert authorization_url.startswith(f"{oidc_provider.issuer}/auth?")
    answer = browser.get(callback_path(oidc_provider.log_in(authorization_url, "admin_agent@fabrikam.test")))

    assert answer.status_code == 302, answer.content[:500]
    assert browser.get("/api/v1/me").json()["user"]["email"] == "admin_agent@fabrikam.test"
    agent = world.user("a.admin_agent")
    assert AuditEvent.objects.get(action="user.signed_in", object_id=str(agent.pk)).after == {
        "method": "sso",
        "issuer": oidc_provider.issuer,
    }
