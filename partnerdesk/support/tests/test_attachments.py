"""Attachments: size limit, checked content type, stored outside the web root, downloadable only
by those who may see the request.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from partnerdesk.support.models import Attachment
from partnerdesk.support.tests.conftest import open_request
from partnerdesk.testing import database_state

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def upload(client, path: str, name: str, content: bytes, content_type: str, **data):
    return client.client.post(
        f"/api/v1{path}",
        {"file": SimpleUploadedFile(name, content, content_type=content_type), **data},
        headers=client.headers,
    )


def download(client, attachment_id):
    """Downloads stream; the JSON test client would try to read them as JSON."""
    return client.client.get(f"/api/v1/attachments/{attachment_id}", headers=client.headers)


def test_a_customer_attaches_a_file_and_only_those_who_may_see_the_request_download_it(
    api, world, media_root
):
    customer = api("a1.global_admin")
    request_id = open_request(customer).json_body["id"]

    response = upload(
        customer, f"/support-requests/{request_id}/attachments", "trace.txt", b"hello trace", "text/plain"
    )

    assert response.status_code == 201, response.content
    attachment = Attachment.objects.get()
    stored = Path(attachment.file.path)
    assert stored.read_bytes() == b"hello trace"
    assert stored.is_relative_to(Path(settings.MEDIA_ROOT))
    assert not stored.is_relative_to(Path(settings.STATIC_ROOT))
    assert stored.name == str(attachment.pk)  # the uploader's name never becomes a path

    url = attachment.pk
    downloaded = download(customer, url)
    assert downloaded.status_code == 200
    assert b"".join(downloaded.streaming_content) == b"hello trace"
    assert downloaded["Content-Disposition"].startswith("attachment")
    assert downloaded["X-Content-Type-Options"] == "nosniff"
    assert download(api("a.helpdesk_agent"), url).status_code == 200
    assert download(api("b.admin_agent"), url).status_code == 404
    assert download(api("a2.global_admin"), url).status_code == 404
    assert download(api("operator.support_engineer"), url).status_code == 404
    assert download(api("a.sales_agent"), url).status_code == 403


def test_too_large_and_wrong_type_files_are_refused(api, world, settings):
    customer = api("a1.global_admin")
    request_id = open_request(customer).json_body["id"]
    settings.SUPPORT_ATTACHMENT_MAX_BYTES = 100
    before = database_state()
    path = f"/support-requests/{request_id}/attachments"

    too_large = upload(customer, path, "big.txt", b"x" * 101, "text/plain")
    assert too_large.status_code == 413
    assert too_large.json()["error"]["code"] == "attachment_too_large"
    executable = upload(customer, path, "setup.exe", b"MZ\x90\x00", "application/octet-stream")
    assert executable.status_code == 415
    disguised = upload(customer, path, "photo.png", b"MZ\x90\x00 not a png", "image/png")
    assert disguised.status_code == 415
    html_as_text = upload(customer, path, "page.txt", b"<html>", "text/html")
    assert html_as_text.status_code == 415
    assert database_state() == before
    assert not list(Path(settings.MEDIA_ROOT).rglob("*")) or all(
        p.is_dir() for p in Path(settings.MEDIA_ROOT).rglob("*")
    )


def test_a_real_png_is_accepted(api, world):
    customer = api("a1.global_admin")
    request_id = open_request(customer).json_body["id"]

    response = upload(customer, f"/support-requests/{request_id}/attachments", "shot.png", PNG, "image/png")

    assert response.status_code == 201
    assert response.json()["content_type"] == "image/png"


def test_a_partners_internal_attachment_is_hidden_from_the_customer(api, world):
    customer = api("a1.global_admin")
    request_id = open_request(customer).json_body["id"]

    response = upload(
        api("a.admin_agent"),
        f"/support-requests/{request_id}/attachments",
        "notes.txt",
        b"internal",
        "text/plain",
        internal="true",
    )

    assert response.status_code == 201
    attachment_id = response.json()["id"]
    assert customer.get(f"/support-requests/{request_id}/attachments").json_body["items"] == []
    assert download(customer, attachment_id).status_code == 404
    assert download(api("a.admin_agent"), attachment_id).status_code == 200


def test_an_operator_internal_attachment_is_hidden_from_the_partner(api, world, topic):
    request_id = open_request(api("a1.global_admin")).json_body["id"]
    service_request_id = (
        api("a.admin_agent")
        .post(f"/support-requests/{request_id}/escalate", {"topic_id": str(topic.pk), "severity": "minimal"})
        .json_body["id"]
    )

    shared = upload(
        api("a.admin_agent"),
        f"/service-requests/{service_request_id}/attachments",
        "log.txt",
        b"log",
        "text/plain",
    )
    internal = upload(
        api("operator.support_engineer"),
        f"/service-requests/{service_request_id}/attachments",
        "debug.txt",
        b"debug",
        "text/plain",
        internal="true",
    )

    assert shared.status_code == internal.status_code == 201
    assert download(api("operator.support_engineer"), shared.json()["id"]).status_code == 200
    assert download(api("a.admin_agent"), internal.json()["id"]).status_code == 404
    assert download(api("a1.global_admin"), shared.json()["id"]).status_code == 404


def test_the_web_download_checks_the_portal_too(web, world, api):
    request_id = open_request(api("a1.global_admin")).json_body["id"]
    attachment_id = upload(
        api("a1.global_admin"), f"/support-requests/{request_id}/attachments", "a.txt", b"abc", "text/plain"
    ).json()["id"]

    assert web("a1.global_admin").get(f"/admin/support/files/{attachment_id}/").status_code == 200
    assert web("a.helpdesk_agent").get(f"/partner/support/files/{attachment_id}/").status_code == 200
    assert web("b.admin_agent").get(f"/partner/support/files/{attachment_id}/").status_code == 404
    assert web("a2.global_admin").get(f"/admin/support/files/{attachment_id}/").status_code == 404
    assert (
        web("operator.support_engineer").get(f"/operator/service-requests/files/{attachment_id}/").status_code
        == 404
    )


def test_a_refused_attachment_does_not_leave_the_new_request_opened(web, world):
    before = database_state()

    response = web("a1.global_admin").post(
        "/admin/support/new/",
        {
            "action": "submit",
            "title": "Mail is down",
            "description": "Nothing arrives.",
            "severity": "moderate",
            "contact_name": "Chen",
            "contact_email": "chen@contoso.test",
            "contact_method": "email",
            "attachment": SimpleUploadedFile("tool.exe", b"MZ\x90\x00", "application/octet-stream"),
        },
    )

    assert response.status_code == 415
    assert database_state() == before
