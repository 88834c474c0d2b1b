"""`Idempotency-Key` for every POST of the API: a retried create makes one object and gets the first answer.

The API's operation wrapper calls `run()` around each operation. For a POST that carries the
header, the caller's key is claimed by inserting its record in the same transaction as the
operation: the unique index makes a concurrent twin wait until the first commits (PostgreSQL) or
start only after it (SQLite's immediate transactions), and the twin then replays. The rules:

- the same key and the same request (method, path, `X-On-Behalf-Of`, body bytes) replay the first
  answer exactly: status, body and content type, with `Idempotent-Replayed: true`;
- the same key with another request is 422 `idempotency_key_reused`;
- an answer of 400 or more is not kept: the operation rolled back, so the client may fix and retry;
- a key is kept 24 hours (`KEY_LIFETIME`, the `idempotency.expire_keys` job).
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.http.request import RawPostDataException
from django.http.response import HttpResponseBase
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from partnerdesk.encryption import InvalidToken, seal, unseal
from partnerdesk.errors import Conflict, DomainError
from partnerdesk.idempotency.models import IdempotencyRecord

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
ON_BEHALF_OF_HEADER = "X-On-Behalf-Of"
MAX_KEY_LENGTH = 255
# Kept answers are sealed (`partnerdesk.encryption`) under this purpose.
_PURPOSE = "idempotency.body"
KEY_LIFETIME = timedelta(hours=24)
# The header as the OpenAPI document describes it on every POST (added in `partnerdesk.api`).
HEADER_DESCRIPTION = (
    "Optional; at most 255 characters. Send the same key when retrying: the first answer is replayed "
    "(with `Idempotent-Replayed: true`) and nothing is created twice. The same key with another request "
    "is 422 `idempotency_key_reused`; an answer of 400 or more is not kept, so a fixed request may reuse "
    "the key. Keys are kept 24 hours, per caller."
)

# Turns the operation's return value into the HttpResponse to keep; given by `partnerdesk.api`,
# which knows the ninja operations (this module does not import the API layer).
Render = Callable[[Any], HttpResponseBase]


class KeyReused(DomainError):
    status = 422
    code = "idempotency_key_reused"


class _NotKept(Exception):
    """Leave the transaction without keeping anything, answering `response`."""

    def __init__(self, response: HttpResponseBase) -> None:
        super().__init__()
        self.response = response


class _AlreadyClaimed(Exception):
    """The key has a record already (or a twin committed one while we waited)."""


def run(request: HttpRequest, call: Callable[[], Any], render: Render) -> Any:
    """Run `call()` (one API operation) under the request's Idempotency-Key, if it has one.

    Without the header, or for another method than POST, this is just `call()`. With it, the answer
    is `render(call())`, or the replay of the first answer.
    """
    if request.method != "POST" or HEADER not in request.headers or hasattr(request, "_idempotency_key"):
        return call()  # (a wrapper inside another runs once, under the outer one)
    key = valid_key(request.headers[HEADER])
    request._idempotency_key = key  # type: ignore[attr-defined]
    user = _caller(request)
    fingerprint = fingerprint_of(request)
    # A record that vanished between our failed claim and its read (the expiry job took it) means
    # the key is free again: claim it once more.
    for _attempt in range(2):
        try:
            return _first_use(call, render, user, key, fingerprint)
        except _AlreadyClaimed:
            record = _records(user, key).first()
        if record is not None:
            return _replay(record, fingerprint)
    raise Conflict(_("This Idempotency-Key is in use; retry in a moment."), code="idempotency_key_busy")


def valid_key(raw: str) -> str:
    """The key as sent; refused (never cut) when empty, too long, or holding control characters."""
    if not raw or len(raw) > MAX_KEY_LENGTH or any(unicodedata.category(c) == "Cc" for c in raw):
        raise DomainError(
            _("The Idempotency-Key must be 1 to 255 characters, without control characters."),
            code="invalid_idempotency_key",
        )
    return raw


def fingerprint_of(request: HttpRequest) -> str:
    """A keyed hash of what makes two requests the same one: method, path, acting-for, body bytes.

    Keyed (HMAC with SECRET_KEY) because a body can hold a password (`POST /auth/tokens`).
    """
    digest = hashlib.sha256()
    for part in (request.method or "", request.path, request.headers.get(ON_BEHALF_OF_HEADER, "")):
        digest.update(part.encode() + b"\0")
    _add_body(request, digest)
    mac = salted_hmac("partnerdesk.idempotency.fingerprint", digest.hexdigest(), algorithm="sha256")
    return mac.hexdigest()


def expire(*, batch: int = 1000, now: Any = None) -> int:
    """Delete up to `batch` records older than KEY_LIFETIME; return how many went."""
    cutoff = (now or timezone.now()) - KEY_LIFETIME
    old = list(IdempotencyRecord.objects.filter(created_at__lt=cutoff).values_list("pk", flat=True)[:batch])
    deleted, _by_model = IdempotencyRecord.objects.filter(pk__in=old).delete()
    return deleted


def _first_use(
    call: Callable[[], Any], render: Render, user: Any, key: str, fingerprint: str
) -> HttpResponseBase:
    try:
        with transaction.atomic():
            try:
                record = IdempotencyRecord.objects.create(user=user, key=key, fingerprint=fingerprint)
            except IntegrityError:
                raise _AlreadyClaimed from None
            response = render(call())
            if response.status_code >= 400:
                raise _NotKept(response)
            if not isinstance(response, HttpResponse):
                # A streamed answer cannot be kept: the change stands, the key is not remembered.
                record.delete()
                return response
            record.status_code = response.status_code
            record.content_type = response.get("Content-Type", "")
            record.body = seal(_PURPOSE, response.content)
            record.save(update_fields=["status_code", "content_type", "body"])
    except _NotKept as refused:
        return refused.response
    return response


def _replay(record: IdempotencyRecord, fingerprint: str) -> HttpResponse:
    if record.fingerprint != fingerprint:
        raise KeyReused(_("This Idempotency-Key was used for another request."))
    try:
        body = unseal(_PURPOSE, bytes(record.body))
    except InvalidToken:
        # Kept under a SECRET_KEY that is gone (neither current nor a fallback): nothing to replay.
        raise KeyReused(_("This Idempotency-Key was used for another request.")) from None
    response = HttpResponse(body, status=record.status_code, content_type=record.content_type)
    response[REPLAYED_HEADER] = "true"
    return response


def _records(user: Any, key: str) -> Any:
    if user is None:
        return IdempotencyRecord.objects.filter(user__isnull=True, key=key)
    return IdempotencyRecord.objects.filter(user=user, key=key)


def _caller(request: HttpRequest) -> Any:
    """The signed-in user behind the request (the agent, when acting for a customer), or None."""
    principal = getattr(request, "auth", None)
    return getattr(principal, "user", None)


def _add_body(request: HttpRequest, digest: Any) -> None:
    try:
        digest.update(request.body)
    except RawPostDataException:
        # A multipart upload was parsed straight from the stream (Django keeps no body bytes then):
        # hash its fields and files instead, in order. Nothing else reads the stream itself.
        if request.content_type != "multipart/form-data":
            raise
        for name, values in sorted(request.POST.lists()):
            digest.update(f"field\0{name}\0".encode() + "\0".join(values).encode() + b"\0")
        for name, files in sorted(request.FILES.lists()):
            for upload in files:
                digest.update(f"file\0{name}\0{upload.name}\0{upload.content_type}\0".encode())
                for chunk in upload.chunks():
                    digest.update(chunk)
                upload.seek(0)
