"""A bounded schemathesis run of the whole OpenAPI document, in-process against the WSGI app.

Every operation, as each of three people of the tiny world (an operator admin, a partner admin agent,
a customer global admin), with a few generated requests each, valid and invalid: no answer may be a
5xx, have a status the document does not list, or a body or content type its schema does not allow.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from partnerdesk.wsgi import application

ROLES = ["operator.operator_admin", "a.admin_agent", "a1.global_admin"]
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]

CONFIG = SchemathesisConfig.from_dict(
    {
        "seed": 20260101,  # the same requests on every run: a failure is reproduced by running again
        "generation": {"max-examples": 4, "database": "none"},
        "phases": {"coverage": {"enabled": False}, "stateful": {"enabled": False}},
    }
)
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application, config=CONFIG)


@pytest.fixture
def connection_kept_open() -> Iterator[None]:
    """Keep the test's database connection across requests, as Django's test client does.

    The WSGI handler closes connections when a request ends; in a test that is the one connection
    holding the test's transaction (and, on SQLite, the in-memory database).
    """
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.mark.parametrize("role", ROLES)
@schema.parametrize()
# The world and its tokens are made once per operation and role; the generated requests share them.
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
def test_no_generated_request_breaks_the_document(case, role, api, world, connection_kept_open):
    case.call_and_validate(headers=api(role).headers, checks=CHECKS)
