"""The edge of the JSON surfaces (/api/, /graph/): one way in for input, one shape out for errors.

Every API operation's body and form are decoded by `InputParser` (ninja's parser hook): JSON only
(415 otherwise), a JSON object where an object is expected (422), no NUL character in any string
(PostgreSQL cannot store one, so it would otherwise end as a 500). `EdgeMiddleware` refuses a NUL in
the path or query string of any request, web pages included, and turns every error answered under
/api/ or /graph/ that is not JSON yet (Django's 404 for a path no route matches, ninja's 405 for a
wrong method, a 500) into `{"error": {"code", "message"}}`. `NotNull` marks a PATCH field that may
be left out but not set to null.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from django.core.exceptions import SuspiciousOperation
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _
from django.views.defaults import bad_request
from ninja.errors import ValidationError
from ninja.parser import Parser
from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, core_schema

from partnerdesk.errors import DomainError

JSON_PREFIXES = ("/api/", "/graph/")
FORM_CONTENT_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")
NUL = "\x00"
T = TypeVar("T")


class UnsupportedMediaType(DomainError):
    """The body is not JSON where the operation reads JSON."""

    status = 415
    code = "unsupported_media_type"


class InvalidJson(DomainError):
    """The body claims to be JSON and is not."""

    status = 400
    code = "invalid_json"


def invalid(field: str, message: str) -> ValidationError:
    """A 422 `validation_error` about one input field, in the form ninja's own validation raises."""
    return ValidationError([{"loc": ("input", *field.split(".")), "msg": message}])


def _nul_message() -> str:
    return _("must not contain the NUL character (U+0000)")


def refuse_nul(value: Any, field: str = "") -> None:
    """Raise a 422 naming the first field whose string (or key) contains NUL, anywhere in `value`."""
    if isinstance(value, str):
        if NUL in value:
            raise invalid(field or _("request"), _nul_message())
    elif isinstance(value, dict):
        for key, item in value.items():
            name = f"{field}.{key}" if field else str(key)
            if NUL in str(key):
                raise invalid(name, _nul_message())
            refuse_nul(item, name)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            refuse_nul(item, f"{field}.{index}" if field else str(index))


def _is_json(content_type: str) -> bool:
    return content_type == "application/json" or (
        content_type.startswith("application/") and content_type.endswith("+json")
    )


class InputParser(Parser):
    """Decode every API body and form the same way (ninja calls it for each Body/Form/File param).

    ninja wraps what `parse_body` raises into a 400 `HttpError`; `api._http_error` renders the
    original error instead, so the codes below reach the caller.
    """

    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        if not _is_json(request.content_type or ""):
            raise UnsupportedMediaType(
                _("Send the body as JSON, with the header Content-Type: application/json.")
            )
        try:
            data = json.loads(request.body)
        except (ValueError, UnicodeDecodeError):
            raise InvalidJson(_("The body is not valid JSON.")) from None
        if not isinstance(data, dict):
            raise invalid(_("body"), _("expected a JSON object"))
        refuse_nul(data)
        return data

    def parse_querydict(
        self, data: MultiValueDict[str, Any], list_fields: list[str], request: HttpRequest
    ) -> dict[str, Any]:
        for key, values in data.lists():
            refuse_nul(key, key)
            for value in values:
                if isinstance(value, str):
                    refuse_nul(value, key)
        return super().parse_querydict(data, list_fields, request)


# --- Fields that may be left out but not nulled ----------------------------------------------


class _RefuseNull:
    """Pydantic metadata: refuse an explicit null; a left-out field keeps its default (None)."""

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        return core_schema.no_info_before_validator_function(self._refuse, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        document = handler(schema)
        branches = document.get("anyOf")
        if branches:  # the document says what is accepted: the value, not null
            rest = [b for b in branches if b.get("type") != "null"]
            document = {k: v for k, v in document.items() if k != "anyOf"}
            document.update(rest[0] if len(rest) == 1 else {"anyOf": rest})
        return document

    @staticmethod
    def _refuse(value: Any) -> Any:
        if value is None:
            raise ValueError(_("may be left out, but not null"))
        return value


NotNull = Annotated[T | None, _RefuseNull()]


# --- Errors the routes did not answer in JSON ------------------------------------------------

_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    500: "server_error",
}


def _graph_code(code: str) -> str:
    """Graph spells error codes in PascalCase (`NotFound`), as its own views do (health.graph)."""
    return "".join(part.capitalize() for part in code.split("_"))


def _messages() -> dict[int, str]:
    return {
        404: _("There is nothing at this address."),
        405: _("This method is not allowed here."),
        500: _("Something went wrong on our side; try again later."),
    }


def error_json(request: HttpRequest, status: int, code: str, message: str) -> JsonResponse:
    """The one error shape of the JSON surfaces, with Graph's spelling of codes under /graph/."""
    if request.path.startswith("/graph/"):
        code = _graph_code(code)
    return JsonResponse({"error": {"code": code, "message": message}}, status=status)


class EdgeMiddleware:
    """Refuse NUL in paths and query strings; answer every /api/ and /graph/ error in JSON."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        is_json_surface = request.path.startswith(JSON_PREFIXES)
        refused = self._nul_in_url(request)
        if refused is not None:
            if is_json_surface:
                return error_json(request, 422, "validation_error", f"{refused}: {_nul_message()}")
            return bad_request(request, exception=SuspiciousOperation(refused))
        response = self.get_response(request)
        if is_json_surface and response.status_code >= 400 and not self._is_json(response):
            status = response.status_code
            replaced = error_json(
                request,
                status,
                _CODES.get(status, "http_error"),
                _messages().get(status, response.reason_phrase),
            )
            if "Allow" in response:
                replaced["Allow"] = response["Allow"]
            return replaced
        return response

    @staticmethod
    def _is_json(response: HttpResponse) -> bool:
        return _is_json(response.get("Content-Type", "").split(";")[0].strip())

    @staticmethod
    def _nul_in_url(request: HttpRequest) -> str | None:
        """The name of the URL part that carries a NUL (the path, or a query parameter), if any."""
        if NUL in request.path:
            return _("path")
        for key, values in request.GET.lists():
            if NUL in key or any(NUL in value for value in values):
                return key.replace(NUL, "")
        return None
