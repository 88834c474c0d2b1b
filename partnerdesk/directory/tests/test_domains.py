"""Custom domains verified against a real DNS server on a loopback port (dnslib), nothing mocked."""

from __future__ import annotations

import pytest

from partnerdesk.audit.models import AuditEvent
from partnerdesk.directory import domains
from partnerdesk.directory.dns import resolver
from partnerdesk.directory.models import Domain
from partnerdesk.testing import database_state

pytestmark = pytest.mark.django_db


def test_adding_a_domain_answers_with_the_txt_record_to_publish(api, world):
    response = api("a1.global_admin").post("/domains", {"name": "Contoso.COM."})

    assert response.status_code == 201
    body = response.json_body
    domain = Domain.objects.get()
    assert body["name"] == "contoso.com"
    assert body["status"] == "unverified"
    assert body["verification_record"] == {
        "type": "TXT",
        "name": "contoso.com",
        "value": f"pd-verify={domain.verification_code}",
        "ttl": 3600,
    }
    assert AuditEvent.objects.filter(action="domain.added").count() == 1
    listed = api("a1.global_admin").get("/domains").json_body["items"]
    assert [(d["name"], d["is_initial"], d["is_default"]) for d in listed] == [
        ("contoso.partnerdesk.test", True, True),
        ("contoso.com", False, False),
    ]


def test_verify_finds_the_record_in_dns(api, world, dns_server):
    client = api("a1.global_admin")
    record = client.post("/domains", {"name": "contoso.com"}).json_body["verification_record"]["value"]
    dns_server.publish("contoso.com", "v=spf1 include:mail.test -all", record)

    response = client.post("/domains/contoso.com/verify")

    assert response.status_code == 200, response.json_body
    assert response.json_body["status"] == "verified"
    assert response.json_body["verification_record"] is None
    assert AuditEvent.objects.filter(action="domain.verified").count() == 1
    # Now user names may use it.
    assert (
        client.post("/users", {"user_principal_name": "a@contoso.com", "display_name": "A"}).status_code
        == 201
    )


@pytest.mark.parametrize(
    ("setup", "expected"),
    [
        (lambda zone: None, "does not exist in DNS (NXDOMAIN)"),
        (lambda zone: zone.add_name("contoso.com"), "has no TXT records"),
        (
            lambda zone: zone.publish("contoso.com", "pd-verify=wrong", "google-site-verification=x"),
            '"pd-verify=wrong"',
        ),
    ],
    ids=["nxdomain", "no-txt", "wrong-value"],
)
def test_verify_without_the_record_says_what_was_found(api, world, dns_server, setup, expected):
    client = api("a1.global_admin")
    client.post("/domains", {"name": "contoso.com"})
    setup(dns_server)
    before = database_state()

    response = client.post("/domains/contoso.com/verify")

    assert response.status_code == 400
    assert response.json_body["error"]["code"] == "domain_not_verified"
    assert expected in response.json_body["error"]["message"]
    assert "pd-verify=" + Domain.objects.get().verification_code in response.json_body["error"]["message"]
    assert database_state() == before


def test_an_unreachable_dns_server_is_explained(settings, world):
    settings.DNS_RESOLVER_NAMESERVERS = ["127.0.0.1"]
    settings.DNS_RESOLVER_PORT = 9  # discard: nothing answers
    settings.DNS_RESOLVER_TIMEOUT = 1
    lookup = resolver().txt("contoso.com")
    assert lookup.problem == "unreachable"


def test_a_domain_verified_by_one_tenant_cannot_be_added_or_verified_by_another(api, world, dns_server):
    other = api("a2.global_admin")
    other.post("/domains", {"name": "contoso.com"})  # pending in Adatum: allowed, unproven
    mine = api("a1.global_admin")
    record = mine.post("/domains", {"name": "contoso.com"}).json_body["verification_record"]["value"]
    dns_server.publish("contoso.com", record)
    assert mine.post("/domains/contoso.com/verify").status_code == 200
    before = database_state()

    added = api("b1.global_admin").post("/domains", {"name": "contoso.com"})
    verified = other.post("/domains/contoso.com/verify")

    assert added.status_code == 409 and added.json_body["error"]["code"] == "domain_taken"
    assert verified.status_code in {400, 409}
    assert database_state() == before


def test_initial_domains_and_malformed_names_are_refused(api, world):
    for name in ["adatum.partnerdesk.test", "partnerdesk.test", "not a domain", "nodot"]:
        response = api("a1.global_admin").post("/domains", {"name": name})
        assert response.status_code == 400, name
        assert response.json_body["error"]["code"] == "invalid_domain"


def test_default_domain_and_removal_only_when_unused(api, world, dns_server):
    client = api("a1.global_admin")
    record = client.post("/domains", {"name": "contoso.com"}).json_body["verification_record"]["value"]
    assert client.post("/domains/contoso.com/default").json_body["error"]["code"] == "domain_unverified"
    dns_server.publish("contoso.com", record)
    client.post("/domains/contoso.com/verify")

    assert client.post("/domains/contoso.com/default").json_body["is_default"] is True
    assert api("a1.global_admin").get("/organization").json_body["default_domain"] == "contoso.com"
    user = client.post("/users", {"user_principal_name": "kim@contoso.com", "display_name": "Kim"}).json_body

    in_use = client.delete("/domains/contoso.com")
    assert in_use.status_code == 409
    assert in_use.json_body["error"]["code"] == "domain_in_use"
    client.delete(f"/users/{user['id']}")
    assert client.delete("/domains/contoso.com").status_code == 409  # a deleted user still holds it
    client.patch(f"/users/{user['id']}", {})  # deleted: not visible
    from partnerdesk.accounts.models import User

    User.objects.filter(pk=user["id"]).delete()
    assert client.delete("/domains/contoso.com").status_code == 204
    assert not Domain.objects.exists()
    assert AuditEvent.objects.filter(action="domain.removed").count() == 1


def test_domains_need_the_domain_permissions(api, web, world):
    Domain.objects.create(organization=world.customer_a1, name="contoso.com")
    before = database_state()

    assert api("a1.user_admin").get("/domains").status_code == 200
    assert api("a1.user_admin").post("/domains", {"name": "x.com"}).status_code == 403
    assert api("a1.user_admin").post("/domains/contoso.com/verify").status_code == 403
    assert api("a1.licence_admin").get("/domains").status_code == 403
    assert api("a2.global_admin").get("/domains/contoso.com").status_code == 404
    assert api("a2.global_admin").delete("/domains/contoso.com").status_code == 404
    assert api("a.partner_global_admin").get("/domains").status_code == 403
    assert web("a1.user_admin").get("/admin/domains/new/").status_code == 403
    assert web("a2.global_admin").get(f"/admin/domains/{Domain.objects.get().pk}/").status_code == 404
    assert database_state() == before


def test_the_domain_pages_verify_against_dns(web, world, dns_server):
    client = web("a1.global_admin")
    added = client.post("/admin/domains/new/", {"name": "contoso.com"})
    domain = Domain.objects.get()
    assert added.url == f"/admin/domains/{domain.pk}/"
    page = client.get(added.url)
    assert domain.txt_record.encode() in page.content

    failed = client.post(f"/admin/domains/{domain.pk}/verify/")
    assert failed.status_code == 400
    assert b"NXDOMAIN" in failed.content

    dns_server.publish("contoso.com", domain.txt_record)
    assert client.post(f"/admin/domains/{domain.pk}/verify/").status_code == 302
    domain.refresh_from_db()
    assert domain.is_verified


def test_verify_service_checks_the_permission_first(world, dns_server):
    from partnerdesk.access.principal import principal_for
    from partnerdesk.errors import Forbidden

    domain = Domain.objects.create(organization=world.customer_a1, name="contoso.com")
    with pytest.raises(Forbidden):
        domains.verify_domain(principal_for(world.user("a1.user_admin")), domain)
