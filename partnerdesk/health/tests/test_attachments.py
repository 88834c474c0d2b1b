"""Message center attachments: uploaded by the operator like support's files, downloadable by the
admins the post reaches (web, API, Graph `$value` and `attachmentsArchive`), a 404 for anyone else.
"""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from partnerdesk.health.tests.test_api import _message
from partnerdesk.health.tests.test_graph import BASE, GraphClient, token_for
from partnerdesk.testing import database_state

PNG = b"\x89PNG\r\n\x1a\n" + b"\x01" * 64


def upload(client, path: str, name: str, content: bytes, content_type: str = "text/plain"):
    return client.client.post(
        f"/api/v1{path}",
        {"file": SimpleUploadedFile(name, content, content_type=content_type)},
        headers=client.headers,
    )


@pytest.fixture
def post_with_files(api, world, catalog):
    """A post for partner A's customers with two files, uploaded by the operator over the API."""
    post = _message(api, catalog, world)
    operator = api("operator.communications_manager")
    path = f"/messages/{post['id']}/attachments"
    plan = upload(operator, path, "plan.txt", b"step 1\nstep 2\n")
    shot = upload(operator, path, "shot.png", PNG, "image/png")
    assert plan.status_code == shot.status_code == 201, plan.content
    return post, plan.json(), shot.json()


def test_the_post_lists_its_files(api, post_with_files):
    post, plan, shot = post_with_files
    listed = api("a1.global_admin").get(f"/messages/{post['id']}").json_body["attachments"]
    assert listed == [
        {"id": plan["id"], "name": "plan.txt", "size": 14, "content_type": "text/plain"},
        {"id": shot["id"], "name": "shot.png", "size": len(PNG), "content_type": "image/png"},
    ]


def test_an_admin_in_the_audience_downloads_and_one_outside_gets_404(api, web, post_with_files):
    post, plan, _ = post_with_files
    page = web("a1.global_admin").get(f"/admin/messages/{post['id']}/").content.decode()
    link = f"/admin/messages/{post['id']}/attachments/{plan['id']}/"
    assert f'href="{link}"' in page
    downloaded = web("a1.global_admin").get(link)
    assert downloaded.status_code == 200 and b"".join(downloaded.streaming_content) == b"step 1\nstep 2\n"
    assert downloaded["Content-Disposition"].startswith("attachment")
    assert downloaded["X-Content-Type-Options"] == "nosniff"
    api_download = api("a1.global_admin").client.get(
        f"/api/v1/messages/{post['id']}/attachments/{plan['id']}", headers=api("a1.global_admin").headers
    )
    assert b"".join(api_download.streaming_content) == b"step 1\nstep 2\n"
    before = database_state()
    outsider = web("b1.global_admin").get(link)
    assert outsider.status_code == 404 and b"plan.txt" not in outsider.content
    api_outsider = api("b1.global_admin")
    assert api_outsider.get(f"/messages/{post['id']}").status_code == 404
    refused = api_outsider.client.get(
        f"/api/v1/messages/{post['id']}/attachments/{plan['id']}", headers=api_outsider.headers
    )
    assert refused.status_code == 404 and b"plan.txt" not in refused.content
    assert database_state() == before


def test_graph_value_is_the_uploaded_bytes_and_the_archive_holds_every_file(world, post_with_files):
    post, plan, shot = post_with_files
    display_id = f"MC{post['display_id'][2:]}"
    graph = GraphClient(token_for(world.user("a1.global_admin")))
    listed = graph.get(f"/messages/{display_id}/attachments").body["value"]
    assert {a["id"] for a in listed} == {plan["id"], shot["id"]}
    value = graph.client.get(
        f"{BASE}/messages/{display_id}/attachments/{shot['id']}/$value", headers=graph.headers
    )
    assert value.status_code == 200 and b"".join(value.streaming_content) == PNG
    archive = graph.client.get(f"{BASE}/messages/{display_id}/attachmentsArchive", headers=graph.headers)
    assert archive.status_code == 200 and archive["Content-Type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(archive.content)) as opened:
        assert sorted(opened.namelist()) == ["plan.txt", "shot.png"]
        assert opened.read("plan.txt") == b"step 1\nstep 2\n" and opened.read("shot.png") == PNG


def test_graph_refuses_outsiders_with_404(world, post_with_files):
    post, plan, _ = post_with_files
    graph = GraphClient(token_for(world.user("b1.global_admin")))
    display_id = post["display_id"]
    for path in (
        f"/messages/{display_id}/attachments/{plan['id']}/$value",
        f"/messages/{display_id}/attachmentsArchive",
        f"/messages/{display_id}/attachments/not-a-uuid/$value",
    ):
        response = graph.client.get(f"{BASE}{path}", headers=graph.headers)
        assert response.status_code == 404 and b"plan.txt" not in response.content


def test_uploads_are_checked_like_support_files(api, world, catalog, settings):
    post = _message(api, catalog, world)
    operator = api("operator.communications_manager")
    path = f"/messages/{post['id']}/attachments"
    before = database_state()
    assert upload(operator, path, "fake.png", b"not a png", "image/png").status_code == 415
    assert upload(operator, path, "empty.txt", b"").status_code == 400
    settings.SUPPORT_ATTACHMENT_MAX_BYTES = 4
    assert upload(operator, path, "big.txt", b"12345").status_code == 413
    assert upload(api("a1.global_admin"), path, "plan.txt", b"x").status_code == 403
    assert database_state() == before
