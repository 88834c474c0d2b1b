"""The isolation matrix, generated from the route table: another organization's object is never reached.

Rows are not written by hand. The API operations come from the OpenAPI document (every path template
and method), the pages and the Graph-compatible surface from the URL conf (every pattern, walking the
includes; the methods a page's method guard admits, GET and POST otherwise; the methods a Graph view
declares). Every route's enforcing wrapper (`access.entry`) carries what it checks: the permission or
named rule, and for pages the portal. Adding a route adds its rows.

Each route is probed by every user of the tiny world (one per role; the world's outsider,
`b.admin_agent`, among them) and by an anonymous caller: bearer tokens for the API and Graph, a
signed-in session for pages. Every path parameter is filled with an object of the *other* side of the
world, chosen by the parameter's name (`PARAMETERS`): partner B's tree (Litware, its customer Tailspin)
for the operator, partner A and A's customers; partner A's tree (Fabrikam, Contoso) for partner B and
its customers. A route with a parameter `PARAMETERS` does not know fails the test, naming it.

The expected answer is derived, not listed:
- anonymous: 401 for the API and Graph, a redirect to sign-in for pages;
- a principal the wrapper refuses (the one role→permission table, a rule's refusal for a side it does
  not admit, a page's portal entry permission): exactly that refusal's status, 403 (or 404 for the
  rules that refuse as "no such thing");
- a principal the wrapper admits: 404, because the object belongs to another organization.
  Some objects are reached across organizations by design: the operator's console sees every
  partner, customer, subscription and service request (an explicit role), and the catalog and
  the service list are not tenant-owned. For an admitted principal of such a side the parameter is
  filled with an id that names no object instead, so the row still proves "refused or not found,
  nothing changed" (these probes are counted apart as `stand-in`).
- a route without path parameters, for an admitted principal, is probed only when its body carries
  the id of another organization's object (licence assignment, a subscription's offer, …); otherwise
  the principal is simply allowed to list or create its own things, and the row is counted as
  `admitted, nothing foreign to name`.

Bodies are built from the operation's request schema: every required field gets an example value of
its type (foreign ids for fields named like a parameter), so that ninja's validation, which runs
before the wrapper, lets the request reach the refusal. A 422 therefore counts as a failure: it would
mask a missing refusal. Pages are posted an empty form, Graph actions the foreign message's id.

Nothing changed is observed, not assumed: `database_state()` (every row of every table) before and
after all probes of one route (each of its methods). The one change allowed is the audit event of an audited
refusal (`AUDITED_REFUSALS`): a customer trying to change a subscription is recorded, by design.

The counts are written to the test report and printed at the end of the run (`conftest.py`,
"isolation matrix").
"""

from __future__ import annotations

import inspect
import itertools
import json
import re
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from partnerdesk.access.permissions import OrgKind, Role
from partnerdesk.access.principal import Principal, principal_for
from partnerdesk.access.rules import Rule
from partnerdesk.access.tests.test_every_route_declares_permission import PASS_THROUGH
from partnerdesk.access.web import PORTAL_PERMISSIONS
from partnerdesk.accounts.models import API_TOKEN_PREFIX, ApiToken, User, UserSession, hash_token
from partnerdesk.catalog.models import Offer, Product, Service, Sku
from partnerdesk.directory.models import Domain, Group
from partnerdesk.errors import DomainError
from partnerdesk.events.models import Event
from partnerdesk.health.models import HealthIssue, MessageAttachment, MessagePost, PlannedMaintenance
from partnerdesk.integrations import services as integrations
from partnerdesk.integrations.models import OAuthApp
from partnerdesk.mfa.models import Factor
from partnerdesk.subscriptions.models import ChangeRequest, Subscription
from partnerdesk.support.models import (
    Attachment,
    InboundMail,
    PartnerFlag,
    ServiceRequest,
    SupportRequest,
    SupportTopic,
)
from partnerdesk.tenancy.models import DelegatedRelationship, Organization
from partnerdesk.testing import World, database_state, make_user
from partnerdesk.urls import api
from partnerdesk.webhooks.models import WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db

EVERY_SIDE = frozenset(OrgKind)
OPERATOR = frozenset({OrgKind.OPERATOR})
OPERATOR_AND_PARTNERS = frozenset({OrgKind.OPERATOR, OrgKind.PARTNER})

# Refusals that are recorded on purpose: the only rows a refused probe may add.
AUDITED_REFUSALS = {"subscription.change_refused"}

# Refusals an operation's body makes after its wrapper admitted the caller, by their stable code: the
# only 403s accepted where the wrapper's declaration says 404. Each is a kind check still to become a
# named rule (`access.rules`), so that the wrapper refuses and the row is derived.
BODY_REFUSALS = {
    "customer_only": (
        "the directory exists only in a customer's admin center (directory.organization.tenant_of)"
    ),
}

# The API's security schemes a person's bearer token satisfies; an operation without one of them
# (the entitlement check, for the operator's service credentials) refuses every person with 401.
PERSON_SCHEMES = {"TokenAuth"}


# --- The other side's objects --------------------------------------------------------------------


@dataclass
class Tree:
    """One partner's side of the world: objects the other side must never reach."""

    side: str
    partner: Organization
    customer: Organization
    relationship: DelegatedRelationship
    user: User
    token: ApiToken
    user_session: UserSession
    factor: Factor
    group: Group
    domain: Domain
    service: Service
    product: Product
    sku: Sku
    offer: Offer
    subscription: Subscription
    change_request: ChangeRequest
    support_request: SupportRequest
    support_attachment: Attachment
    service_request: ServiceRequest
    service_attachment: Attachment
    issue: HealthIssue
    maintenance: PlannedMaintenance
    message: MessagePost
    message_attachment: MessageAttachment
    flag: PartnerFlag
    mail: InboundMail
    app: OAuthApp
    webhook_endpoint: WebhookEndpoint
    webhook_delivery: WebhookDelivery


def build_tree(world: World, side: str, topic: SupportTopic) -> Tree:
    """Give one side of the world one of everything a path can name, with a marker in its names."""
    partner, customer = (
        (world.partner_a, world.customer_a1) if side == "a" else (world.partner_b, world.customer_b1)
    )
    agent = world.user(f"{side}.admin_agent")
    now = timezone.now()
    marker = f"probe-{side}"
    relationship = DelegatedRelationship.objects.create(
        partner=partner,
        customer=customer,
        name=f"{marker} relationship",
        roles=[Role.GLOBAL_ADMIN],
        duration_days=30,
        status=DelegatedRelationship.Status.PENDING,
    )
    user = make_user(customer, f"{marker}@{customer.initial_domain}", [Role.USER])
    service = Service.objects.create(key=marker, name=f"{marker} service")
    product = Product.objects.create(name=f"{marker} product")
    sku = Sku.objects.create(product=product, name=f"{marker} sku")
    sku.services.set([service])
    offer = Offer.objects.create(sku=sku, name=f"{marker} offer", term="P1M", unit_price=Decimal("5"))
    subscription = Subscription.objects.create(
        customer=customer, partner=partner, offer=offer, quantity=5, term_end=now + timedelta(days=365)
    )
    support_request = SupportRequest.objects.create(
        number=f"SR-{marker}",
        severity="moderate",
        customer=customer,
        partner=partner,
        title=f"{marker} request",
        description="Mail stopped arriving.",
        contact_name="Chen",
        contact_email=f"chen@{customer.initial_domain}",
    )
    service_request = ServiceRequest.objects.create(
        number=f"SV-{marker}",
        severity="moderate",
        partner=partner,
        customer=customer,
        title=f"{marker} service request",
        description="Escalated.",
        topic=topic,
        contact=agent,
    )

    def attachment(**owner: Any) -> Attachment:
        return Attachment.objects.create(
            file=f"probe/{marker}.txt", filename=f"{marker}.txt", content_type="text/plain", size=1, **owner
        )

    number = 990_000 + (1 if side == "a" else 2)
    issue = HealthIssue.objects.create(number=number, title=f"{marker} issue", impact_description="Draft.")
    issue.services.set([service])
    maintenance = PlannedMaintenance.objects.create(
        number=number,
        title=f"{marker} maintenance",
        description="Upgrade.",
        starts_at=now + timedelta(days=2),
        ends_at=now + timedelta(days=2, hours=1),
    )
    maintenance.services.set([service])
    message = MessagePost.objects.create(
        number=number,
        title=f"{marker} message",
        body="For one tenant only.",
        category=MessagePost.Category.STAY_INFORMED,
        audience=MessagePost.Audience.TENANTS,
        status=MessagePost.Status.PUBLISHED,
        published_at=now,
    )
    message.audience_customers.set([customer])
    message.services.set([service])
    raw_token = f"{API_TOKEN_PREFIX}{marker}-{uuid.uuid4().hex}"
    webhook_endpoint = WebhookEndpoint.objects.create(
        organization=partner, url=f"https://{marker}.test/hooks", events=["*"], secret="sealed"
    )
    event = Event.objects.create(
        name="relationship.requested",
        object_type="tenancy.delegatedrelationship",
        object_id=str(relationship.pk),
    )
    return Tree(
        side=side,
        partner=partner,
        customer=customer,
        relationship=relationship,
        user=user,
        token=ApiToken.objects.create(
            user=user, name=marker, prefix=raw_token[:10], token_hash=hash_token(raw_token)
        ),
        user_session=UserSession.objects.create(user=user, session_key=f"{marker}-{uuid.uuid4().hex}"[:40]),
        factor=Factor.objects.create(user=user, kind=Factor.Kind.TOTP, name=f"{marker} phone"),
        group=Group.objects.create(organization=customer, name=f"{marker} group"),
        domain=Domain.objects.create(organization=customer, name=f"{marker}.test"),
        service=service,
        product=product,
        sku=sku,
        offer=offer,
        subscription=subscription,
        change_request=ChangeRequest.objects.create(
            subscription=subscription, customer=customer, partner=partner, kind="increase", quantity=6
        ),
        support_request=support_request,
        support_attachment=attachment(support_request=support_request),
        service_request=service_request,
        service_attachment=attachment(service_request=service_request),
        issue=issue,
        maintenance=maintenance,
        message=message,
        message_attachment=MessageAttachment.objects.create(
            message=message, name=f"{marker}.txt", file=f"probe/{marker}.txt", size=1
        ),
        mail=InboundMail.objects.create(
            message_id=f"<{marker}@mail.test>",
            status=InboundMail.Status.QUARANTINED,
            partner=partner,
            sender=f"someone@{customer.initial_domain}",
            subject=f"{marker} mail",
            error="no request number in the subject",
            raw=b"Subject: probe\r\n\r\nHello.\r\n",
        ),
        flag=PartnerFlag.objects.create(
            partner=partner, service_request=service_request, reason=f"{marker} flag", remediation="Train."
        ),
        app=integrations.register_app(
            principal_for(world.user(f"{side}.partner_global_admin")), name=f"{marker} app", scopes=["read"]
        ).app,
        webhook_endpoint=webhook_endpoint,
        webhook_delivery=WebhookDelivery.objects.create(
            endpoint=webhook_endpoint, event=event, status=WebhookDelivery.Status.SUCCEEDED
        ),
    )


# --- Path parameters, by name --------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """What a path parameter is filled with, and which sides reach that object across organizations.

    `missing` names no object; it replaces `value` for an admitted principal of a side in `reached_by`.
    An enumeration (an action's name) has `reached_by` empty and no `missing`: it is never replaced.
    """

    value: str
    reached_by: frozenset[OrgKind] = frozenset()
    missing: str = field(default_factory=lambda: str(uuid.uuid4()))


def _graph(route: str) -> bool:
    return route.startswith("/graph/")


def _request(tree: Tree, route: str, method: str) -> Target:
    if "service-requests" in route:
        return Target(str(tree.service_request.pk), OPERATOR)
    if "change-requests" in route:
        return Target(str(tree.change_request.pk), OPERATOR)
    return Target(str(tree.support_request.pk))


def _attachment(tree: Tree, route: str, method: str) -> Target:
    if _graph(route) or "/messages/" in route:
        return Target(str(tree.message_attachment.pk), OPERATOR)
    if "service-requests" in route:
        return Target(str(tree.service_attachment.pk), OPERATOR)
    return Target(str(tree.support_attachment.pk))


def _issue(tree: Tree, route: str, method: str) -> Target:
    if _graph(route):
        return Target(tree.issue.display_id, OPERATOR, missing="HI999999999")
    return Target(str(tree.issue.pk), OPERATOR)


def _message(tree: Tree, route: str, method: str) -> Target:
    if _graph(route):
        return Target(tree.message.display_id, OPERATOR, missing="MC999999999")
    return Target(str(tree.message.pk), OPERATOR)


# The verb in a URL, per route: a real one, so that the probe reaches the object's look-up.
ACTIONS = {
    "/operator/health/issues/<issue_id>/<action>/": "publish",
    "/partner/subscriptions/<subscription_id>/<action>/": "suspend",
}


def _action(tree: Tree, route: str, method: str) -> Target:
    if route == "/graph/v1.0/admin/serviceAnnouncement/messages/<action>":
        # GET messages/{id} reads one post; POST messages/markRead acts on the posts the body names.
        return _message(tree, route, method) if method == "GET" else Target("markRead")
    if route not in ACTIONS:
        raise LookupError(f"{route}: add the action this route is probed with to ACTIONS")
    return Target(ACTIONS[route])


PARAMETERS: dict[str, Callable[[Tree, str, str], Target]] = {
    "partner_id": lambda tree, route, method: Target(str(tree.partner.pk), OPERATOR),
    "customer_id": lambda tree, route, method: Target(str(tree.customer.pk), OPERATOR),
    "relationship_id": lambda tree, route, method: Target(str(tree.relationship.pk), OPERATOR),
    "user_id": lambda tree, route, method: Target(str(tree.user.pk)),
    "token_id": lambda tree, route, method: Target(str(tree.token.pk)),
    "session_id": lambda tree, route, method: Target(str(tree.user_session.pk)),
    "factor_id": lambda tree, route, method: Target(str(tree.factor.pk)),
    "group_id": lambda tree, route, method: Target(str(tree.group.pk)),
    "domain_id": lambda tree, route, method: Target(str(tree.domain.pk)),
    "name": lambda tree, route, method: Target(tree.domain.name, missing="no-such-domain.test"),
    "subscription_id": lambda tree, route, method: Target(str(tree.subscription.pk), OPERATOR),
    "request_id": _request,
    "attachment_id": _attachment,
    "issue_id": _issue,
    "message_id": _message,
    "maintenance_id": lambda tree, route, method: Target(str(tree.maintenance.pk), OPERATOR_AND_PARTNERS),
    "service_id": lambda tree, route, method: Target(str(tree.service.pk), OPERATOR_AND_PARTNERS),
    "service_key": lambda tree, route, method: Target(
        tree.service.key, OPERATOR_AND_PARTNERS, missing="no-such-service"
    ),
    "service_name": lambda tree, route, method: Target(
        tree.service.name, OPERATOR_AND_PARTNERS, missing="No such service"
    ),
    # The catalog is the operator's price list, read by every signed-in organization.
    "product_id": lambda tree, route, method: Target(str(tree.product.pk), EVERY_SIDE),
    "sku_id": lambda tree, route, method: Target(str(tree.sku.pk), EVERY_SIDE),
    "offer_id": lambda tree, route, method: Target(str(tree.offer.pk), EVERY_SIDE),
    # The operator flags partners, so it reaches every partner's flags (an explicit role).
    "flag_id": lambda tree, route, method: Target(str(tree.flag.pk), OPERATOR),
    "mail_id": lambda tree, route, method: Target(str(tree.mail.public_id)),
    # An organization's apps are its own: not even the operator reaches another's.
    "app_id": lambda tree, route, method: Target(str(tree.app.pk)),
    # An organization's webhook endpoints are its own on every side, the operator's console included.
    "endpoint_id": lambda tree, route, method: Target(str(tree.webhook_endpoint.pk)),
    "delivery_id": lambda tree, route, method: Target(str(tree.webhook_delivery.pk)),
    "decision": lambda tree, route, method: Target("accept"),
    "what": lambda tree, route, method: Target("sku"),
    "action": _action,
}


def target(name: str, tree: Tree, route: str, method: str) -> Target:
    try:
        fill = PARAMETERS[name]
    except KeyError:
        raise LookupError(
            f"{method} {route}: the path parameter {{{name}}} has no factory in PARAMETERS; "
            "add one naming another organization's object"
        ) from None
    return fill(tree, route, method)


# --- Routes ----------------------------------------------------------------------------------------


@dataclass
class Route:
    surface: str  # "api", "web" or "graph"
    template: str  # "/api/v1/customers/{customer_id}", "/partner/customers/<customer_id>/"
    method: str
    wrapper: Any
    operation: dict[str, Any] = field(default_factory=dict)  # the OpenAPI operation (API only)

    @property
    def parameters(self) -> list[str]:
        return re.findall(r"[{<](\w+)[}>]", self.template)

    def path(self, values: dict[str, str]) -> str:
        return re.sub(r"[{<](\w+)[}>]", lambda match: values[match.group(1)], self.template)


def _ninja_wrappers() -> dict[tuple[str, str], Any]:
    """Each API operation's enforcing wrapper, by (method, path template as the document writes it)."""
    found = {}
    for prefix, router in api._routers:
        for route, path_view in router.path_operations.items():
            template = re.sub(r"{\w+:(\w+)}", r"{\1}", f"/api/v1{prefix}{route}".replace("//", "/"))
            for operation in path_view.operations:
                for method in operation.methods:
                    found[(method.lower(), template)] = operation.view_func
    return found


def api_routes() -> list[Route]:
    """Every operation of the OpenAPI document, with its wrapper."""
    document = api.get_openapi_schema()
    wrappers = _ninja_wrappers()
    routes = []
    for template, operations in document["paths"].items():
        for method, operation in operations.items():
            routes.append(Route("api", template, method.upper(), wrappers[(method, template)], operation))
    return routes


def _walk(patterns: list[Any], prefix: str = "/") -> Iterator[tuple[str, Any]]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace != api.urls_namespace:
                yield from _walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry.callback


def web_routes() -> list[Route]:
    """Every page and Graph view of the URL conf, once per method it answers."""
    routes = []
    for pattern, callback in _walk(get_resolver().url_patterns):
        template = re.sub(r"<(?:\w+:)?(\w+)>", r"<\1>", pattern)
        methods: tuple[str, ...] = ("GET", "POST")
        while getattr(callback, "__code__", None) in PASS_THROUGH:  # Django's method guards
            allowed = inspect.getclosurevars(callback).nonlocals["request_method_list"]
            methods = tuple(m for m in methods if m in allowed)
            callback = callback.__wrapped__
        if callback.methods is not None:
            methods = tuple(m for m in methods if m in callback.methods)
        surface = "graph" if template.startswith("/graph/") else "web"
        routes.extend(Route(surface, template, method, callback) for method in methods)
    return routes


# --- Expected answers --------------------------------------------------------------------------------


def refusal(route: Route, principal: Principal) -> int | None:
    """The status the route's wrapper refuses `principal` with, or None when it lets it in.

    Asks the wrapper's own declaration (its permission or rule, a page's portal) the questions the
    wrapper asks, in its order; a refusal with side effects (an audited one) is rolled back.
    """
    need = route.wrapper.requirement
    what = f"{route.method} {route.template}"
    with transaction.atomic():
        try:
            if isinstance(need, Rule):
                need.refuse_other_sides(principal, what)
            if route.wrapper.portal is not None:
                principal.require(PORTAL_PERMISSIONS[route.wrapper.portal])
            if need is not None:
                principal.require(need, what=what)
        except DomainError as error:
            return error.status
        finally:
            transaction.set_rollback(True)
    return None


# --- Request bodies, from the request schema -----------------------------------------------------------


class Bodies:
    """Example bodies for API operations: required fields only, foreign ids where a field names one."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.components = document.get("components", {}).get("schemas", {})

    def _resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in schema:
            schema = self.components[schema["$ref"].rsplit("/", 1)[-1]]
        for combinator in ("anyOf", "oneOf", "allOf"):
            if combinator in schema:
                options = [s for s in schema[combinator] if s.get("type") != "null"]
                return self._resolve({**options[0], **{k: v for k, v in schema.items() if k != combinator}})
        return schema

    def example(self, schema: dict[str, Any], name: str, foreign: Callable[[str], str | None]) -> Any:
        schema = self._resolve(schema)
        kind = schema.get("type")
        singular = name[:-1] if name.endswith("_ids") else name
        foreign_id = foreign(singular)
        if foreign_id is not None and kind in ("string", "array"):
            return [foreign_id] if kind == "array" else foreign_id
        if "enum" in schema:
            return schema["enum"][0]
        if "default" in schema:
            return schema["default"]
        if kind == "object" or "properties" in schema:
            required = schema.get("required", [])
            return {
                key: self.example(sub, key, foreign)
                for key, sub in schema.get("properties", {}).items()
                if key in required
            }
        if kind == "array":
            minimum = schema.get("minItems", 0)
            return [self.example(schema.get("items", {}), singular, foreign) for _ in range(max(minimum, 1))]
        if kind == "integer":
            return max(schema.get("minimum", 1), 1)
        if kind == "number":
            return 1
        if kind == "boolean":
            return False
        fmt = schema.get("format", "")
        if fmt == "email" or "email" in name:
            return "probe@example.test"
        if fmt == "date-time":
            return (timezone.now() + timedelta(days=3)).isoformat()
        if fmt == "date":
            return (timezone.now() + timedelta(days=3)).date().isoformat()
        if fmt == "uuid":
            return str(uuid.uuid4())
        return "probe" + "x" * max(schema.get("minLength", 0) - 5, 0)

    def request(
        self, operation: dict[str, Any], foreign: Callable[[str], str | None]
    ) -> tuple[dict[str, Any], dict[str, str]]:
        """Client keyword arguments for the operation's body, and its required query parameters."""
        query = {
            parameter["name"]: str(self.example(parameter.get("schema", {}), parameter["name"], foreign))
            for parameter in operation.get("parameters", [])
            if parameter.get("in") == "query" and parameter.get("required")
        }
        content = operation.get("requestBody", {}).get("content", {})
        if "application/json" in content:
            body = self.example(content["application/json"]["schema"], "", foreign)
            return {"data": json.dumps(body), "content_type": "application/json"}, query
        if "multipart/form-data" in content:
            schema = self._resolve(content["multipart/form-data"]["schema"])
            data: dict[str, Any] = {}
            for key, sub in schema.get("properties", {}).items():
                sub = self._resolve(sub)
                if sub.get("format") == "binary":
                    data[key] = SimpleUploadedFile("probe.txt", b"probe", content_type="text/plain")
                elif key in schema.get("required", []):
                    value = self.example(sub, key, foreign)
                    data[key] = json.dumps(value) if isinstance(value, dict | list) else value
            return {"data": data}, query
        return {}, query


# --- The probes ------------------------------------------------------------------------------------------


def _without_audited_refusals(state: dict[str, list[tuple[str, ...]]]) -> dict[str, list[tuple[str, ...]]]:
    return {
        label: [row for row in rows if not (label == "audit.auditevent" and AUDITED_REFUSALS & set(row))]
        for label, rows in state.items()
    }


@dataclass
class Matrix:
    world: World
    trees: dict[str, Tree]
    bodies: Bodies
    tokens: dict[str, str]
    sessions: dict[str, Client]
    failures: list[str] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    routes: set[tuple[str, str]] = field(default_factory=set)

    def principals(self) -> list[str | None]:
        return [key for key in self.world.users if key != "outsider"] + [None]

    def other_tree(self, key: str) -> Tree:
        """Partner B's tree for the operator and A's side, partner A's for B's side."""
        return self.trees["a" if key.startswith("b") else "b"]

    def probe(self, methods: list[Route]) -> None:
        """Probe one route, each of its methods as every principal; record what answered otherwise.

        One snapshot before and after all of a route's probes: the row that changed something is named
        by its route (and methods), at a third of the cost of a snapshot per method.
        """
        probed = [route for route in methods if route.wrapper.required_permission != "public"]
        for route in methods:
            self.routes.add((route.surface, route.template))
            if route not in probed:
                self.counts[f"{route.surface} public (not probed)"] += 1
        if not probed:
            return
        before = _without_audited_refusals(database_state())
        for route in probed:
            self.counts[f"{route.surface} route-methods"] += 1
            for key in self.principals():
                self._probe_as(route, key)
        after = _without_audited_refusals(database_state())
        if after != before:
            changed = sorted(label for label in before if before[label] != after.get(label))
            names = ",".join(route.method for route in probed)
            self.failures.append(f"{names} {probed[0].template}: refused probes changed {changed}")

    def _probe_as(self, route: Route, key: str | None) -> None:
        if key is None:
            self._expect(route, key, self._send(route, None, {}), "anonymous")
            return
        principal = principal_for(self.world.user(key), channel="web" if route.surface == "web" else "api")
        refused = refusal(route, principal)
        security = route.operation.get("security")
        if security is not None and not any(PERSON_SCHEMES & set(scheme) for scheme in security):
            refused = 401
        tree = self.other_tree(key)
        values: dict[str, str] = {}
        stand_in = False
        for name in route.parameters:
            chosen = target(name, tree, route.template, route.method)
            if refused is None and principal.kind in chosen.reached_by:
                values[name], stand_in = chosen.missing, True
            else:
                values[name] = chosen.value
        foreign_in_body: list[str] = []

        def foreign(name: str) -> str | None:
            if name not in PARAMETERS or name in ("name", "action", "decision", "what"):
                return None
            chosen = target(name, tree, route.template, route.method)
            if refused is None and principal.kind in chosen.reached_by:
                return None
            foreign_in_body.append(name)
            return chosen.value

        extra, query = self.bodies.request(route.operation, foreign) if route.surface == "api" else ({}, {})
        if route.surface == "graph" and route.method == "POST":
            # A Graph action names its posts in the body: another organization's, or (for the
            # operator, who reaches every post) one that does not exist.
            message = target("message_id", tree, route.template, "GET")
            named = foreign("message_id") or message.missing
            extra = {"data": json.dumps({"messageIds": [named]}), "content_type": "application/json"}
        if refused is None and not route.parameters and not foreign_in_body:
            self.counts["admitted, nothing foreign to name"] += 1
            return
        if stand_in:
            self.counts["stand-in"] += 1
        response = self._send(route, key, values, extra=extra, query=query)
        self._expect(route, key, response, refused or 404)

    def _send(
        self,
        route: Route,
        key: str | None,
        values: dict[str, str],
        *,
        extra: dict[str, Any] | None = None,
        query: dict[str, str] | None = None,
    ) -> Any:
        if key is None:
            tree = self.trees["b"]
            values = {
                name: target(name, tree, route.template, route.method).value for name in route.parameters
            }
        path = route.path(values)
        if query:
            path += "?" + "&".join(f"{name}={value}" for name, value in query.items())
        kwargs = dict(extra or {})
        if route.surface == "web":
            client = self.sessions[key] if key is not None else Client(raise_request_exception=False)
            if route.method == "POST":
                kwargs.setdefault("data", {})
        else:
            client = Client(raise_request_exception=False)
            if key is not None:
                kwargs["headers"] = {"Authorization": f"Bearer {self.tokens[key]}"}
        self.counts["probes"] += 1
        return getattr(client, route.method.lower())(path, **kwargs)

    def _expect(self, route: Route, key: str | None, response: Any, expected: int | str) -> None:
        status = response.status_code
        if expected == "anonymous":
            if route.surface == "web":
                ok = status == 302 and "/account/signin/" in response.get("Location", "")
                expected = "302 to sign-in"
            else:
                ok, expected = status == 401, 401
        else:
            ok = status == expected
            if not ok and expected == 404 and status == 403 and route.surface == "api":
                code = (response.json().get("error") or {}).get("code")
                if code in BODY_REFUSALS:
                    ok = True
                    self.counts[f"403 {code} in the body"] += 1
        self.counts[f"answered {status}"] += 1
        if not ok:
            body = response.content[:160].decode(errors="replace").replace("\n", " ")
            self.failures.append(
                f"{route.method} {route.template} as {key or 'anonymous'}: "
                f"{status}, expected {expected}: {body}"
            )


@pytest.fixture
def matrix(world: World, settings: Any) -> Matrix:
    # A live page's stream (ADR 0017) that admitted a probe answers one tick and ends, never hangs.
    settings.LIVE_STREAM_SECONDS = 0
    topic = SupportTopic.objects.create(name="Probe topic")
    trees = {side: build_tree(world, side, topic) for side in ("a", "b")}
    tokens = {key: f"{API_TOKEN_PREFIX}matrix-{uuid.uuid4().hex}" for key in world.users}
    ApiToken.objects.bulk_create(
        ApiToken(user=world.user(key), name="matrix", prefix=raw[:10], token_hash=hash_token(raw))
        for key, raw in tokens.items()
    )
    sessions = {}
    for key in world.users:
        client = Client(raise_request_exception=False)  # a server error is a row that failed
        client.force_login(world.user(key), backend="partnerdesk.accounts.backends.EmailBackend")
        sessions[key] = client
    return Matrix(world, trees, Bodies(api.get_openapi_schema()), tokens, sessions)


def _run(matrix: Matrix, routes: list[Route], surface: str, record_property: Any) -> None:
    started = time.monotonic()
    for _, methods in itertools.groupby(routes, key=lambda route: route.template):
        try:
            matrix.probe(list(methods))
        except LookupError as error:
            matrix.failures.append(str(error))
    elapsed = time.monotonic() - started
    principals = len(matrix.principals())
    counts = ", ".join(f"{name}: {count}" for name, count in sorted(matrix.counts.items()))
    line = (
        f"{surface}: {len(matrix.routes)} routes, {matrix.counts[f'{surface} route-methods']} route-methods "
        f"x {principals} principals ({principals - 1} users + anonymous) → {matrix.counts['probes']} probes "
        f"in {elapsed:.1f} s ({counts})"
    )
    record_property("isolation_matrix", line)
    print(line)
    assert not matrix.failures, f"{len(matrix.failures)} rows answered otherwise:\n" + "\n".join(
        matrix.failures
    )


def test_every_api_operation_refuses_another_organizations_objects(
    matrix: Matrix, record_property: Any
) -> None:
    _run(matrix, api_routes(), "api", record_property)


def test_every_page_refuses_another_organizations_objects(matrix: Matrix, record_property: Any) -> None:
    _run(matrix, [r for r in web_routes() if r.surface == "web"], "web", record_property)


def test_every_graph_route_refuses_another_organizations_objects(
    matrix: Matrix, record_property: Any
) -> None:
    _run(matrix, [r for r in web_routes() if r.surface == "graph"], "graph", record_property)


def test_a_route_with_an_unknown_parameter_fails_naming_it(matrix: Matrix) -> None:
    route = Route("api", "/api/v1/widgets/{widget_id}", "GET", api_routes()[0].wrapper)
    with pytest.raises(LookupError, match=r"\{widget_id\} has no factory in PARAMETERS"):
        matrix._probe_as(route, "a.admin_agent")
