"""The OpenAPI document as schemathesis reads it, and the checks every answer of the API must pass.

Shared by the generated requests (`test_api_fuzz.py`, stateful included) and the requests a client
really makes on the tiny world (`test_api_responses.py`): one definition of "the answer matches the
document".
"""

from __future__ import annotations

from typing import Any

import requests
import schemathesis
from django.http.response import HttpResponseBase
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from partnerdesk.wsgi import application

DOCUMENT = "/api/v1/openapi.json"
# The people of the tiny world the document is checked as: an operator admin, a partner admin agent, a
# customer global admin.
ROLES = ["operator.operator_admin", "a.admin_agent", "a1.global_admin"]
# No 5xx; a status the operation documents; its content type; a body its schema allows.
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]

CONFIG = SchemathesisConfig.from_dict(
    {
        "seed": 20260101,  # the same requests on every run: a failure is reproduced by running again
        "generation": {"max-examples": 4, "database": "none"},
        "phases": {
            "coverage": {"enabled": False},
            # Scenarios follow the document's own links (none inferred by guessing), from valid
            # requests: an invalid create makes nothing to follow.
            "stateful": {"inference": {"algorithms": []}, "generation": {"mode": "positive"}},
        },
    }
)
schema = schemathesis.openapi.from_wsgi(DOCUMENT, application, config=CONFIG)


def conformance_failures(
    method: str, template: str, response: HttpResponseBase, *, path: str, headers: dict[str, str]
) -> str | None:
    """What in a Django test client's answer to `method path` the document does not allow, or None."""
    streamed = response.streaming
    content = b"".join(response.streaming_content) if streamed else response.content
    answer = schemathesis.Response(
        status_code=response.status_code,
        headers={name.lower(): [value] for name, value in response.items()},
        content=content,
        request=requests.Request(method, f"http://testserver{path}", headers=headers).prepare(),
        elapsed=0.0,
        verify=True,
    )
    case: Any = schema[template][method].Case(headers=headers)
    try:
        case.validate_response(answer, checks=CHECKS)
    except AssertionError as failure:
        return str(failure)
    except BaseExceptionGroup as failures:
        return "\n".join(str(failure) for failure in failures.exceptions)
    return None
