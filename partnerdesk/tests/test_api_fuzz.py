"""A bounded schemathesis run of the whole OpenAPI document, in-process against the WSGI app.

Every operation, as each of three people of the tiny world (an operator admin, a partner admin agent,
a customer global admin), with a few generated requests each, valid and invalid: no answer may be a
5xx, have a status the document does not list, or a body or content type its schema does not allow.

Then the stateful run: scenarios that follow the document's links (`api._document_links`: from a
create's 201 to the operations on what it made), as each of the three, a few short scenarios each,
under the same checks.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, settings

from partnerdesk.tests.conformance import CHECKS, ROLES, schema


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


@schema.parametrize()
# The world and its tokens are made once per operation; the generated requests share them. Each
# request is sent as each role (the seed gave every role the same requests when each had a test).
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
def test_no_generated_request_breaks_the_document(case, api, world, connection_kept_open):
    for role in ROLES:
        try:
            case.call_and_validate(headers=api(role).headers, checks=CHECKS)
        except BaseException as failure:
            failure.add_note(f"as {role}")
            raise


class Workflow(schema.as_state_machine()):
    """Scenarios along the document's links, as the role the test sets in `headers`."""

    headers: dict[str, str] = {}

    def get_call_kwargs(self, case: Any) -> dict[str, Any]:
        return {"headers": self.headers}

    def validate_response(
        self, response: Any, case: Any, additional_checks: Any = None, **kwargs: Any
    ) -> None:
        case.validate_response(response, checks=CHECKS)


# A few short scenarios per role (each a create, then what its links lead to), seeded like the rest.
STATEFUL = settings(
    max_examples=10,
    stateful_step_count=6,
    phases=[Phase.generate],
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)


@pytest.mark.parametrize("role", ROLES)
def test_no_linked_scenario_breaks_the_document(role, api, world, connection_kept_open):
    Workflow.headers = api(role).headers
    Workflow.run(settings=STATEFUL)
