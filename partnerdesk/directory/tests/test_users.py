"""Users in the admin center: API and pages, for customer admins and partner agents on behalf."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from partnerdesk.accounts.models import RoleAssignment, User
from partnerdesk.audit.models import AuditEvent
from partnerdesk.conftest import fresh
from partnerdesk.directory import users
from partnerdesk.directory.jobs import purge_deleted_users
from partnerdesk.directory.models import Domain
from partnerdesk.testing import database_state

pytestmark = pytest.mark.django_db

NEW_USER = {
    "user_principal_name": "mei@contoso.partnerdesk.test",
    "display_name": "Mei Chen",
    "job_title": "Buyer",
}


def _verified(world, name="contoso.com"):
    return Domain.objects.create(organization=world.customer_a1, name=name, status=Domain.Status.VERIFIED)


# --- Create -----------------------------------------------------------------------------------


def test_a_global_admin_creates_a_user_in_the_initial_domain(api, world):
    response = api("a1.global_admin").post("/users", NEW_USER)

    assert response.status_code == 201, response.json_body
    body = response.json_body
    assert body["user_principal_name"] == "mei@contoso.partnerdesk.test"
    assert body["display_name"] == "Mei Chen"
    assert body["blocked"] is False
    assert body["admin_roles"] == []
    assert len(body["temporary_password"]) == 16
    user = User.objects.get(email="mei@contoso.partnerdesk.test")
    assert user.organization == world.customer_a1
    assert user.job_title == "Buyer"
    assert user.must_change_password
    assert list(RoleAssignment.objects.filter(user=user).values_list("role", flat=True)) == ["user"]
    event = AuditEvent.objects.get(action="user.created", object_id=str(user.pk))
    assert event.actor_email == "global_admin@contoso.test"
    assert event.organization == world.customer_a1


def test_a_user_name_must_use_a_verified_domain_of_the_tenant(api, world):
    Domain.objects.create(organization=world.customer_a1, name="pending.com")
    before = database_state()

    for upn in ["mei@pending.com", "mei@adatum.partnerdesk.test", "mei@nowhere.test", "not-a-name"]:
        response = api("a1.global_admin").post("/users", {**NEW_USER, "user_principal_name": upn})
        assert response.status_code == 400, upn
        assert response.json_body["error"]["code"] in {"domain_not_allowed", "invalid_upn"}

    assert database_state() == before
    _verified(world, "pending2.com")
    assert (
        api("a1.global_admin")
        .post("/users", {**NEW_USER, "user_principal_name": "mei@pending2.com"})
        .status_code
        == 201
    )


def test_creating_a_user_twice_is_a_conflict(api, world):
    client = api("a1.user_admin")
    assert client.post("/users", NEW_USER).status_code == 201
    before = database_state()

    again = client.post("/users", {**NEW_USER, "user_principal_name": "MEI@contoso.partnerdesk.test"})

    assert again.status_code == 409
    assert again.json_body["error"]["code"] == "email_taken"
    assert database_state() == before


def test_only_a_global_admin_assigns_admin_roles(api, world):
    before = database_state()
    refused = api("a1.user_admin").post("/users", {**NEW_USER, "admin_roles": ["global_admin"]})
    assert refused.status_code == 403
    assert database_state() == before

    created = api("a1.global_admin").post("/users", {**NEW_USER, "admin_roles": ["user_admin"]})
    assert created.status_code == 201
    assert created.json_body["admin_roles"] == ["user_admin"]


def test_validation_errors_are_422(api, world):
    response = api("a1.global_admin").post("/users", {"display_name": "No name"})
    assert response.status_code == 422
    assert response.json_body["error"]["code"] == "validation_error"


@pytest.mark.parametrize(
    "key",
    ["a1.licence_admin", "a1.service_support_admin", "a1.user", "a.admin_agent", "operator.operator_admin"],
)
def test_users_without_user_management_cannot_create(api, world, key):
    before = database_state()
    response = api(key).post("/users", NEW_USER)
    assert response.status_code == 403
    assert database_state() == before


def test_anonymous_callers_get_401(api, world):
    assert api(None).get("/users").status_code == 401
    assert api(None).post("/users", NEW_USER).status_code == 401


# --- Read, list, filters ---------------------------------------------------------------------


def test_the_list_is_the_tenants_users_only(api, world):
    response = api("a1.licence_admin").get("/users?limit=200")

    assert response.status_code == 200
    emails = {u["user_principal_name"] for u in response.json_body["items"]}
    assert "global_admin@contoso.test" in emails
    assert "admin@adatum.test" not in emails
    assert all(e.endswith("@contoso.test") for e in emails)


def test_filters_search_role_blocked_domain_and_group(api, world):
    client = api("a1.global_admin")
    _verified(world)
    mei = client.post("/users", {**NEW_USER, "user_principal_name": "mei@contoso.com"}).json_body
    client.patch(f"/users/{world.user('a1.user').pk}", {"blocked": True})
    group = client.post("/groups", {"name": "Buyers"}).json_body
    client.post(f"/groups/{group['id']}/members", {"user_id": mei["id"]})

    def names(query):
        response = client.get(f"/users?{query}")
        assert response.status_code == 200
        return [u["user_principal_name"] for u in response.json_body["items"]]

    assert names("q=mei") == ["mei@contoso.com"]
    assert names("q=MEI CHEN") == ["mei@contoso.com"]
    assert names("role=user_admin") == ["user_admin@contoso.test"]
    assert names("blocked=yes") == ["user@contoso.test"]
    assert "user@contoso.test" not in names("blocked=no")
    assert names("domain=contoso.com") == ["mei@contoso.com"]
    assert names(f"group={group['id']}") == ["mei@contoso.com"]


def test_the_list_pages_with_a_cursor_without_repeats(api, world):
    client = api("a1.global_admin")
    seen, cursor = [], None
    while True:
        response = client.get("/users?limit=3" + (f"&cursor={cursor}" if cursor else ""))
        seen += [u["id"] for u in response.json_body["items"]]
        cursor = response.json_body["next_cursor"]
        if not cursor:
            break
    assert len(seen) == len(set(seen)) == User.objects.filter(organization=world.customer_a1).count()


def test_another_tenants_user_is_404(api, world):
    other = world.user("a2.global_admin")
    before = database_state()

    assert api("a1.global_admin").get(f"/users/{other.pk}").status_code == 404
    assert api("a1.global_admin").patch(f"/users/{other.pk}", {"blocked": True}).status_code == 404
    assert api("a1.global_admin").delete(f"/users/{other.pk}").status_code == 404
    assert api("a1.global_admin").post(f"/users/{other.pk}/reset-password", {}).status_code == 404
    assert api("a1.global_admin").get("/users/not-a-uuid").status_code == 404
    assert database_state() == before


# --- Edit, block, passwords, roles -----------------------------------------------------------


def test_edit_profile_and_block_then_unblock(api, world):
    client = api("a1.user_admin")
    target = world.user("a1.user")

    edited = client.patch(
        f"/users/{target.pk}",
        {"display_name": "Uma User", "department": "Sales", "usage_location": "cn", "blocked": True},
    )

    assert edited.status_code == 200, edited.json_body
    assert edited.json_body["department"] == "Sales"
    assert edited.json_body["usage_location"] == "CN"
    assert edited.json_body["blocked"] is True
    assert not fresh(target).is_active
    assert AuditEvent.objects.filter(action="user.updated", object_id=str(target.pk)).count() == 1
    assert AuditEvent.objects.filter(action="user.blocked", object_id=str(target.pk)).count() == 1

    assert client.patch(f"/users/{target.pk}", {"blocked": False}).json_body["blocked"] is False
    assert AuditEvent.objects.filter(action="user.unblocked", object_id=str(target.pk)).count() == 1


def test_a_blocked_users_token_stops_working(api, world):
    target_client = api("a1.user_admin")
    assert target_client.get("/me").status_code == 200
    api("a1.global_admin").patch(f"/users/{world.user('a1.user_admin').pk}", {"blocked": True})
    assert target_client.get("/me").status_code == 401


def test_the_last_global_admin_cannot_be_blocked_or_deleted(api, world):
    only_admin = world.user("a1.global_admin")
    agent = api("a.admin_agent", on_behalf_of=world.customer_a1.pk)  # delegated global admin
    before = database_state()

    blocked = agent.patch(f"/users/{only_admin.pk}", {"blocked": True})
    deleted = agent.delete(f"/users/{only_admin.pk}")

    assert (blocked.status_code, blocked.json_body["error"]["code"]) == (409, "last_global_admin")
    assert (deleted.status_code, deleted.json_body["error"]["code"]) == (409, "last_global_admin")
    assert database_state() == before


def test_a_user_admin_cannot_take_over_an_admin(api, world):
    admin = world.user("a1.global_admin")
    client = api("a1.user_admin")
    before = database_state()

    for response in [
        client.post(f"/users/{admin.pk}/reset-password", {}),
        client.patch(f"/users/{admin.pk}", {"blocked": True}),
        client.patch(f"/users/{admin.pk}", {"user_principal_name": "x@contoso.partnerdesk.test"}),
        client.patch(f"/users/{admin.pk}", {"must_change_password": True}),
        client.delete(f"/users/{admin.pk}"),
    ]:
        assert response.status_code == 403
        assert response.json_body["error"]["code"] == "admin_target"
    assert database_state() == before
    # Plain users are theirs to manage.
    assert client.post(f"/users/{world.user('a1.user').pk}/reset-password", {}).status_code == 200


def test_reset_password_returns_a_temporary_password_once(api, world, client):
    target = world.user("a1.user")
    response = api("a1.global_admin").post(f"/users/{target.pk}/reset-password", {})

    assert response.status_code == 200
    password = response.json_body["temporary_password"]
    assert fresh(target).check_password(password)
    assert fresh(target).must_change_password
    signed_in = client.post("/account/signin/", {"email": target.email, "password": password})
    assert signed_in.url == "/account/password/"


def test_reset_password_by_mail_goes_through_real_smtp(api, world, smtp_server):
    target = world.user("a1.user")
    response = api("a1.global_admin").post(f"/users/{target.pk}/reset-password", {"send_to": "uma@home.test"})
    call_command("worker", "--once")

    assert response.json_body == {"temporary_password": "", "mailed_to": "uma@home.test"}
    assert len(smtp_server.messages) == 1
    mail = smtp_server.messages[0]
    assert mail["To"] == "uma@home.test"
    password = mail.get_content().split("Temporary password: ")[1].split()[0]
    assert fresh(target).check_password(password)


def test_require_password_change(api, world):
    target = world.user("a1.user")
    response = api("a1.user_admin").patch(f"/users/{target.pk}", {"must_change_password": True})
    assert response.json_body["must_change_password"] is True
    assert AuditEvent.objects.filter(action="user.password_change_required").count() == 1


def test_admin_roles_are_set_by_a_global_admin_only(api, world):
    target = world.user("a1.user")
    before = database_state()
    assert (
        api("a1.user_admin").post(f"/users/{target.pk}/roles", {"admin_roles": ["global_admin"]}).status_code
        == 403
    )
    assert database_state() == before

    response = api("a1.global_admin").post(f"/users/{target.pk}/roles", {"admin_roles": ["licence_admin"]})
    assert response.json_body["admin_roles"] == ["licence_admin"]
    response = api("a1.global_admin").post(f"/users/{target.pk}/roles", {"admin_roles": []})
    assert response.json_body["admin_roles"] == []
    assert list(RoleAssignment.objects.filter(user=target).values_list("role", flat=True)) == ["user"]
    bad = api("a1.global_admin").post(f"/users/{target.pk}/roles", {"admin_roles": ["admin_agent"]})
    assert bad.status_code == 400


# --- Delete, restore, purge ------------------------------------------------------------------


def test_delete_hides_the_user_and_restore_brings_it_back(api, world, client):
    target = world.user("a1.user")
    admin = api("a1.global_admin")

    assert admin.delete(f"/users/{target.pk}").status_code == 204
    assert admin.get(f"/users/{target.pk}").status_code == 404
    assert target.email not in {
        u["user_principal_name"] for u in admin.get("/users?limit=200").json_body["items"]
    }
    assert [u["id"] for u in admin.get("/deleted-users").json_body["items"]] == [str(target.pk)]
    refused = client.post("/account/signin/", {"email": target.email, "password": "Correct-horse-battery-9"})
    assert refused.status_code == 400

    restored = admin.post(f"/users/{target.pk}/restore")
    assert restored.status_code == 200
    assert restored.json_body["deleted_at"] is None
    assert fresh(target).is_active
    assert [e.action for e in AuditEvent.objects.filter(object_id=str(target.pk)).order_by("id")] == [
        "user.deleted",
        "user.restored",
    ]


def test_a_user_cannot_delete_itself(api, world):
    me = world.user("a1.user_admin")
    assert api("a1.user_admin").delete(f"/users/{me.pk}").status_code == 403


def test_the_worker_purges_users_deleted_longer_ago_than_the_retention(api, world):
    old, recent = world.user("a1.user"), world.user("a1.privacy_reader")
    api("a1.global_admin").delete(f"/users/{old.pk}")
    api("a1.global_admin").delete(f"/users/{recent.pk}")
    User.objects.filter(pk=old.pk).update(deleted_at=timezone.now() - timedelta(days=31))

    purge_deleted_users()
    purge_deleted_users()  # a second run finds nothing more

    assert not User.objects.filter(pk=old.pk).exists()
    assert User.objects.filter(pk=recent.pk).exists()
    purged = AuditEvent.objects.filter(action="user.purged")
    assert [(e.object_id, e.channel, e.organization_id) for e in purged] == [
        (str(old.pk), "job", world.customer_a1.pk)
    ]
    # The audit trail of the purged user survives it.
    assert AuditEvent.objects.filter(action="user.deleted", object_id=str(old.pk)).exists()


def test_a_restored_user_is_not_purged(world):
    user = world.user("a1.user")
    User.objects.filter(pk=user.pk).update(deleted_at=timezone.now() - timedelta(days=40))
    User.objects.filter(pk=user.pk).update(deleted_at=None)
    assert users.purge_deleted_users() == 0


# --- On behalf of ----------------------------------------------------------------------------


def test_a_partner_agent_creates_a_user_on_behalf_and_the_audit_says_so(api, world):
    agent = api("a.admin_agent", on_behalf_of=world.customer_a1.pk)

    response = agent.post("/users", NEW_USER)

    assert response.status_code == 201, response.json_body
    event = AuditEvent.objects.get(action="user.created")
    assert event.actor_email == "admin_agent@fabrikam.test"
    assert event.actor_organization == world.partner_a
    assert event.on_behalf_of == world.customer_a1
    assert event.organization == world.customer_a1
    assert event.channel == "api"
    # The customer's own audit API shows who did it.
    log = api("a1.global_admin").get("/audit-events?action=user.created").json_body["items"]
    assert [e["actor_email"] for e in log] == ["admin_agent@fabrikam.test"]


def test_a_partner_without_a_relationship_cannot_act_on_behalf(api, world):
    before = database_state()
    for key, customer in [("a.admin_agent", world.customer_a2), ("b.admin_agent", world.customer_a1)]:
        response = api(key, on_behalf_of=customer.pk).post("/users", NEW_USER)
        assert response.status_code in {401, 403}
    assert api("a.sales_agent", on_behalf_of=world.customer_a1.pk).get("/users").status_code in {401, 403}
    assert database_state() == before


# --- Pages -----------------------------------------------------------------------------------


def test_the_users_page_creates_blocks_and_unblocks(web, world):
    client = web("a1.global_admin")

    page = client.get("/admin/users/")
    assert page.status_code == 200
    assert b"user@contoso.test" in page.content
    created = client.post(
        "/admin/users/new/",
        {"username": "mei", "domain": "contoso.partnerdesk.test", "display_name": "Mei Chen"},
    )
    assert created.status_code == 200
    assert b"temporary-password" in created.content
    mei = User.objects.get(email="mei@contoso.partnerdesk.test")
    assert client.post(f"/admin/users/{mei.pk}/block/", {"blocked": "1"}).status_code == 302
    assert fresh(mei).blocked
    assert client.post(f"/admin/users/{mei.pk}/block/", {"blocked": "0"}).status_code == 302
    assert not fresh(mei).blocked
    detail = client.get(f"/admin/users/{mei.pk}/")
    assert detail.status_code == 200 and b"Mei Chen" in detail.content


def test_pages_refuse_wrong_roles_and_hide_other_tenants(web, world):
    other = world.user("a2.global_admin")
    before = database_state()

    assert web("a1.licence_admin").get("/admin/users/new/").status_code == 403
    assert (
        web("a1.licence_admin")
        .post(f"/admin/users/{world.user('a1.user').pk}/block/", {"blocked": "1"})
        .status_code
        == 403
    )
    assert web("a1.user").get("/admin/users/").status_code == 403
    assert web("a1.global_admin").get(f"/admin/users/{other.pk}/").status_code == 404
    assert web("a1.global_admin").post(f"/admin/users/{other.pk}/block/", {"blocked": "1"}).status_code == 404
    assert web("a1.global_admin").post(f"/admin/users/{other.pk}/delete/").status_code == 404
    assert web("a.admin_agent").get("/admin/users/").status_code == 403
    assert database_state() == before


def test_the_users_page_exports_csv(web, world):
    response = web("a1.user_admin").get("/admin/users/?format=csv&q=contoso")
    body = b"".join(response.streaming_content).decode()
    lines = body.strip().splitlines()
    assert lines[0].startswith("user_principal_name,display_name,job_title")
    assert len(lines) == 1 + User.objects.filter(organization=world.customer_a1).count()
    assert "admin@adatum.test" not in body


def test_licensed_filter_and_the_user_page_show_licences(api, web, world):
    from partnerdesk.catalog.models import Product, Sku
    from partnerdesk.subscriptions.models import LicenseAssignment

    sku = Sku.objects.create(product=Product.objects.create(name="Office"), name="Office E3")
    licensed = world.user("a1.user")
    LicenseAssignment.objects.create(customer=world.customer_a1, sku=sku, user=licensed)
    client = api("a1.global_admin")

    yes = [u["user_principal_name"] for u in client.get("/users?licensed=yes").json_body["items"]]
    no = [u["user_principal_name"] for u in client.get("/users?licensed=no&limit=200").json_body["items"]]

    assert yes == [licensed.email]
    assert (
        licensed.email not in no
        and len(no) == User.objects.filter(organization=world.customer_a1).count() - 1
    )
    page = web("a1.global_admin").get(f"/admin/users/{licensed.pk}/")
    assert b"Office E3" in page.content
    assert f'href="/admin/licenses/{sku.pk}/"'.encode() in page.content
    assert f'href="/admin/licenses/users/{licensed.pk}/"'.encode() in page.content


def test_delegated_roles_limit_what_an_agent_may_do(api, world):
    from datetime import timedelta as days

    from partnerdesk.tenancy.models import DelegatedRelationship

    now = timezone.now()
    DelegatedRelationship.objects.create(
        partner=world.partner_a,
        customer=world.customer_a2,
        name="Licences only",
        roles=["licence_admin"],
        duration_days=30,
        status=DelegatedRelationship.Status.ACTIVE,
        decided_at=now,
        expires_at=now + days(days=30),
    )
    agent = api("a.helpdesk_agent", on_behalf_of=world.customer_a2.pk)
    before = database_state()

    listed = agent.get("/users")
    created = agent.post("/users", {**NEW_USER, "user_principal_name": "x@adatum.partnerdesk.test"})

    assert [u["user_principal_name"] for u in listed.json_body["items"]] == ["admin@adatum.test"]
    assert created.status_code == 403
    assert agent.get("/domains").status_code == 403
    assert database_state() == before


def test_the_last_global_admin_keeps_the_role(api, world):
    agent = api("a.admin_agent", on_behalf_of=world.customer_a1.pk)
    only_admin = world.user("a1.global_admin")
    before = database_state()

    response = agent.post(f"/users/{only_admin.pk}/roles", {"admin_roles": ["user_admin"]})

    assert (response.status_code, response.json_body["error"]["code"]) == (409, "last_global_admin")
    assert database_state() == before
    # With a second global admin, the first may be demoted.
    agent.post(f"/users/{world.user('a1.user').pk}/roles", {"admin_roles": ["global_admin"]})
    assert agent.post(f"/users/{only_admin.pk}/roles", {"admin_roles": ["user_admin"]}).status_code == 200


def test_a_refused_part_of_a_user_patch_leaves_nothing_changed(api, world):
    # A user admin may edit their own profile but not block an admin (themselves included): the
    # refusal must not leave the profile half changed.
    me = world.user("a1.user_admin")
    before = database_state()

    response = api("a1.user_admin").patch(f"/users/{me.pk}", {"display_name": "Renamed", "blocked": True})

    assert response.status_code == 403
    assert response.json_body["error"]["code"] == "admin_target"
    assert database_state() == before
