"""The JSON API under /api/v1/: authentication, the error format, and the base of every app's router.

Every operation is wrapped by `requires`, `signed_in` or `public` from here: each resolves the caller,
checks the permission or named rule itself, and registers its wrapper (`access.entry`); the route test
fails for an operation that is not one of them.
Errors always have the shape `{"error": {"code": "...", "message": "..."}}`.
"""

from __future__ import annotations

import functools
import re
import uuid
from collections.abc import Callable
from typing import Annotated, Any, Generic, TypeVar

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.operation import Operation
from ninja.renderers import BaseRenderer
from ninja.security import APIKeyCookie, HttpBearer
from ninja.security.base import SecuritySchema
from pydantic import AfterValidator, BaseModel, ConfigDict
from pydantic_core import to_json

from partnerdesk import etags
from partnerdesk.access import freshness, rules
from partnerdesk.access.entry import enforcing
from partnerdesk.access.middleware import session_principal
from partnerdesk.access.permissions import (
    AREA_SCOPES,
    PERSONAL_TOKEN_SCOPES,
    TOKEN_SCOPE_LABELS,
    TokenScope,
)
from partnerdesk.access.principal import (
    ON_BEHALF_OF_HEADER,
    Caller,
    Principal,
    customer_id_or_none,
    delegated_principal,
    principal_from_row,
)
from partnerdesk.access.principal import principal_of as principal_of  # the one helper, re-exported
from partnerdesk.access.rules import Need
from partnerdesk.edge import InputParser
from partnerdesk.errors import DomainError, Forbidden, RateLimited
from partnerdesk.events.catalog import webhooks_document
from partnerdesk.idempotency import services as idempotency
from partnerdesk.ratelimits import services as ratelimits

F = TypeVar("F", bound=Callable[..., Any])

# Who holds a bearer token: the app that keeps each kind of token registers its reader from its
# AppConfig (ADR 0008: the API's base is platform and imports no domain). Until then no token is
# anybody's. `personal` (accounts): the principal row of the live token (`access.principal.PrincipalRow`:
# its user, roles and scopes) or None, noting its use; `app` (integrations, ADR 0012): the principal of
# the OAuth app behind a live access token, or None. Each reads its token, who it is and the delegation
# to `acting_for` (the customer `X-On-Behalf-Of` names, if any) in one query.
_token_readers: dict[str, Callable[..., Any]] = {}


def resolve_tokens_with(reader: Callable[..., Any], *, kind: str = "personal") -> None:
    """Register how a raw bearer token of `kind` is resolved:
    `reader(raw, ip_address=..., acting_for=...)` → its row (or principal) or None."""
    _token_readers[kind] = reader


def token_for_bearer(
    raw: str, *, ip_address: str = "", kind: str = "personal", acting_for: uuid.UUID | None = None
) -> Any:
    """What a raw bearer value of `kind` stands for (a personal token's row, an app's principal), or None."""
    try:
        reader = _token_readers[kind]
    except KeyError:
        raise RuntimeError(
            f"no {kind} token reader registered with partnerdesk.api (is its app installed?)"
        ) from None
    return reader(raw, ip_address=ip_address, acting_for=acting_for)


def _email(value: str) -> str:
    """Validate like Django's forms do (so .test and intranet domains are fine), then normalise."""
    value = value.strip()
    try:
        validate_email(value)
    except DjangoValidationError:
        raise ValueError(_("Enter a valid e-mail address.")) from None
    return value


Email = Annotated[str, AfterValidator(_email)]
T = TypeVar("T")


def _acting_for(request: HttpRequest) -> uuid.UUID | None:
    """The customer `X-On-Behalf-Of` names, read with the caller (a malformed one is refused after)."""
    return customer_id_or_none(request.headers.get(ON_BEHALF_OF_HEADER))


def _authenticated(request: HttpRequest, principal: Principal) -> Principal:
    """Count the call against its credential (a person, or an app's stand-in), then act for a customer
    when `X-On-Behalf-Of` says so (its relationships were read with the principal)."""
    ratelimits.count_api_request(f"user:{principal.user.pk}")
    acting_for = request.headers.get(ON_BEHALF_OF_HEADER)
    if acting_for:
        try:
            customer_id = uuid.UUID(acting_for)
        except ValueError:
            raise DomainError(
                _("%(header)s must be the id (a UUID) of a customer.") % {"header": ON_BEHALF_OF_HEADER},
                code="invalid_on_behalf_of",
            ) from None
        principal = delegated_principal(principal, customer_id)
    return principal


SCOPES_DESCRIPTION = (
    "A personal API token, `Authorization: Bearer pd_…` (profile page or `POST /api/v1/auth/tokens`). "
    "It expires (`expires_at`; an expired or revoked token is 401 `not_authenticated`, like an "
    "unknown one) and may carry scopes, which only narrow what its user's roles allow; a token "
    "without scopes may do everything its user may. An operation outside the token's scopes is "
    "403 `insufficient_scope` and changes nothing.\n\n"
    "- `read`: reading only (GET); any other method is refused.\n"
    "- area scopes admit only the operations of their areas (the part of Partnerdesk an operation "
    "belongs to), reading and writing; combined with `read`, reading only: "
    + ", ".join(f"`{scope}`" for scope in sorted(PERSONAL_TOKEN_SCOPES) if scope != TokenScope.READ)
    + ".\n\nYour identity and tokens (`/me`, `/tokens`, `/organization/tokens`) belong to no area: a "
    "token with an area scope cannot reach them, and a read-only one only reads them, so a scoped "
    "token can never make a wider one."
)


class TokenAuth(HttpBearer):
    """`Authorization: Bearer pd_…`: the principal carries the token's scopes."""

    openapi_description = SCOPES_DESCRIPTION

    def authenticate(self, request: HttpRequest, token: str) -> Principal | None:
        row = token_for_bearer(
            token, ip_address=request.META.get("REMOTE_ADDR", ""), acting_for=_acting_for(request)
        )
        if row is None:
            return None
        return _authenticated(request, principal_from_row(row, channel="api"))


OAUTH_TOKEN_URL = "/api/v1/oauth/token"

OAUTH_DESCRIPTION = (
    "An OAuth 2.0 app of an organization (Apps, in each portal; `/api/v1/oauth-apps`) asks "
    f"`POST {OAUTH_TOKEN_URL}` for an access token with its client id and secret "
    "(`grant_type=client_credentials`, RFC 6749 §4.4; HTTP Basic or form fields) and sends it as "
    "`Authorization: Bearer pdo_…`. The token is short-lived (`expires_in`); a rotated secret or a "
    "deleted app ends its tokens at once (401). The app acts for its organization with the "
    "organization's admin permissions, narrowed by its scopes exactly as a personal token's are (403 "
    "`insufficient_scope`); it never manages apps or tokens. Every change it makes is audited as the app. "
    'The token endpoint answers errors in the standard\'s shape (`{"error": "invalid_client"}`), '
    "not the platform's."
)


class OAuth2(HttpBearer):
    """`Authorization: Bearer pdo_…`: an OAuth app's access token (client credentials, ADR 0012)."""

    def __init__(self) -> None:
        super().__init__()
        self.openapi_security_schema = SecuritySchema(
            type="oauth2",
            description=OAUTH_DESCRIPTION,
            flows={
                "clientCredentials": {
                    "tokenUrl": OAUTH_TOKEN_URL,
                    "scopes": {scope.value: str(TOKEN_SCOPE_LABELS[scope]) for scope in TokenScope},
                }
            },
        )

    def authenticate(self, request: HttpRequest, token: str) -> Principal | None:
        principal = token_for_bearer(
            token,
            ip_address=request.META.get("REMOTE_ADDR", ""),
            kind="app",
            acting_for=_acting_for(request),
        )
        if principal is None:
            return None
        return _authenticated(request, principal)


class SessionAuth(APIKeyCookie):
    """The signed-in browser session, with Django's CSRF check on unsafe methods."""

    param_name = "sessionid"

    def __call__(self, request: HttpRequest) -> Principal | None:
        # Without a session cookie this is not a browser call: let the 401 say so, not a CSRF 403.
        if self.param_name not in request.COOKIES:
            return None
        try:
            return super().__call__(request)
        except HttpError as error:
            raise Forbidden(
                _("The CSRF check failed; send the X-CSRFToken header."), code="csrf_failed"
            ) from error

    def authenticate(self, request: HttpRequest, key: str | None) -> Principal | None:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or user.must_change_password:
            return None
        # A browser that must still enrol a second factor (`mfa.middleware`) reaches nothing else.
        if getattr(request, "second_factor_enrolment_required", False):
            return None
        # The session's principal was read with its user (`access.middleware`), for the API's channel.
        return _authenticated(request, session_principal(request, channel="api"))


class JSONRenderer(BaseRenderer):
    """Write responses in pydantic-core: UUIDs, times (ISO 8601, UTC as Z) and decimals as strings."""

    media_type = "application/json"

    def render(self, request: HttpRequest, data: Any, *, response_status: int) -> bytes:
        return to_json(data, fallback=str)


class PartnerdeskAPI(NinjaAPI):
    """The NinjaAPI, with what the platform layer adds to every operation written into its document."""

    def get_openapi_schema(self, **kwargs: Any) -> Any:
        schema = super().get_openapi_schema(**kwargs)
        for operations in schema["paths"].values():
            for operation in operations.values():
                _document_shared_errors(operation)
            if "post" in operations:
                _document_idempotency_key(operations["post"])
        _document_if_match(schema)
        _document_links(schema)
        self._document_oauth_scopes(schema)
        _document_webhooks(schema)
        return schema

    def _document_oauth_scopes(self, schema: dict[str, Any]) -> None:
        """Name, in each operation's `OAuth2` requirement, the scopes that admit it (`area_of`).

        Its area's scope; for a reading operation `read` too (a read-only app without area scopes reads
        every area). An operation of no area scope that writes is reached by no app: the scheme goes.
        """
        areas: dict[str, str] = {}
        for bound_router in self._get_bound_routers():
            for path_view in bound_router.path_operations.values():
                for operation in path_view.operations:
                    operation_id = operation.operation_id or self.get_openapi_operation_id(operation)
                    areas[operation_id] = getattr(operation.view_func, "area", "")
        for operations in schema["paths"].values():
            for method, operation in operations.items():
                security = operation.get("security")
                if not security:
                    continue
                area = areas.get(operation.get("operationId", ""), "")
                scopes = [[str(area)]] if area in AREA_SCOPES else []
                if method in ("get", "head") and area != TokenScope.ENTITLEMENTS:
                    scopes.append([TokenScope.READ.value])
                rest = [requirement for requirement in security if "OAuth2" not in requirement]
                operation["security"] = rest + [{"OAuth2": names} for names in scopes]


def _document_webhooks(schema: dict[str, Any]) -> None:
    """Publish the events catalog as the document's `webhooks` (OpenAPI 3.1): what endpoints receive."""
    webhooks, components = webhooks_document(ref_prefix="#/components/schemas/")
    schemas = schema.setdefault("components", {}).setdefault("schemas", {})
    clashes = sorted(set(components) & set(schemas))
    if clashes:
        raise RuntimeError(f"event payload schemas clash with API schemas: {clashes}")
    schemas.update(components)
    schema["webhooks"] = webhooks


def _document_links(schema: dict[str, Any]) -> None:
    """Link every create's 201 to the operations on what it made: `POST /x` to `/x/{id}` and below.

    An operation whose path is the create's, then the new object's parameter, then fixed segments
    (`/support-requests/{request_id}`, `…/{request_id}/messages`) takes that parameter from the
    answer (its `id`, or the field the parameter is named after: a domain's `name`, a service's
    `key`) and the create's own path parameters from the request. Clients and stateful testing
    (schemathesis) follow them.
    """
    components = schema.get("components", {}).get("schemas", {})
    operation_ids = {
        (template, method): operation["operationId"]
        for template, operations in schema["paths"].items()
        for method, operation in operations.items()
        if "operationId" in operation
    }
    for template, operations in schema["paths"].items():
        created = operations.get("post", {}).get("responses", {}).get(201, {})
        reference = created.get("content", {}).get("application/json", {}).get("schema", {}).get("$ref", "")
        fields = components.get(reference.rsplit("/", 1)[-1], {}).get("properties", {})
        if not fields:
            continue
        own = {name: f"$request.path.{name}" for name in re.findall(r"{(\w+)}", template)}
        links = {}
        for (target, method), operation_id in operation_ids.items():
            child = re.fullmatch(re.escape(template) + r"/{(\w+)}((?:/[\w-]+)*)", target)
            if child is None:
                continue
            name = child.group(1)  # request_id → id, name → name, service_key → key
            candidates = (name, "id" if name.endswith("_id") else "", name.rsplit("_", 1)[-1])
            field = next((candidate for candidate in candidates if candidate in fields), None)
            if field is not None:
                links[operation_id] = {
                    "operationId": operation_id,
                    "parameters": {**own, name: f"$response.body#/{field}"},
                    "description": f"{method.upper()} {target} on what this made",
                }
        if links:
            created["links"] = links


def _document_if_match(schema: dict[str, Any]) -> None:
    """Every PATCH, PUT and DELETE honours `If-Match` (`etags.guarded`): say so once, here."""
    for operations in schema["paths"].values():
        for method in ("patch", "put", "delete"):
            if method in operations:
                etags.document(operations[method])


_ERROR_CONTENT = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}}}


def _document_shared_errors(operation: dict[str, Any]) -> None:
    """Write down the errors the platform itself answers, whatever the operation declares.

    The authentication (401, and 429 past the caller's calls a minute), the wrappers' permission
    check (403, and 400 for an `X-On-Behalf-Of` that is no customer id), input validation (422), the
    body decoder (`edge.InputParser`: 400 for malformed JSON, 415 for another content type) and
    look-ups by path (404).
    """
    responses = operation.setdefault("responses", {})
    parameters = operation.get("parameters", [])
    body = operation.get("requestBody", {}).get("content", {})
    shared: dict[int, str] = {}
    if operation.get("security"):
        shared |= {
            401: "not_authenticated",
            403: "permission_denied",
            400: "invalid_on_behalf_of",
            429: "rate_limited",
        }
    if parameters or body:
        shared[422] = "validation_error"
    if "application/json" in body:
        shared |= {400: "invalid_json", 415: "unsupported_media_type"}
    if any(parameter.get("in") == "path" for parameter in parameters):
        shared[404] = "not_found"
    for status, code in shared.items():
        if status not in responses and str(status) not in responses:
            responses[status] = {"description": code, **_ERROR_CONTENT}


def _document_idempotency_key(operation: dict[str, Any]) -> None:
    """Every POST accepts `Idempotency-Key` (`run_operation`): say so once, here, for all of them."""
    operation.setdefault("parameters", []).append(
        {
            "in": "header",
            "name": idempotency.HEADER,
            "required": False,
            "description": idempotency.HEADER_DESCRIPTION,
            "schema": {
                "type": "string",
                "minLength": 1,
                "maxLength": idempotency.MAX_KEY_LENGTH,
                "pattern": "^[^\\u0000-\\u001f\\u007f-\\u009f]+$",
            },
        }
    )
    responses = operation.setdefault("responses", {})
    responses.setdefault(400, {"description": "invalid_idempotency_key", **_ERROR_CONTENT})
    responses.setdefault(422, {"description": "idempotency_key_reused", **_ERROR_CONTENT})


api = PartnerdeskAPI(
    title="Partnerdesk API",
    version="1.1",  # 1.1: every list is a page (CHANGELOG); the path stays /api/v1/
    description="The operator console, partner center and admin center, as JSON.",
    urls_namespace="api",
    auth=[TokenAuth(), OAuth2(), SessionAuth()],
    renderer=JSONRenderer(),
    parser=InputParser(),
)


class Out(BaseModel):
    """The base of every response schema.

    Plain pydantic models validate in pydantic-core without ninja's per-object Django getter: a page
    of 50 rows serializes about ten times faster (bench/RESULTS.md). Build them from dicts or plain
    attributes; a related manager must be turned into a list by the caller.
    """

    model_config = ConfigDict(from_attributes=True)


class ErrorDetail(Out):
    code: str
    message: str


class ErrorOut(Out):
    error: ErrorDetail


def errors(*statuses: int) -> dict[int, Any]:
    """The documented error answers of an operation, each in the one error shape: `responses={200: X,
    **errors(404, 409)}`."""
    return dict.fromkeys(statuses, ErrorOut)


# What most operations can answer besides success: bad input, refused, not found, conflicting.
ERRORS = errors(400, 403, 404, 409)


class OrgRef(Out):
    """An organization named in another resource (a partner, a customer)."""

    id: uuid.UUID
    name: str


class PageOut(Out, Generic[T]):
    items: list[T]
    next_cursor: str | None


def error_response(request: HttpRequest, status: int, code: str, message: str) -> HttpResponse:
    return api.create_response(request, {"error": {"code": code, "message": message}}, status=status)


@api.exception_handler(DomainError)
def _domain_error(request: HttpRequest, error: DomainError) -> HttpResponse:
    response = error_response(request, error.status, error.code, error.message)
    if isinstance(error, RateLimited):
        response["Retry-After"] = str(error.retry_after)
    return response


@api.exception_handler(NinjaValidationError)
def _validation_error(request: HttpRequest, error: NinjaValidationError) -> HttpResponse:
    first = error.errors[0] if error.errors else {}
    location = ".".join(str(part) for part in first.get("loc", ())[1:]) or _("request")
    detail = first.get("msg", _("invalid value"))
    message = f"{location}: {detail}"
    return error_response(request, 422, "validation_error", message)


@api.exception_handler(AuthenticationError)
def _authentication_error(request: HttpRequest, error: AuthenticationError) -> HttpResponse:
    return error_response(
        request, 401, "not_authenticated", _("Sign in, or send a valid API token as a Bearer header.")
    )


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, error: Http404) -> HttpResponse:
    return error_response(request, 404, "not_found", _("Not found."))


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, error: HttpError) -> HttpResponse:
    # ninja turns whatever the parser raised into a 400 "Cannot parse request body": answer the
    # parser's own error (415, invalid JSON, a NUL, …) instead.
    if isinstance(error.__cause__, DomainError | NinjaValidationError):
        return api.on_exception(request, error.__cause__)
    return error_response(request, error.status_code, "http_error", str(error))


def _caller(request: HttpRequest) -> Caller:
    """The authenticated caller of an operation, or Forbidden; a person's principal becomes the
    request's `principal` (read by `principal_of`)."""
    caller = getattr(request, "auth", None)
    if isinstance(caller, Principal):
        request.principal = caller  # type: ignore[attr-defined]
        return caller
    if isinstance(caller, Caller):  # a service credential of the operator's own services
        return caller
    raise Forbidden(_("You do not have permission to do this."), code="permission_denied")


_READING_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def area_of(operation: Callable[..., Any]) -> str:
    """The area an operation belongs to, for token scopes: its app (`partnerdesk.support.api` → support)."""
    parts = operation.__module__.split(".")
    return parts[1] if len(parts) > 2 and parts[0] == "partnerdesk" else parts[-1]


def _refuse_outside_scopes(request: HttpRequest, caller: Caller, area: str) -> None:
    """Refuse a token whose scopes do not admit this operation: by its area and whether it writes."""
    if isinstance(caller, Principal):
        caller.require_scope(area, writes=request.method not in _READING_METHODS)


def requires(permission: Need, *, area: str | None = None, fresh_mfa: bool = False) -> Callable[[F], F]:
    """Require the caller to hold `permission` (or satisfy the named rule) before the operation runs.

    The token's scopes are checked here too, once for every operation (`Principal.require_scope`), by
    the operation's area: its app, unless `area` names another (the entitlement check's own scope).
    `fresh_mfa=True` (sensitive actions) also wants a second factor verified within
    MFA_FRESHNESS_SECONDS: for a token, its exchange with a code (403 `mfa_fresh_required`).
    """

    def decorate(operation: F) -> F:
        operation_area = area or area_of(operation)

        @functools.wraps(operation)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            caller = _caller(request)
            caller.require(permission, what=f"{request.method} {request.path}")
            _refuse_outside_scopes(request, caller, operation_area)
            if fresh_mfa and isinstance(caller, Principal):
                freshness.require_fresh(caller)
            return run_operation(request, operation, *args, **kwargs)

        wrapper.area = operation_area  # type: ignore[attr-defined]
        wrapper.fresh_mfa = fresh_mfa  # type: ignore[attr-defined]
        return enforcing(wrapper, rules.name_of(permission), permission)  # type: ignore[return-value]

    return decorate


def signed_in(operation: F | None = None, *, fresh_mfa: bool = False) -> Any:
    """Allow any signed-in person, whatever their roles (their own profile and tokens), within the
    token's scopes. `@signed_in(fresh_mfa=True)` also wants a fresh second factor (see `requires`)."""
    if operation is None:
        return functools.partial(signed_in, fresh_mfa=fresh_mfa)
    area = area_of(operation)

    @functools.wraps(operation)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        caller = _caller(request)
        if not isinstance(caller, Principal):
            raise Forbidden(_("You do not have permission to do this."), code="permission_denied")
        _refuse_outside_scopes(request, caller, area)
        if fresh_mfa:
            freshness.require_fresh(caller)
        return run_operation(request, operation, *args, **kwargs)

    wrapper.area = area  # type: ignore[attr-defined]
    wrapper.fresh_mfa = fresh_mfa  # type: ignore[attr-defined]
    return enforcing(wrapper, "signed_in")


def public(operation: F) -> F:
    """Allow callers without credentials (token creation from a password)."""

    @functools.wraps(operation)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        return run_operation(request, operation, *args, **kwargs)

    return enforcing(wrapper, "public")  # type: ignore[return-value]


def run_operation(request: HttpRequest, operation: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """The last step of every operation's wrapper: run it, under the request's Idempotency-Key if any.

    A POST with the header is kept and replayed as the HttpResponse ninja would have made of the
    return value, so the value is rendered here (`_as_response`) rather than after the wrapper.
    """
    return idempotency.run(
        request,
        lambda: operation(request, *args, **kwargs),
        lambda result: _as_response(request, operation, result, kwargs),
    )


# Every function an API operation's decorators wrap → its bound ninja Operation (built on first use).
_operations: dict[Callable[..., Any], Operation] | None = None


def _as_response(
    request: HttpRequest, view: Callable[..., Any], result: Any, arguments: dict[str, Any]
) -> HttpResponseBase:
    """Turn an operation's return value into its HttpResponse, exactly as ninja does after the view.

    This is the one place that reaches into django-ninja (1.7): the bound `Operation` of each view
    (found once, after the routers are registered, through every function its decorators wrap) and
    its `_result_to_response`, which validates the value against the declared response schema of
    its status. ninja then returns the HttpResponse it gets from the view unchanged. An operation
    that takes ninja's `response` argument (to set headers) gets the same object back, filled in.
    """
    global _operations
    if isinstance(result, HttpResponseBase):
        return result
    if _operations is None:
        found: dict[Callable[..., Any], Operation] = {}
        for bound_router in api._get_bound_routers():
            for path_view in bound_router.path_operations.values():
                for operation in path_view.operations:
                    function: Any = operation.view_func
                    while function is not None:
                        found[function] = operation
                        function = getattr(function, "__wrapped__", None)
        _operations = found  # assigned whole: a thread never sees a half-built map
    ninja_operation = _operations[view]
    response_arg = ninja_operation.signature.response_arg
    temporal_response = arguments.get(response_arg) if response_arg else None
    if not isinstance(temporal_response, HttpResponse):
        temporal_response = api.create_temporal_response(request)
    return ninja_operation._result_to_response(request, result, temporal_response)
