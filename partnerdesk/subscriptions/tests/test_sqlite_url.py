"""The embedded default holds under any SQLite URL: concurrent writers queue, none sees a 500."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from partnerdesk.access.permissions import Role
from partnerdesk.settings import database_from_url
from partnerdesk.subscriptions.models import LicenseAssignment
from partnerdesk.subscriptions.tests.conftest import Catalog, subscribe
from partnerdesk.testing import World, make_user

ROOT = Path(__file__).resolve().parents[3]


def test_an_explicit_sqlite_url_gets_the_default_files_settings(tmp_path: Path) -> None:
    default = database_from_url(None)
    explicit = database_from_url(f"sqlite:///{tmp_path}/elsewhere.sqlite3")
    assert explicit["NAME"] == f"{tmp_path}/elsewhere.sqlite3"
    assert explicit["OPTIONS"] == default["OPTIONS"]
    assert explicit["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in explicit["OPTIONS"]["init_command"]
    assert explicit["TEST"]["NAME"].startswith(f"{tmp_path}/elsewhere-test-")


def test_a_postgresql_url_keeps_its_options_and_caps_join_planning() -> None:
    parsed = database_from_url("postgres://u@127.0.0.1:5432/d?options=-c%20statement_timeout%3D5000")
    assert parsed["OPTIONS"]["options"] == "-c statement_timeout=5000 -c join_collapse_limit=4"


@pytest.mark.django_db(transaction=True)
def test_twelve_concurrent_assignments_at_ten_free_seats(api: Any, world: World, catalog: Catalog) -> None:
    subscribe(world, catalog.basic_monthly, 10)
    contenders = [make_user(world.customer_a1, f"queue{i}@contoso.test", [Role.USER]) for i in range(12)]
    clients = [api("a1.licence_admin") for _ in contenders]
    barrier = threading.Barrier(len(contenders))
    statuses: list[tuple[int, str]] = []
    lock = threading.Lock()

    def attempt(client: Any, user: Any) -> None:
        try:
            barrier.wait()
            response = client.post(
                "/licenses/assign", {"sku_id": str(catalog.basic.pk), "user_ids": [str(user.pk)]}
            )
            body = response.json_body if response.status_code != 200 else {}
            with lock:
                statuses.append((response.status_code, body.get("error", {}).get("code", "")))
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=pair) for pair in zip(clients, contenders, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(statuses) == [(200, "")] * 10 + [(409, "out_of_licenses")] * 2
    assert LicenseAssignment.objects.filter(customer=world.customer_a1).count() == 10


def test_the_concurrency_case_holds_under_an_explicit_sqlite_url(tmp_path: Path) -> None:
    environment = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path}/explicit.sqlite3"}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            # The tables from the models: this test is about SQLite's locking, not the migrations.
            "--no-migrations",
            f"{Path(__file__).relative_to(ROOT)}::test_twelve_concurrent_assignments_at_ten_free_seats",
        ],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "1 passed" in result.stdout
