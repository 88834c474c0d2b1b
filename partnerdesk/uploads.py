"""Uploaded files (platform layer): what may be attached, how it is checked and how it is served.

Support requests and Message center posts take files the same way: a multipart field, refused when
empty, too large (413) or not a type on the list (415, judged by name, declared type and first
bytes); stored under MEDIA_ROOT by a name the uploader never chooses; served only through a view
that checked who may see the owner, as a download the browser never renders.
"""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db.models.fields.files import FieldFile
from django.http import FileResponse
from django.utils.translation import gettext as _

from partnerdesk.errors import DomainError, NotFound

# What may be attached, by content type, with the extensions that type may carry.
ALLOWED_TYPES: dict[str, tuple[str, ...]] = {
    "text/plain": (".txt", ".log"),
    "text/csv": (".csv",),
    "application/pdf": (".pdf",),
    "image/png": (".png",),
    "image/jpeg": (".jpg", ".jpeg"),
    "application/json": (".json",),
    "application/zip": (".zip",),
}
# The first bytes a file of that type must start with (types not listed are not sniffed).
MAGIC: dict[str, tuple[bytes, ...]] = {
    "application/pdf": (b"%PDF-",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "application/zip": (b"PK\x03\x04", b"PK\x05\x06"),
}


@dataclass(frozen=True)
class CheckedUpload:
    """An upload that passed the checks, with the name and type to store it under."""

    upload: UploadedFile
    filename: str
    content_type: str
    size: int


def max_bytes() -> int:
    return int(settings.SUPPORT_ATTACHMENT_MAX_BYTES)


def check(upload: UploadedFile) -> CheckedUpload:
    """Refuse an empty, too large or unlisted file; return its safe name, its type and its size."""
    size = upload.size or 0
    limit = max_bytes()
    if size > limit:
        raise DomainError(
            _("The file is larger than %(limit)s MB.") % {"limit": round(limit / 1024 / 1024, 1)},
            code="attachment_too_large",
            status=413,
        )
    if size == 0:
        raise DomainError(_("The file is empty."), code="attachment_empty")
    filename = (upload.name or "file").replace("\\", "/").rsplit("/", 1)[-1][:200] or "file"
    return CheckedUpload(
        upload=upload, filename=filename, content_type=_checked_type(upload, filename), size=size
    )


def _checked_type(upload: UploadedFile, filename: str) -> str:
    declared = (upload.content_type or "").split(";")[0].strip().lower()
    extension = ("." + filename.rsplit(".", 1)[-1].lower()) if "." in filename else ""
    guessed = next((t for t, extensions in ALLOWED_TYPES.items() if extension in extensions), None)
    refuse = DomainError(
        _("This type of file cannot be attached (allowed: text, CSV, JSON, PDF, PNG, JPEG, ZIP)."),
        code="attachment_type_not_allowed",
        status=415,
    )
    if guessed is None:
        raise refuse
    if (
        declared
        and declared not in ("application/octet-stream", guessed)
        and mimetypes.guess_extension(declared) != extension
    ):
        raise refuse
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    signatures = MAGIC.get(guessed)
    if signatures and not any(head.startswith(s) for s in signatures):
        raise refuse
    if (guessed.startswith("text/") or guessed == "application/json") and b"\x00" in head:
        raise refuse
    return guessed


def download(file: FieldFile, *, filename: str, content_type: str) -> FileResponse:
    """Answer a stored file as a download that no browser renders or sniffs; a lost file is a 404."""
    try:
        handle = file.open("rb")
    except FileNotFoundError:
        raise NotFound(_("The file is missing.")) from None
    response = FileResponse(handle, as_attachment=True, filename=filename, content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
