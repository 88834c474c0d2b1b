"""A Microsoft Graph-compatible read surface of service health and Message center.

Mounted at /graph/v1.0/admin/serviceAnnouncement/ so that an existing Graph client (the official
SDKs, PowerShell scripts) pointed at this base URL works unchanged: Graph's field names and enum
values, OData paging (`$top`, `@odata.nextLink`), a `$filter` subset, `$select`, `$count` (bounded
by `COUNT_LIMIT`), `$orderby` on indexed columns, and the state actions.
Callers authenticate with this system's API tokens (`Authorization: Bearer pd_…`); every row goes
through the same scoping rules as the native API.
"""

from __future__ import annotations

import base64
import functools
import io
import json
import re
import zipfile
from collections.abc import Callable
from datetime import datetime, time
from typing import Any

from django.db.models import Q, QuerySet
from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.utils.dateparse import parse_datetime
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from partnerdesk import etags, uploads
from partnerdesk.access import policy
from partnerdesk.access.entry import enforcing
from partnerdesk.access.permissions import Permission
from partnerdesk.access.principal import Principal, principal_from_row
from partnerdesk.accounts.services import token_for_bearer
from partnerdesk.catalog.models import Service
from partnerdesk.errors import DomainError, NotFound
from partnerdesk.health import changes as counters
from partnerdesk.health import message_center, queries
from partnerdesk.health.models import CLOSED_STATUSES, HealthIssue, MessageAttachment, MessagePost
from partnerdesk.pagination import MAX_LIMIT, paginate

P = Permission
BASE = "/graph/v1.0"
DEFAULT_TOP = 100


class GraphError(DomainError):
    pass


def _error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse({"error": {"code": code, "message": message}}, status=status)


def graph_view(permission: Permission, *, methods: tuple[str, ...] = ("GET",)) -> Callable[..., Any]:
    """Authenticate the bearer token, check `permission`, and answer errors the way Graph does.

    The one way to mount a Graph view: the wrapper registers itself (`access.entry`) for the route test.
    """

    def decorate(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if request.method not in methods:
                refused = _error(405, "MethodNotAllowed", _("This method is not allowed here."))
                refused["Allow"] = ", ".join(methods)
                return refused
            header = request.headers.get("Authorization", "")
            # The token, its user, their organization and roles: one query (`accounts.token_for_bearer`).
            row = (
                token_for_bearer(header[7:].strip(), ip_address=request.META.get("REMOTE_ADDR", ""))
                if header.lower().startswith("bearer ")
                else None
            )
            if row is None:
                return _error(
                    401, "InvalidAuthenticationToken", _("Send a valid API token as a Bearer header.")
                )
            principal = principal_from_row(row, channel="api")
            request.principal = principal  # type: ignore[attr-defined]
            try:
                principal.require(permission)
                # The Graph surface is the health area's: a token's scopes apply as on /api/v1/.
                principal.require_scope("health", writes=request.method != "GET")
                return view(request, principal, *args, **kwargs)
            except NotFound as error:
                return _error(404, "NotFound", error.message)
            except DomainError as error:
                code = "Forbidden" if error.status == 403 else "BadRequest"
                return _error(error.status, code, error.message)

        wrapper.csrf_exempt = True  # type: ignore[attr-defined]  # bearer tokens, never cookies
        return enforcing(wrapper, permission.value, permission, methods=methods)

    return decorate


# --- Value mapping --------------------------------------------------------------------------------


def camel(value: str) -> str:
    head, *rest = value.split("_")
    return head + "".join(part.title() for part in rest)


def snake(value: str) -> str:
    return re.sub(r"([A-Z])", lambda m: "_" + m.group(1).lower(), value)


TAG_NAMES = {
    "data_privacy": "Data privacy",
    "new_feature": "New feature",
    "retirement": "Retirement",
    "user_impact": "User impact",
    "admin_impact": "Admin impact",
}


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def _message_json(post: Any) -> dict[str, Any]:
    tags = [TAG_NAMES[t] for t in post.tag_list if t in TAG_NAMES]
    if post.revision:
        tags.insert(0, "Updated message")
    act_by = datetime.combine(post.act_by, time(0, 0)).isoformat() + "Z" if post.act_by else None
    return {
        "id": post.display_id,
        "title": post.title,
        "startDateTime": _iso(post.published_at),
        "endDateTime": _iso(post.expires_at),
        "lastModifiedDateTime": _iso(post.last_modified_at),
        "isMajorChange": post.is_major_change,
        "services": [s.name for s in post.services.all()],
        "tags": tags,
        "category": camel(post.category),
        "severity": post.severity,
        "actionRequiredByDateTime": act_by,
        "hasAttachments": bool(getattr(post, "has_attachments", False)),
        "details": [],
        "body": {"contentType": "html", "content": post.body_html},
        "viewPoint": {
            "isRead": bool(getattr(post, "state_read", False)),
            "isArchived": bool(getattr(post, "state_archived", False)),
            "isFavorited": bool(getattr(post, "state_favorited", False)),
        },
    }


def _issue_json(issue: HealthIssue, *, posts: bool = True) -> dict[str, Any]:
    services_ = list(issue.services.all())
    features = list(issue.features.all())
    data: dict[str, Any] = {
        "id": issue.display_id,
        "title": issue.title,
        "startDateTime": _iso(issue.start_at),
        "endDateTime": _iso(issue.end_at),
        "lastModifiedDateTime": _iso(issue.last_modified_at),
        "classification": issue.classification,
        "origin": "microsoft",
        "status": camel(issue.status),
        "service": services_[0].name if services_ else "",
        "feature": features[0].name if features else None,
        "featureGroup": features[0].group if features else None,
        "isResolved": issue.is_resolved,
        "impactDescription": issue.impact_description,
        "details": [],
    }
    if posts:
        data["posts"] = [
            {
                "createdDateTime": _iso(post.created_at),
                "postType": "regular",
                "description": {"contentType": "html", "content": post.body_html},
            }
            for post in issue.posts.all()
        ]
    return data


MESSAGE_PROPERTIES = frozenset(
    [
        "id",
        "title",
        "startDateTime",
        "endDateTime",
        "lastModifiedDateTime",
        "isMajorChange",
        "services",
        "tags",
        "category",
        "severity",
        "actionRequiredByDateTime",
        "hasAttachments",
        "details",
        "body",
        "viewPoint",
    ]
)
ISSUE_PROPERTIES = frozenset(
    [
        "id",
        "title",
        "startDateTime",
        "endDateTime",
        "lastModifiedDateTime",
        "classification",
        "origin",
        "status",
        "service",
        "feature",
        "featureGroup",
        "isResolved",
        "impactDescription",
        "details",
        "posts",
    ]
)


# --- OData ----------------------------------------------------------------------------------------

_CONDITION = re.compile(r"^\s*(?P<field>[A-Za-z/]+)\s+(?P<op>eq|ne|gt|ge|lt|le)\s+(?P<value>.+?)\s*$")
_ANY = re.compile(r"^\s*services/any\(\s*(\w+)\s*:\s*\1\s+eq\s+'(?P<value>[^']*)'\s*\)\s*$")
_LOOKUPS = {"gt": "gt", "ge": "gte", "lt": "lt", "le": "lte"}


def _literal(raw: str) -> Any:
    raw = raw.strip()
    if raw.startswith("'") and raw.endswith("'"):
        return raw[1:-1].replace("''", "'")
    if raw in ("true", "false"):
        return raw == "true"
    moment = parse_datetime(raw)
    if moment is not None:
        return moment
    raise GraphError(_("Unsupported value in $filter: %(value)s") % {"value": raw})


def apply_filter(
    queryset: QuerySet[Any], expression: str, fields: dict[str, Callable[[Any], Q]]
) -> QuerySet[Any]:
    """Apply a `$filter` of `field op value` conditions joined by `and` (Graph's common use)."""
    if not expression.strip():
        return queryset
    for part in re.split(r"\s+and\s+", expression.strip()):
        match_any = _ANY.match(part)
        if match_any:
            queryset = queryset.filter(services__name=match_any.group("value"))
            continue
        match = _CONDITION.match(part.strip("() "))
        if not match or match.group("field") not in fields:
            raise GraphError(_("Unsupported $filter: %(part)s") % {"part": part})
        value = _literal(match.group("value"))
        op = match.group("op")
        condition = fields[match.group("field")]((op, value))
        queryset = queryset.exclude(condition) if op == "ne" else queryset.filter(condition)
    return queryset


def _compare(path: str, convert: Callable[[Any], Any] = lambda v: v) -> Callable[[Any], Q]:
    def build(arguments: Any) -> Q:
        op, value = arguments
        lookup = path if op in ("eq", "ne") else f"{path}__{_LOOKUPS[op]}"
        return Q(**{lookup: convert(value)})

    return build


def _display_number(value: Any) -> Any:
    text = str(value)
    if len(text) > 2 and text[2:].isdigit():
        return int(text[2:])
    raise GraphError(_("Unknown id: %(id)s") % {"id": text})


MESSAGE_FILTERS: dict[str, Callable[[Any], Q]] = {
    "id": _compare("number", _display_number),
    "title": _compare("title"),
    "category": _compare("category", lambda v: snake(str(v))),
    "severity": _compare("severity"),
    "isMajorChange": _compare("is_major_change"),
    "lastModifiedDateTime": _compare("last_modified_at"),
    "startDateTime": _compare("published_at"),
    "endDateTime": _compare("expires_at"),
    "actionRequiredByDateTime": _compare("act_by", lambda v: v.date() if isinstance(v, datetime) else v),
    "viewPoint/isRead": _compare("state_read"),
    "viewPoint/isArchived": _compare("state_archived"),
    "viewPoint/isFavorited": _compare("state_favorited"),
}

ISSUE_FILTERS: dict[str, Callable[[Any], Q]] = {
    "id": _compare("number", _display_number),
    "title": _compare("title"),
    "classification": _compare("classification"),
    "status": _compare("status", lambda v: snake(str(v))),
    "isResolved": lambda arguments: (
        Q(status__in=CLOSED_STATUSES) if arguments[1] else ~Q(status__in=CLOSED_STATUSES)
    ),
    "service": _compare("services__name"),
    "lastModifiedDateTime": _compare("last_modified_at"),
    "startDateTime": _compare("start_at"),
    "endDateTime": _compare("end_at"),
}


def _top(request: HttpRequest) -> int:
    raw = request.GET.get("$top", "")
    if not raw:
        return DEFAULT_TOP
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
        raise GraphError(_("$top must be between 1 and %(max)s.") % {"max": MAX_LIMIT})
    return int(raw)


# `$orderby` properties and the indexed columns they sort by; the key always ends in the primary key.
MESSAGE_ORDERING = {"lastModifiedDateTime": "last_modified_at", "id": "number"}
ISSUE_ORDERING = {"lastModifiedDateTime": "last_modified_at", "startDateTime": "start_at", "id": "number"}

# `@odata.count` counts at most this many rows, so a page costs the same on any table size; a
# larger result reports this number (Graph's clients read the count as a hint, never as a bound).
COUNT_LIMIT = 10_000


def _ordering(request: HttpRequest, columns: dict[str, str], default: list[str]) -> list[str]:
    """The keyset ordering `$orderby` asks for: `property [asc|desc]`, comma-separated."""
    raw = request.GET.get("$orderby", "").strip()
    if not raw:
        return default
    ordering: list[str] = []
    for part in raw.split(","):
        words = part.split()
        if not 1 <= len(words) <= 2 or words[0] not in columns or words[1:] not in ([], ["asc"], ["desc"]):
            raise GraphError(
                _("Unsupported $orderby: %(part)s. Sortable properties: %(names)s.")
                % {"part": part.strip(), "names": ", ".join(columns)}
            )
        column = columns[words[0]]
        if column in (c.lstrip("-") for c in ordering):
            raise GraphError(_("A property appears twice in $orderby: %(name)s.") % {"name": words[0]})
        ordering.append(("-" if words[1:] == ["desc"] else "") + column)
    return [*ordering, "id"]


def _selection(request: HttpRequest, properties: frozenset[str]) -> list[str] | None:
    """The properties `$select` keeps, in the order asked; None means all of them."""
    raw = request.GET.get("$select", "").strip()
    if not raw:
        return None
    names = [name.strip() for name in raw.split(",")]
    for name in names:
        if name not in properties:
            raise GraphError(_("Could not find a property named '%(name)s' for $select.") % {"name": name})
    return list(dict.fromkeys(names))


def _selected(data: dict[str, Any], names: list[str] | None) -> dict[str, Any]:
    return data if names is None else {name: data[name] for name in names}


def _counting(request: HttpRequest) -> bool:
    raw = request.GET.get("$count", "")
    if raw not in ("", "true", "false"):
        raise GraphError(_("$count must be true or false."))
    return raw == "true"


def _context(request: HttpRequest, names: list[str] | None) -> str:
    """Graph's `@odata.context`: the entity set, and the selected properties in parentheses."""
    entity_set = request.path.split(f"{BASE}/", 1)[-1]
    context = request.build_absolute_uri(BASE) + "/$metadata#" + entity_set
    return context + (f"({','.join(names)})" if names is not None else "")


def _page(
    request: HttpRequest,
    rows: QuerySet[Any],
    *,
    columns: dict[str, str],
    default: list[str],
    render: Callable[[Any], dict[str, Any]],
    properties: frozenset[str],
) -> JsonResponse:
    """One OData page: `$select`, `$orderby`, `$count`, `$top` and `$skiptoken` on filtered rows."""
    names = _selection(request, properties)
    ordering = _ordering(request, columns, default)
    counting = _counting(request)
    page = paginate(
        rows, ordering=ordering, cursor=request.GET.get("$skiptoken") or None, limit=_top(request)
    )
    body: dict[str, Any] = {"@odata.context": _context(request, names)}
    if counting:
        body["@odata.count"] = rows.order_by()[:COUNT_LIMIT].count()
    body["value"] = [_selected(render(row), names) for row in page.items]
    if page.next_cursor:
        params: dict[str, str] = {k: str(v) for k, v in request.GET.items() if k != "$skiptoken"}
        params["$skiptoken"] = page.next_cursor
        body["@odata.nextLink"] = request.build_absolute_uri(request.path) + "?" + urlencode(params)
    return JsonResponse(body)


# --- Messages -------------------------------------------------------------------------------------


def _messages(principal: Principal) -> QuerySet[Any]:
    posts = queries.with_view_state(policy.visible(principal, MessagePost), principal.user.pk)
    return queries.with_attachment_flag(posts).prefetch_related("services")


def _get_message(principal: Principal, message_id: str) -> Any:
    try:
        number = _display_number(message_id)
    except GraphError:
        raise NotFound(_("Not found.")) from None
    return policy.get_visible(principal, _messages(principal), number=number)


def _revalidated(request: HttpRequest, tag: str | None, answer: Callable[[], HttpResponse]) -> HttpResponse:
    """The answer with its ETag, or 304 when the caller's If-None-Match names it (no body built)."""
    if tag is None:
        return answer()
    if unchanged := etags.not_modified(request, tag):
        return unchanged
    response = answer()
    etags.revalidated(response, tag)
    return response


@graph_view(P.MESSAGES_VIEW)
def messages(request: HttpRequest, principal: Principal) -> HttpResponse:
    return _revalidated(
        request, counters.message_list_tag(principal, request), lambda: _message_list(request, principal)
    )


def _message_list(request: HttpRequest, principal: Principal) -> HttpResponse:
    rows = apply_filter(_messages(principal), request.GET.get("$filter", ""), MESSAGE_FILTERS)
    return _page(
        request,
        rows,
        columns=MESSAGE_ORDERING,
        default=["-last_modified_at", "id"],
        render=_message_json,
        properties=MESSAGE_PROPERTIES,
    )


def _message(request: HttpRequest, principal: Principal, message_id: str) -> HttpResponse:
    return JsonResponse(_message_json(_get_message(principal, message_id)))


def _attachment_json(attachment: Any, *, content: bool) -> dict[str, Any]:
    data = {
        "id": str(attachment.pk),
        "name": attachment.name,
        "contentType": attachment.content_type,
        "size": attachment.size,
        "lastModifiedDateTime": _iso(attachment.created_at),
    }
    if content:
        with attachment.file.open("rb") as handle:
            data["content"] = base64.b64encode(handle.read()).decode()
    return data


@graph_view(P.MESSAGES_VIEW)
def message_attachments(request: HttpRequest, principal: Principal, message_id: str) -> HttpResponse:
    post = _get_message(principal, message_id)
    return JsonResponse({"value": [_attachment_json(a, content=False) for a in post.attachments.all()]})


def _get_attachment(principal: Principal, message_id: str, attachment_id: str) -> MessageAttachment:
    post = _get_message(principal, message_id)
    if not _is_uuid(attachment_id):
        raise NotFound(_("Not found."))
    return policy.get_visible(principal, MessageAttachment, pk=attachment_id, message=post)


@graph_view(P.MESSAGES_VIEW)
def message_attachment(
    request: HttpRequest, principal: Principal, message_id: str, attachment_id: str
) -> HttpResponse:
    return JsonResponse(_attachment_json(_get_attachment(principal, message_id, attachment_id), content=True))


@graph_view(P.MESSAGES_VIEW)
def message_attachment_value(
    request: HttpRequest, principal: Principal, message_id: str, attachment_id: str
) -> FileResponse:
    """`attachments/{id}/$value`: the file's bytes, as the native download serves them."""
    found = _get_attachment(principal, message_id, attachment_id)
    return uploads.download(found.file, filename=found.name, content_type=found.content_type)


@graph_view(P.MESSAGES_VIEW)
def message_attachments_archive(request: HttpRequest, principal: Principal, message_id: str) -> HttpResponse:
    """`attachmentsArchive`: every file of the post in one zip (a post's files are few and small)."""
    post = _get_message(principal, message_id)
    buffer = io.BytesIO()
    used: set[str] = set()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for attachment in post.attachments.all():
            name = attachment.name
            if name in used:  # two files of the same name both survive, the second renamed
                name = f"{attachment.pk}-{name}"
            used.add(name)
            with attachment.file.open("rb") as handle:
                archive.writestr(name, handle.read())
    response = HttpResponse(buffer.getvalue(), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{post.display_id}-attachments.zip"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _is_uuid(value: str) -> bool:
    import uuid

    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


ACTIONS = {
    "markRead": "mark_read",
    "markUnread": "mark_unread",
    "archive": "archive",
    "unarchive": "unarchive",
    "favorite": "favorite",
    "unfavorite": "unfavorite",
}


def _message_action(request: HttpRequest, principal: Principal, action: str) -> HttpResponse:
    if action not in ACTIONS:
        raise NotFound(_("Not found."))
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        raise GraphError(_("The body must be JSON.")) from None
    ids = body.get("messageIds") if isinstance(body, dict) else None
    if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
        raise GraphError(_("messageIds must be a non-empty list of message ids."))
    message_center.set_view_state(principal, ids, ACTIONS[action])
    return JsonResponse({"@odata.context": f"{BASE}/$metadata#Edm.Boolean", "value": True})


# --- Health ---------------------------------------------------------------------------------------


def _issues(principal: Principal) -> QuerySet[Any]:
    return policy.visible(principal, HealthIssue).prefetch_related("services", "features", "posts")


@graph_view(P.HEALTH_VIEW)
def issues(request: HttpRequest, principal: Principal) -> HttpResponse:
    return _revalidated(
        request, counters.issue_list_tag(principal, request), lambda: _issue_list(request, principal)
    )


def _issue_list(request: HttpRequest, principal: Principal) -> HttpResponse:
    rows = apply_filter(_issues(principal), request.GET.get("$filter", ""), ISSUE_FILTERS)
    return _page(
        request,
        rows,
        columns=ISSUE_ORDERING,
        default=["-last_modified_at", "id"],
        render=_issue_json,
        properties=ISSUE_PROPERTIES,
    )


def _get_issue(principal: Principal, issue_id: str) -> HealthIssue:
    try:
        number = _display_number(issue_id)
    except GraphError:
        raise NotFound(_("Not found.")) from None
    return policy.get_visible(principal, _issues(principal), number=number)


@graph_view(P.HEALTH_VIEW)
def issue(request: HttpRequest, principal: Principal, issue_id: str) -> HttpResponse:
    return JsonResponse(_issue_json(_get_issue(principal, issue_id)))


@graph_view(P.HEALTH_VIEW)
def incident_report(request: HttpRequest, principal: Principal, issue_id: str) -> HttpResponse:
    found = _get_issue(principal, issue_id)
    if not found.incident_report:
        raise NotFound(_("This issue has no post-incident report."))
    response = HttpResponse(found.incident_report.encode(), content_type="application/octet-stream")
    response["Content-Disposition"] = f'attachment; filename="{found.display_id}-report.txt"'
    return response


def _overview_json(service: Service, open_issues: list[HealthIssue] | None) -> dict[str, Any]:
    data: dict[str, Any] = {"id": service.name, "service": service.name, "status": camel(service.status)}
    if open_issues is not None:
        data["issues"] = [_issue_json(i) for i in open_issues]
    return data


def _expand_issues(request: HttpRequest) -> bool:
    expand = request.GET.get("$expand", "")
    if expand and expand != "issues":
        raise GraphError(_("Only $expand=issues is supported."))
    return expand == "issues"


@graph_view(P.HEALTH_VIEW)
def health_overviews(request: HttpRequest, principal: Principal) -> HttpResponse:
    expand = _expand_issues(request)
    rows = list(counters.with_feature_count(policy.visible(principal, Service)).order_by("name"))
    tag = counters.service_list_tag(request, rows, issues=expand)
    return _revalidated(request, tag, lambda: _overviews(request, principal, rows, expand=expand))


def _overviews(
    request: HttpRequest, principal: Principal, rows: list[Service], *, expand: bool
) -> HttpResponse:
    by_service: dict[Any, list[HealthIssue]] = {s.pk: [] for s in rows}
    if expand:
        for found in (
            _issues(principal).filter(services__in=rows).distinct().order_by("-last_modified_at", "id")
        ):
            for service in found.services.all():
                if service.pk in by_service:
                    by_service[service.pk].append(found)
    return JsonResponse(
        {
            "@odata.context": request.build_absolute_uri(BASE)
            + "/$metadata#admin/serviceAnnouncement/healthOverviews",
            "value": [_overview_json(s, by_service[s.pk] if expand else None) for s in rows],
        }
    )


@graph_view(P.HEALTH_VIEW)
def health_overview(request: HttpRequest, principal: Principal, service_name: str) -> HttpResponse:
    expand = _expand_issues(request)
    service = policy.get_visible(principal, Service, name=service_name)
    found = (
        list(_issues(principal).filter(services=service).order_by("-last_modified_at", "id"))
        if expand
        else None
    )
    return JsonResponse(_overview_json(service, found))


@graph_view(P.HEALTH_VIEW)
def health_overview_issues(request: HttpRequest, principal: Principal, service_name: str) -> HttpResponse:
    """`healthOverviews/{id}/issues`: the same issues as `$expand=issues`, with the list's options."""
    service = policy.get_visible(principal, Service, name=service_name)
    rows = apply_filter(
        _issues(principal).filter(services=service), request.GET.get("$filter", ""), ISSUE_FILTERS
    )
    return _page(
        request,
        rows,
        columns=ISSUE_ORDERING,
        default=["-last_modified_at", "id"],
        render=_issue_json,
        properties=ISSUE_PROPERTIES,
    )


@graph_view(P.MESSAGES_VIEW, methods=("GET", "POST"))
def message_action_or_item(request: HttpRequest, principal: Principal, action: str) -> HttpResponse:
    """`messages/{id}` (GET) and `messages/markRead` etc. (POST) share one URL shape."""
    if request.method == "POST":
        return _message_action(request, principal, action)
    return _message(request, principal, action)
