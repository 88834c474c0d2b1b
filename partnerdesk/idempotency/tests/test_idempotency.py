"""Idempotency-Key: a retry replays the first answer, another request under the key is refused."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from partnerdesk.access.permissions import Role
from partnerdesk.catalog.models import Service
from partnerdesk.health.models import HealthIssue
from partnerdesk.idempotency import jobs, services
from partnerdesk.idempotency.models import IdempotencyRecord
from partnerdesk.notifications.jobs import REGISTRY
from partnerdesk.support.models import Attachment
from partnerdesk.tenancy.models import DelegatedRelationship, Organization
from partnerdesk.testing import PASSWORD, World, database_state

OPERATOR = "operator.communications_manager"


@pytest.fixture
def exchange(db: Any) -> Service:
    return Service.objects.create(key="exchange", name="Exchange Online")


def issue_body(exchange: Service, **changes: Any) -> dict[str, Any]:
    return {
        "title": "Mail delivery delays",
        "impact_description": "Users may see delays sending mail.",
        "services": [str(exchange.pk)],
        **changes,
    }


def post_issue(client: Any, exchange: Service, key: str = "issue-1", **changes: Any) -> Any:
    return client.post("/health/issues", issue_body(exchange, **changes), headers={"Idempotency-Key": key})


@pytest.mark.django_db
def test_a_retried_health_issue_is_created_once_and_answered_the_same(
    api: Any, world: World, exchange: Service
) -> None:
    client = api(OPERATOR)
    first = post_issue(client, exchange)
    after_first = database_state()
    again = post_issue(client, exchange)

    assert first.status_code == again.status_code == 201
    assert again.content == first.content and again["Content-Type"] == first["Content-Type"]
    assert again["Idempotent-Replayed"] == "true" and not first.has_header("Idempotent-Replayed")
    assert HealthIssue.objects.count() == 1
    assert database_state() == after_first


@pytest.mark.django_db
def test_a_retried_customer_create_replays_instead_of_domain_taken(api: Any, world: World) -> None:
    client = api("a.admin_agent")
    body = {
        "name": "Northwind Traders",
        "domain_prefix": "northwindtraders",
        "admin": {"display_name": "Nadia", "email": "nadia@northwindtraders.test"},
    }
    first = client.post("/customers", body, headers={"Idempotency-Key": "new-customer"})
    again = client.post("/customers", body, headers={"Idempotency-Key": "new-customer"})
    without_key = client.post("/customers", body)

    assert first.status_code == again.status_code == 201, first.json_body
    assert again.json_body == first.json_body
    assert without_key.status_code == 409 and without_key.json_body["error"]["code"] == "domain_taken"
    assert Organization.objects.filter(name="Northwind Traders").count() == 1


@pytest.mark.django_db
def test_the_same_key_for_another_request_is_refused_and_changes_nothing(
    api: Any, world: World, exchange: Service
) -> None:
    client = api(OPERATOR)
    post_issue(client, exchange)
    before = database_state()

    other_body = post_issue(client, exchange, title="Another outage")
    other_path = client.post(
        "/health/services",
        {"key": "teams", "name": "Microsoft Teams"},
        headers={"Idempotency-Key": "issue-1"},
    )

    for refused in (other_body, other_path):
        assert refused.status_code == 422
        assert refused.json_body["error"]["code"] == "idempotency_key_reused"
    assert database_state() == before


@pytest.mark.django_db
def test_acting_for_a_customer_is_part_of_the_request(api: Any, world: World) -> None:
    body = {
        "title": "Mail stopped",
        "description": "No mail since this morning.",
        "severity": "moderate",
        "contact_name": "Chen",
        "contact_email": "chen@contoso.test",
    }
    headers = {"Idempotency-Key": "for-contoso"}
    acting = api("a.admin_agent", on_behalf_of=world.customer_a1.pk).post(
        "/support-requests", body, headers=headers
    )
    assert acting.status_code == 201, acting.json_body
    now = timezone.now()
    DelegatedRelationship.objects.create(
        partner=world.partner_a,
        customer=world.customer_a2,
        name="Adatum support",
        roles=[Role.GLOBAL_ADMIN],
        duration_days=30,
        status=DelegatedRelationship.Status.ACTIVE,
        decided_at=now,
        expires_at=now + timedelta(days=30),
    )
    before = database_state()

    for_another = api("a.admin_agent", on_behalf_of=world.customer_a2.pk).post(
        "/support-requests", body, headers=headers
    )

    assert for_another.status_code == 422
    assert for_another.json_body["error"]["code"] == "idempotency_key_reused"
    assert database_state() == before


@pytest.mark.django_db
def test_keys_belong_to_their_caller(api: Any, world: World, exchange: Service) -> None:
    mine = post_issue(api(OPERATOR), exchange)
    theirs = post_issue(api("operator.operator_admin"), exchange)

    assert mine.status_code == theirs.status_code == 201
    assert mine.json_body["id"] != theirs.json_body["id"]
    assert not theirs.has_header("Idempotent-Replayed")


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["", "x" * 256, "tab\there", "bell\x07"])
def test_a_malformed_key_is_refused_never_cut(api: Any, world: World, exchange: Service, key: str) -> None:
    before = database_state()
    response = post_issue(api(OPERATOR), exchange, key=key)

    assert response.status_code == 400
    assert response.json_body["error"]["code"] == "invalid_idempotency_key"
    assert database_state() == before


@pytest.mark.django_db
def test_a_key_of_255_characters_is_kept_whole(api: Any, world: World, exchange: Service) -> None:
    key = "k" * 254 + "é"
    assert post_issue(api(OPERATOR), exchange, key=key).status_code == 201
    assert IdempotencyRecord.objects.get().key == key


@pytest.mark.django_db
def test_a_refused_first_attempt_is_not_kept_so_the_fixed_request_may_use_the_key(
    api: Any, world: World, exchange: Service
) -> None:
    client = api(OPERATOR)
    before = database_state()
    unknown_service = issue_body(exchange, services=["00000000-0000-0000-0000-000000000000"])
    refused = client.post("/health/issues", unknown_service, headers={"Idempotency-Key": "fix-me"})
    assert refused.status_code in (400, 404) and refused.json_body["error"]["code"]
    assert database_state() == before

    fixed = post_issue(client, exchange, key="fix-me")
    assert fixed.status_code == 201 and HealthIssue.objects.count() == 1


@pytest.mark.django_db
def test_only_post_is_kept(api: Any, world: World, exchange: Service) -> None:
    client = api(OPERATOR)
    issue = post_issue(client, exchange).json_body
    listed = client.get("/health/issues", headers={"Idempotency-Key": "issue-1"})

    assert listed.status_code == 200 and not listed.has_header("Idempotent-Replayed")
    assert listed.json_body["items"][0]["id"] == issue["id"]
    assert IdempotencyRecord.objects.count() == 1


@pytest.mark.django_db
def test_a_token_from_a_password_is_replayed_but_kept_encrypted(api: Any, world: World) -> None:
    anonymous = api(None)
    body = {"email": "admin_agent@fabrikam.test", "password": PASSWORD}
    first = anonymous.post("/auth/tokens", body, headers={"Idempotency-Key": "sign-in"})
    again = anonymous.post("/auth/tokens", body, headers={"Idempotency-Key": "sign-in"})
    guess = anonymous.post(
        "/auth/tokens", {**body, "password": "Wrong-password-1"}, headers={"Idempotency-Key": "sign-in"}
    )

    assert first.status_code == again.status_code == 201 and again.content == first.content
    assert guess.status_code == 422  # another caller without the password learns nothing
    record = IdempotencyRecord.objects.get()
    assert record.user is None
    assert first.json_body["token"].encode() not in bytes(record.body)
    assert PASSWORD not in record.fingerprint


@pytest.mark.django_db
def test_an_upload_is_fingerprinted_by_its_parts(
    api: Any, world: World, settings: Any, tmp_path: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path
    client = api("a1.service_support_admin")
    created = client.post(
        "/support-requests",
        {
            "title": "Mail stopped",
            "description": "No mail since this morning.",
            "severity": "moderate",
            "contact_name": "Chen",
            "contact_email": "chen@contoso.test",
        },
    )
    url = f"/api/v1/support-requests/{created.json_body['id']}/attachments"
    headers = {**client.headers, "Idempotency-Key": "upload-1"}

    def upload(content: bytes) -> Any:
        from django.core.files.uploadedfile import SimpleUploadedFile

        file = SimpleUploadedFile("trace.txt", content, content_type="text/plain")
        return client.client.post(url, {"file": file}, headers=headers)

    first, again, other = upload(b"trace one"), upload(b"trace one"), upload(b"trace two")

    assert first.status_code == again.status_code == 201 and again.content == first.content
    assert other.status_code == 422
    assert Attachment.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_first_uses_create_one_object(api: Any, world: World, exchange: Service) -> None:
    """On PostgreSQL the twins wait on the key's unique index; on SQLite on the immediate transaction."""
    clients = [api(OPERATOR) for _ in range(8)]
    barrier = threading.Barrier(len(clients))
    answers: list[tuple[int, bytes]] = []
    lock = threading.Lock()

    def attempt(client: Any) -> None:
        try:
            barrier.wait()
            response = post_issue(client, exchange, key="rush")
            with lock:
                answers.append((response.status_code, response.content))
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(answers) == len(clients)
    assert {status for status, _content in answers} == {201}
    assert len({content for _status, content in answers}) == 1
    assert HealthIssue.objects.count() == 1
    assert IdempotencyRecord.objects.count() == 1


@pytest.mark.django_db
def test_the_expiry_job_forgets_keys_after_a_day_in_bounded_batches(
    api: Any, world: World, exchange: Service
) -> None:
    client = api(OPERATOR)
    for number in range(5):
        post_issue(client, exchange, key=f"old-{number}", title=f"Old {number}")
    IdempotencyRecord.objects.update(created_at=timezone.now() - timedelta(hours=25))
    post_issue(client, exchange, key="recent")

    assert services.expire(batch=2) == 2
    assert IdempotencyRecord.objects.count() == 4
    assert REGISTRY["idempotency.expire_keys"].function is jobs.expire_keys
    jobs.expire_keys()
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["recent"]

    # A forgotten key is free again: the retry of a day-old request creates anew.
    assert post_issue(client, exchange, key="old-0", title="Old 0").json_body["id"]
    assert HealthIssue.objects.count() == 7
