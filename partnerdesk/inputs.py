"""Typed input: an operation that is both a page's form and an API operation validates into one model.

Each such operation has ONE pydantic model (an `Input`, living with its domain in `<app>/inputs.py`)
that says what is valid: lengths, required fields, choices, trimming, no NUL character. The API
operation's payload is that model (or a schema derived from it, without declaring a constraint again);
the page's form names it (`input_model`, and `input_names` where a form field is named otherwise) and
turns its cleaned POST into it with `from_form`, which puts what the model refuses back onto the form's
fields, so the page re-renders with the message (never a 500); the service function takes the model
(where a service is also called with what no person typed, a mail or a CSV row, the edges pass the
model's fields, and those callers keep the service's own checks).

The form keeps what only a page has (widgets, labels, the choices offered, an uploaded file); the
model decides. `tests/test_typed_inputs.py` finds every form that names a model, checks that an API
operation takes it, and that both refuse the same input naming the same field.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from django import forms
from django.db.models import Model, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from ninja import Schema
from pydantic import ConfigDict, ValidationError, field_validator

NUL = "\x00"
InputT = TypeVar("InputT", bound="Input")


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return NUL in value
    if isinstance(value, list | tuple | set):
        return any(_has_nul(item) for item in value)
    if isinstance(value, dict):
        return any(_has_nul(key) or _has_nul(item) for key, item in value.items())
    return False


class Input(Schema):
    """The base of a typed input: every string is trimmed, and none may contain NUL.

    Trimming is what Django's form fields do, so a page and the API read `" Printer "` alike; NUL is
    refused because PostgreSQL cannot store it (the API's parser refuses it earlier, with the same
    field named). A field that must keep its spaces (a password) says `strip_whitespace=False`.
    """

    model_config = ConfigDict(str_strip_whitespace=True)

    @field_validator("*", mode="after")
    @classmethod
    def _refuse_nul(cls, value: Any) -> Any:
        if _has_nul(value):
            raise ValueError(_("must not contain the NUL character (U+0000)"))
        return value


def _plain(value: Any, field: forms.Field | None = None) -> Any:
    """A cleaned form value as the API would send it: a chosen row is its id (or the value its field
    looks it up by, `to_field_name`: a service's key), several rows a list."""
    key = getattr(field, "to_field_name", None) or "pk"
    if isinstance(value, Model):
        return getattr(value, key)
    if isinstance(value, QuerySet):
        return [getattr(row, key) for row in value]
    return value


def _empty(value: Any) -> bool:
    return value is None or value in ("", [], ())


def _defaults_to_a_value(model: type[Input], path: list[str]) -> bool:
    """Whether the model's field at `path` has a default other than None (None: "unchanged")."""
    field = model.model_fields.get(path[0])
    if field is None or field.is_required():
        return False
    if len(path) > 1:
        inner = field.annotation
        for candidate in (inner, *getattr(inner, "__args__", ())):
            if isinstance(candidate, type) and issubclass(candidate, Input):
                return _defaults_to_a_value(candidate, path[1:])
        return True
    return field.get_default(call_default_factory=True) is not None


def form_data(form: forms.Form, model: type[Input]) -> dict[str, Any]:
    """The form's cleaned data in the model's terms (`input_names` renames; `a.b` nests).

    A field left empty is left out where the model has a default for it, so that default applies as
    when an API caller omits the field; where the model's default is None (a change: "unchanged"),
    the empty text is kept, so clearing a field on the page clears it. A choice left unchosen is
    always left out.
    """
    names: Mapping[str, str] = getattr(form, "input_names", {})
    data: dict[str, Any] = {}
    for name, value in form.cleaned_data.items():
        field = form.fields.get(name)
        if isinstance(field, forms.FileField):
            continue  # a page's upload is not part of the typed input (the API posts files apart)
        path = names.get(name, name).split(".")
        no_choice = value == "" and isinstance(field, forms.ChoiceField)  # nothing chosen: None
        if value is None or no_choice or (_empty(value) and _defaults_to_a_value(model, path)):
            continue
        into = data
        for part in path[:-1]:
            into = into.setdefault(part, {})
        into[path[-1]] = _plain(value, field)
    return data


def from_form(form: forms.Form, model: type[InputT] | None = None, **values: Any) -> InputT | None:
    """Validate the form, then its cleaned data (and `values` the view adds) into its typed input.

    Returns None when either refuses; the form then carries each message on its field (a field the
    form does not show gets it as a non-field error, prefixed with the field's name).
    """
    model = model or form.input_model  # type: ignore[attr-defined]
    assert model is not None
    if not form.is_valid():
        return None
    # A form whose fields are not the model's one by one composes the data itself (`input_data`).
    data = form.input_data(model) if hasattr(form, "input_data") else form_data(form, model)
    data.update(values)
    try:
        return model.model_validate(data)
    except ValidationError as error:
        add_errors(form, error)
        return None


def add_errors(form: forms.Form, error: ValidationError) -> None:
    """Put each problem pydantic found onto the form field it is about."""
    names: Mapping[str, str] = getattr(form, "input_names", {})
    back: dict[str, str] = {}
    for form_name, model_name in names.items():
        back.setdefault(model_name, form_name)  # several fields making one: the first shows it
    for problem in error.errors():
        loc = [str(part) for part in problem["loc"]]
        dotted = ".".join(loc)
        name = back.get(dotted) or (back.get(loc[0], loc[0]) if loc else "")
        message = _message(problem)
        if name in form.fields:
            form.add_error(name, message)
        else:
            form.add_error(None, f"{dotted}: {message}" if loc else message)


def _message(problem: Any) -> str:
    """What pydantic found, said as Django's form fields say it (their translations apply)."""
    kind, context = problem["type"], problem.get("ctx") or {}
    if kind == "missing" or (kind == "string_too_short" and context.get("min_length") == 1):
        return _("This field is required.")
    if kind == "string_too_long":
        limit, length = context["max_length"], len(str(problem["input"]).strip())
        return ngettext(
            "Ensure this value has at most %(limit_value)d character (it has %(show_value)d).",
            "Ensure this value has at most %(limit_value)d characters (it has %(show_value)d).",
            limit,
        ) % {"limit_value": limit, "show_value": length}
    if kind in ("less_than_equal", "greater_than_equal"):
        said = (
            _("Ensure this value is less than or equal to %(limit_value)s.")
            if kind == "less_than_equal"
            else _("Ensure this value is greater than or equal to %(limit_value)s.")
        )
        return said % {"limit_value": context.get("le", context.get("ge"))}
    if kind == "string_pattern_mismatch":
        return _("Enter a valid value.")
    if kind in ("literal_error", "enum"):
        return _("Select a valid choice. %(value)s is not one of the available choices.") % {
            "value": problem["input"]
        }
    if kind == "value_error" and "error" in context:
        return str(context["error"])  # the validator's own message, translated where it was raised
    return str(problem["msg"])


def field_of(form: forms.Form, form_field: str) -> str:
    """The model's name of a form field (what the API names in its 422), dotted when nested."""
    names: Mapping[str, str] = getattr(form, "input_names", {})
    return names.get(form_field, form_field)
