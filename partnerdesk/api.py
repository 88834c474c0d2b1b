"""The JSON API under /api/v1/: authentication, the error format, and the base of every app's router.

Every operation is wrapped by `requires`, `signed_in` or `public` from here: each resolves the caller,
checks the permission or named rule itself, and registers its wrapper (`access.entry`); the route test
fails for an operation that is not one of them.
Errors always have the shape `{"error": {"code": "...", "message": "..."}}`.
"""

from __future__ import annotations

import dataclasses
import functools
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any, Generic, TypeVar

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
from pydantic import AfterValidator, BaseModel, ConfigDict
from pydantic_core import to_json

from partnerdesk import etags
from partnerdesk.access import rules
from partnerdesk.access.entry import enforcing
from partnerdesk.access.permissions import AREA_SCOPES, TokenScope
from partnerdesk.access.principal import (
    Caller,
    Principal,
    delegated_principal,
    principal_for,
)
from partnerdesk.access.principal import principal_of as principal_of  # the one helper, re-exported
from partnerdesk.access.rules import Need
from partnerdesk.edge import InputParser
from partnerdesk.errors import DomainError, Forbidden, RateLimited
from partnerdesk.events.catalog import webhooks_document
from partnerdesk.idempotency import services as idempotency
from partnerdesk.ratelimits import services as ratelimits

if TYPE_CHECKING:
    from partnerdesk.accounts.models import User

F = TypeVar("F", bound=Callable[..., Any])

# Who holds a bearer token: accounts, which keeps the tokens, registers its reader from its AppConfig
# (ADR 0008: the API's base is platform and imports no domain). Until then no token is anybody's.
# The reader answers the live token (its `user` and its `scope_set`) or None, noting its use.
_token_readers: list[Callable[..., Any]] = []


def resolve_tokens_with(reader: Callable[..., Any]) -> None:
    """Register how a raw bearer token is resolved: `reader(raw, ip_address=...)` → token or None."""
    _token_readers[:] = [reader]


def token_for_bearer(raw: str, *, ip_address: str = "") -> Any:
    """The live token behind a raw bearer value (with `.user` and `.scope_set`), or None."""
    if not _token_readers:
        raise RuntimeError("no token reader registered with partnerdesk.api (is accounts installed?)")
    return _token_readers[0](raw, ip_address=ip_address)


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

ON_BEHALF_OF_HEADER = "X-On-Behalf-Of"


def _authenticated(
    request: HttpRequest, user: User, channel: str, scopes: frozenset[TokenScope] | None = None
) -> Principal:
    ratelimits.count_api_request(f"user:{user.pk}")
    principal = dataclasses.replace(principal_for(user, channel=channel), scopes=scopes)
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
    + ", ".join(f"`{scope}`" for scope in sorted(AREA_SCOPES))
    + ".\n\nYour identity and tokens (`/me`, `/tokens`, `/organization/tokens`) belong to no area: a "
    "token with an area scope cannot reach them, and a read-only one only reads them, so a scoped "
    "token can never make a wider one."
)


class TokenAuth(HttpBearer):
    """`Authorization: Bearer pd_…`: the principal carries the token's scopes."""

    openapi_description = SCOPES_DESCRIPTION

    def authenticate(self, request: HttpRequest, token: str) -> Principal | None:
        found = token_for_bearer(token, ip_address=request.META.get("REMOTE_ADDR", ""))
        if found is None:
            return None
        return _authenticated(request, found.user, "api", found.scope_set)


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
        return _authenticated(request, user, "api")


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
        _document_webhooks(schema)
        return schema


def _document_webhooks(schema: dict[str, Any]) -> None:
    """Publish the events catalog as the document's `webhooks` (OpenAPI 3.1): what endpoints receive."""
    webhooks, components = webhooks_document(ref_prefix="#/components/schemas/")
    schemas = schema.setdefault("components", {}).setdefault("schemas", {})
    clashes = sorted(set(components) & set(schemas))
    if clashes:
        raise RuntimeError(f"event payload schemas clash with API schemas: {clashes}")
    schemas.update(components)
    schema["webhooks"] = webhooks


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
    auth=[TokenAuth(), SessionAuth()],
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


def requires(permission: Need) -> Callable[[F], F]:
    """Require the caller to hold `permission` (or satisfy the named rule) before the operation runs.

    The token's scopes are checked here too, once for every operation (`Principal.require_scope`).
    """

    def decorate(operation: F) -> F:
        area = area_of(operation)

        @functools.wraps(operation)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            caller = _caller(request)
            caller.require(permission, what=f"{request.method} {request.path}")
            _refuse_outside_scopes(request, caller, area)
            return run_operation(request, operation, *args, **kwargs)

        return enforcing(wrapper, rules.name_of(permission), permission)  # type: ignore[return-value]

    return decorate


def signed_in(operation: F) -> F:
    """Allow any signed-in person, whatever their roles (their own profile and tokens), within the
    token's scopes."""
    area = area_of(operation)

    @functools.wraps(operation)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        caller = _caller(request)
        if not isinstance(caller, Principal):
            raise Forbidden(_("You do not have permission to do this."), code="permission_denied")
        _refuse_outside_scopes(request, caller, area)
        return run_operation(request, operation, *args, **kwargs)

    return enforcing(wrapper, "signed_in")  # type: ignore[return-value]


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
