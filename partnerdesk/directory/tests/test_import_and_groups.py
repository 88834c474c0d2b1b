"""CSV import (per-row report, nothing half-imported, idempotent re-run) and security groups."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from partnerdesk.accounts.models import User
from partnerdesk.audit.models import AuditEvent
from partnerdesk.directory.models import Group, GroupMembership
from partnerdesk.testing import database_state

pytestmark = pytest.mark.django_db

CSV = (
    "user_principal_name,display_name,job_title,department,usage_location,phone\n"
    "li@contoso.partnerdesk.test,Li Na,Engineer,R&D,CN,+86 1\n"
    "bad-name,No Domain,,,,\n"
    "wang@elsewhere.test,Wang Wei,,,,\n"
    "zhao@contoso.partnerdesk.test,,,,,\n"
    "sun@contoso.partnerdesk.test,Sun Li,,,CHN,\n"
    "user@contoso.test,Existing Elsewhere,,,,\n"
    "admin@adatum.test,Other tenant,,,,\n"
    "qian@contoso.partnerdesk.test,Qian Yu,,Sales,,\n"
)


def test_import_creates_good_rows_reports_bad_ones_and_reruns_without_duplicates(api, world):
    client = api("a1.user_admin")

    first = client._call("post", "/users/import", headers={}, data=CSV.encode(), content_type="text/csv")

    assert first.status_code == 200, first.json_body
    report = first.json_body
    statuses = {row["line"]: (row["status"], row["reason"]) for row in report["rows"]}
    assert statuses[2][0] == "created"
    assert statuses[3][0] == "failed" and "not a valid user name" in statuses[3][1]
    assert statuses[4][0] == "failed" and "not a verified domain" in statuses[4][1]
    assert statuses[5][0] == "failed" and "display name" in statuses[5][1]
    assert statuses[6][0] == "failed" and "two-letter" in statuses[6][1]
    assert statuses[7][0] == "failed"  # contoso.test is not a domain of the tenant
    assert statuses[8][0] == "failed"
    assert statuses[9][0] == "created"
    assert (report["created"], report["existing"], report["failed"]) == (2, 0, 6)
    li = User.objects.get(email="li@contoso.partnerdesk.test")
    assert (li.job_title, li.department, li.usage_location, li.phone) == ("Engineer", "R&D", "CN", "+86 1")
    assert all(r["temporary_password"] for r in report["rows"] if r["status"] == "created")
    assert not User.objects.filter(
        email__in=["sun@contoso.partnerdesk.test", "zhao@contoso.partnerdesk.test"]
    ).exists()
    state = database_state()

    again = client._call("post", "/users/import", headers={}, data=CSV.encode(), content_type="text/csv")

    assert (again.json_body["created"], again.json_body["existing"], again.json_body["failed"]) == (0, 2, 6)
    assert database_state() == state
    assert AuditEvent.objects.filter(action="user.created").count() == 2


def test_import_page_shows_the_report(web, world):
    client = web("a1.global_admin")
    upload = SimpleUploadedFile("users.csv", CSV.encode(), content_type="text/csv")

    response = client.post("/admin/users/import/", {"file": upload})

    assert response.status_code == 200
    assert b"2 created, 0 already existed, 6 failed." in response.content
    assert b"not a verified domain" in response.content


def test_import_refuses_a_file_without_the_columns_and_wrong_roles(api, web, world):
    before = database_state()
    missing = api("a1.user_admin")._call(
        "post", "/users/import", headers={}, data=b"name\nx\n", content_type="text/csv"
    )
    assert missing.status_code == 400
    assert missing.json_body["error"]["code"] == "invalid_csv"
    forbidden = api("a1.licence_admin")._call(
        "post", "/users/import", headers={}, data=CSV.encode(), content_type="text/csv"
    )
    assert forbidden.status_code == 403
    assert web("a1.licence_admin").get("/admin/users/import/").status_code == 403
    assert database_state() == before


def test_groups_with_members_and_owners(api, world):
    client = api("a1.user_admin")
    group = client.post("/groups", {"name": "Sales", "description": "Sales team"}).json_body
    member, owner = world.user("a1.user"), world.user("a1.global_admin")

    assert client.post(f"/groups/{group['id']}/members", {"user_id": str(member.pk)}).status_code == 201
    assert (
        client.post(f"/groups/{group['id']}/members", {"user_id": str(owner.pk), "role": "owner"}).status_code
        == 201
    )
    assert (
        client.post(f"/groups/{group['id']}/members", {"user_id": str(member.pk)}).status_code == 201
    )  # no-op

    members = client.get(f"/groups/{group['id']}/members").json_body["items"]
    assert [(m["user_principal_name"], m["role"]) for m in members] == [
        ("user@contoso.test", "member"),
        ("global_admin@contoso.test", "owner"),
    ]
    assert client.post("/groups", {"name": "Sales"}).status_code == 409
    assert client.delete(f"/groups/{group['id']}/members/{member.pk}").status_code == 204
    assert GroupMembership.objects.count() == 1
    assert client.delete(f"/groups/{group['id']}").status_code == 204
    assert not Group.objects.exists()
    assert [e.action for e in AuditEvent.objects.order_by("id")] == [
        "group.created",
        "group.member_added",
        "group.member_added",
        "group.member_removed",
        "group.deleted",
    ]


def test_groups_refuse_outsiders_wrong_roles_and_foreign_members(api, web, world):
    group = Group.objects.create(organization=world.customer_a1, name="Sales")
    before = database_state()

    assert api("a1.licence_admin").post("/groups", {"name": "X"}).status_code == 403
    assert api("a2.global_admin").get(f"/groups/{group.pk}").status_code == 404
    assert api("a2.global_admin").delete(f"/groups/{group.pk}").status_code == 404
    foreign = api("a1.global_admin").post(
        f"/groups/{group.pk}/members", {"user_id": str(world.user("a2.global_admin").pk)}
    )
    assert foreign.status_code == 404
    assert web("a2.global_admin").get(f"/admin/groups/{group.pk}/").status_code == 404
    assert web("a1.licence_admin").post(f"/admin/groups/{group.pk}/delete/").status_code == 403
    assert database_state() == before


def test_group_pages(web, world):
    client = web("a1.global_admin")
    created = client.post("/admin/groups/new/", {"name": "Finance"})
    group = Group.objects.get()
    assert created.url == f"/admin/groups/{group.pk}/"
    client.post(
        f"/admin/groups/{group.pk}/members/", {"user_principal_name": "user@contoso.test", "role": "owner"}
    )
    page = client.get(f"/admin/groups/{group.pk}/")
    assert b"user@contoso.test" in page.content
    assert client.get("/admin/groups/").status_code == 200


def test_adding_a_member_the_page_cannot_find_says_why(web, world):
    """The page names the person by user name (any case); the typed input is the API's, by id."""
    client = web("a1.global_admin")
    client.post("/admin/groups/new/", {"name": "Finance"}, follow=True)  # its message read
    group = Group.objects.get()
    url = f"/admin/groups/{group.pk}/members/"

    unknown = client.post(url, {"user_principal_name": "nobody@contoso.test", "role": "owner"}, follow=True)
    no_role = client.post(url, {"user_principal_name": "nobody@contoso.test", "role": "boss"}, follow=True)
    added = client.post(url, {"user_principal_name": " USER@contoso.test ", "role": "owner"}, follow=True)

    assert [str(m) for m in unknown.context["messages"]] == ["No user of this organization has that name."]
    assert [str(m) for m in no_role.context["messages"]] == ["Give a user name and a role."]
    assert GroupMembership.objects.get(group=group).role == "owner"
    assert added.status_code == 200
