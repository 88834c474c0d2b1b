"""The API answers what its OpenAPI document says, for the requests a client really makes.

The fuzz (`test_api_fuzz.py`) sends generated requests, which mostly name objects that do not exist.
Here the tiny world is filled through the API's own creating operations (every case of the
idempotency test, `test_every_create.py`, with its valid bodies; then the health issue and the
message are published), and every GET and PATCH of the document is sent as each role: an operator
admin, a partner admin agent, a customer global admin, and the partner agent acting for that
customer with `X-On-Behalf-Of`. Path parameters name real objects: an organization's own app or
webhook endpoint is the first of the role's own list, every other object is the one the creating
operations made (partner A's and its customer Contoso's, which each role reaches as far as it may).
PATCHes send their required fields (`{}` for most).

Every answer, the creating POSTs' included, must have a documented status and content type and a
body its schema allows: the fuzz's own checks (`conformance.CHECKS`). A refusal is an answer too:
its status must be documented and its body the error shape.

The Graph-compatible surface (`/graph/v1.0/`) has no document of its own to compare with.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any
from urllib.parse import urlencode

import pytest

from partnerdesk.access.tests.test_isolation_matrix import Bodies
from partnerdesk.idempotency.tests.test_every_create import CASES, World2
from partnerdesk.support.models import InboundMail
from partnerdesk.testing import World
from partnerdesk.tests.conformance import ROLES, conformance_failures
from partnerdesk.urls import api as ninja_api

API_PREFIX = "/api/v1"
# Each organization makes an app and a webhook endpoint of its own (partner A's come with CASES):
# the parameters naming them are filled from the role's own list.
OWN_OBJECTS = {"app_id": "POST /api/v1/oauth-apps", "endpoint_id": "POST /api/v1/webhook-endpoints"}
# The creating operation whose object a path parameter names.
MADE = {
    "partner_id": "POST /api/v1/partners",
    "relationship_id": "POST /api/v1/customers/{customer_id}/relationship-requests",
    "product_id": "POST /api/v1/catalog/products",
    "sku_id": "POST /api/v1/catalog/skus",
    "offer_id": "POST /api/v1/catalog/offers",
    "subscription_id": "POST /api/v1/customers/{customer_id}/subscriptions",
    "issue_id": "POST /api/v1/health/issues",
    "message_id": "POST /api/v1/messages",
    "user_id": "POST /api/v1/users",
    "group_id": "POST /api/v1/groups",
}
# Optional query parameters without which an operation only says what is missing.
QUERIES = {
    "/api/v1/help-articles": {"q": "password"},
    "/api/v1/subscriptions/{subscription_id}/change-preview": {"type": "increase", "seats": "8"},
    "/api/v1/entitlements/check": {"user": "li@contoso.partnerdesk.test", "service": "exchange"},
}
# Made after CASES (as the operator's communications manager): readers see published posts only.
PUBLISHED = ("/api/v1/health/issues/{issue_id}/publish", "/api/v1/messages/{message_id}/publish")


def made_value(built: World2, name: str, template: str) -> str:
    """The object the creating operations made that parameter `name` of `template` names."""
    if name == "customer_id":
        return str(built.world.customer_a1.pk)  # the customer the made objects belong to
    if name == "request_id":
        for noun in ("service-requests", "change-requests", "support-requests"):
            if f"/{noun}/" in template:
                return built.id(f"POST /api/v1/{noun}")
    if name == "attachment_id":
        if "/messages/" in template:
            return built.id("POST /api/v1/messages/{message_id}/attachments")
        return built.id("POST /api/v1/support-requests/{request_id}/attachments")
    if name == "name":
        return str(built.made("POST /api/v1/domains")["name"])
    if name == "service_key":
        return str(built.made("POST /api/v1/health/services")["key"])
    if name == "mail_id":
        return str(InboundMail.objects.get().public_id)  # unscoped: the one mail of the test's world
    return built.id(MADE.get(name) or OWN_OBJECTS[name])


def check(method: str, template: str, response: Any, label: str, headers: dict[str, str]) -> str | None:
    """What in `response` to `method template` the document does not allow, as a line, or None."""
    failure = conformance_failures(
        method.upper(), template, response, path=response.request["PATH_INFO"], headers=headers
    )
    if failure is None:
        return None
    body = "" if response.streaming else response.content[:200].decode(errors="replace")
    return (
        f"{method.upper()} {template} as {label}: {response.status_code} {body}\n    "
        + failure.strip().replace("\n", "\n    ")
    )


class Role:
    """One role's client, and the ids of its own objects."""

    def __init__(self, label: str, client: Any, built: World2) -> None:
        self.label = label
        self.client = client
        self.built = built
        self.lists: dict[str, list[dict[str, Any]]] = {}

    def own(self, name: str, template: str) -> str:
        """The role's first own object at the list above parameter `name`, else the made one."""
        path = template[len(API_PREFIX) : template.index(f"/{{{name}}}")]
        if path not in self.lists:
            response = self.client.get(path)
            body = response.json_body if response.status_code == 200 else None
            self.lists[path] = list(body["items"]) if isinstance(body, dict) else []
        items = self.lists[path]
        return str(items[0]["id"]) if items else made_value(self.built, name, template)

    def path(self, template: str) -> str:
        values = {
            name: self.own(name, template) if name in OWN_OBJECTS else made_value(self.built, name, template)
            for name in re.findall(r"{(\w+)}", template)
        }
        path = template.format(**values)[len(API_PREFIX) :]
        query = QUERIES.get(template)
        return f"{path}?{urlencode(query)}" if query else path


@pytest.fixture
def built(world: World, api: Any, settings: Any, tmp_path: Any) -> World2:
    """The tiny world, filled through every creating operation of the document."""
    settings.MEDIA_ROOT = tmp_path / "files"
    built = World2(world, api)
    # The add-on rule last: it makes the upgrade's target an add-on, which nothing upgrades to.
    for operation in sorted(CASES, key=lambda operation: operation.endswith("/addon-rules")):
        built.made(operation)
    InboundMail.objects.create(
        message_id="<lost@contoso.test>",
        status=InboundMail.Status.QUARANTINED,
        partner=world.partner_a,
        sender="chen@contoso.test",
        subject="Where is my request?",
        error="no request number in the subject",
        raw=b"Subject: Where is my request?\r\n\r\nHello.\r\n",
    )
    return built


def test_every_answer_on_the_tiny_world_matches_the_document(built: World2, api: Any) -> None:
    document = ninja_api.get_openapi_schema()
    bodies = Bodies(document)
    failures: list[str | None] = []
    statuses: Counter[int] = Counter()
    counts: Counter[str] = Counter()

    def checked(method: str, template: str, response: Any, label: str, headers: dict[str, str]) -> None:
        failures.append(check(method, template, response, label, headers))
        statuses[response.status_code] += 1

    for operation, answer in built.answers.items():
        template = operation.split(" ")[1]
        user = CASES[operation].user if operation in CASES else "operator.catalog_manager"
        checked("post", template, answer, str(user), {})
        counts["creating POSTs"] += 1

    publisher = api("operator.communications_manager")
    for template in PUBLISHED:
        path = template.replace("{issue_id}", built.id("POST /api/v1/health/issues"))
        path = path.replace("{message_id}", built.id("POST /api/v1/messages"))
        checked("post", template, publisher.post(path[len(API_PREFIX) :]), "publisher", publisher.headers)
        counts["publishing POSTs"] += 1
    roles = [Role(key, api(key), built) for key in ROLES]
    roles.append(
        Role("a.admin_agent for a1", api("a.admin_agent", on_behalf_of=built.world.customer_a1.pk), built)
    )
    for role in roles[::2]:  # the operator's and the customer's own app and endpoint
        for operation in OWN_OBJECTS.values():
            request = CASES[operation].request(built)
            template = operation.split(" ")[1]
            checked(
                "post",
                template,
                role.client.post(request.path, request.json),
                role.label,
                role.client.headers,
            )
            counts["creating POSTs"] += 1

    for template, operations in document["paths"].items():
        for method in ("get", "patch"):
            if method not in operations:
                continue
            counts[f"{method.upper()}s"] += 1
            body = None
            if method == "patch":
                schema = operations[method]["requestBody"]["content"]["application/json"]["schema"]
                body = bodies.example(schema, "", lambda name: None)
            for role in roles:
                client = role.client
                response = (
                    client.patch(role.path(template), body)
                    if body is not None
                    else client.get(role.path(template))
                )
                checked(method, template, response, role.label, client.headers)
                if 304 in operations[method]["responses"] and response.has_header("ETag"):
                    # A polled list asked again with its ETag: the documented 304.
                    unchanged = {"If-None-Match": response["ETag"]}
                    again = client.get(role.path(template), headers=unchanged)
                    checked(method, template, again, role.label, {**client.headers, **unchanged})
                    counts["conditional GETs"] += 1

    reading = counts["GETs"] + counts["PATCHs"]
    line = (
        f"{len(failures)} answers checked against the document: {counts['creating POSTs']} creating and "
        f"{counts['publishing POSTs']} publishing POSTs, then ({counts['GETs']} GETs + {counts['PATCHs']} "
        f"PATCHes) = {reading} operations x {len(roles)} roles ({', '.join(r.label for r in roles)}) "
        f"= {reading * len(roles)}, and {counts['conditional GETs']} GETs again with their ETag; statuses: "
        + ", ".join(f"{status}: {count}" for status, count in sorted(statuses.items()))
    )
    print(line)
    mismatches = [failure for failure in failures if failure is not None]
    assert not mismatches, f"{len(mismatches)} answers the document does not allow:\n" + "\n".join(mismatches)
