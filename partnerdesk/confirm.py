"""Destructive actions confirm, in one step that works without JavaScript.

A page's POST that takes something away (suspend, cancel, fewer seats, ending delegated access,
deleting users, groups or domains, removing licences) first answers `confirmation(...)`: a page that
says what will happen in words — who loses what, and when data is deleted — and re-posts the same
fields with `confirmed=1`. Only that second POST acts. The API is not affected: its clients state
what they want in one call.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

FIELD = "confirmed"
_NOT_REPOSTED = {"csrfmiddlewaretoken", FIELD}


def confirmed(request: HttpRequest) -> bool:
    """True when the POST comes from the confirmation page."""
    return request.POST.get(FIELD) == "1"


@dataclass(frozen=True)
class Confirmation:
    """What the confirmation page says: a title, the consequences, the button, where "back" goes."""

    title: str
    consequences: list[str]
    button: str
    back: str


def confirmation(request: HttpRequest, confirmation: Confirmation) -> HttpResponse:
    """The page asking to confirm `request`'s POST: the same fields go again, with `confirmed=1`."""
    fields = [
        (name, value)
        for name, values in request.POST.lists()
        if name not in _NOT_REPOSTED
        for value in values
    ]
    return render(
        request,
        "portals/confirm.html",
        {"confirmation": confirmation, "fields": fields, "action": request.get_full_path()},
    )
