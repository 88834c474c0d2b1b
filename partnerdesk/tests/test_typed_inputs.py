"""A page's form and the API operation of the same operation validate into the same typed input.

The pairs are found, not listed: every form naming an `input_model` (`partnerdesk.inputs`) is paired
with the API operations whose payload is that model (or a schema derived from it). Each pair's valid
sample (in the API's JSON terms) must give equal models both ways; the refusals are derived from the
model's JSON schema (a required field left out, a string one past its limit, a NUL character, a
value outside the choices) and both sides must refuse naming the same field.
"""

from __future__ import annotations

import contextlib
import importlib
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import pytest
from django import forms
from django.apps import apps
from pydantic import BaseModel, ValidationError

from partnerdesk import inputs
from partnerdesk.urls import api

pytestmark = pytest.mark.django_db


def _all_forms() -> list[type[forms.Form]]:
    for config in apps.get_app_configs():
        if config.name.startswith("partnerdesk."):
            with contextlib.suppress(ModuleNotFoundError):
                importlib.import_module(f"{config.name}.forms")
    found: list[type[forms.Form]] = []
    pending = list(forms.Form.__subclasses__())
    while pending:
        form = pending.pop()
        pending.extend(form.__subclasses__())
        if "input_model" in vars(form):
            found.append(form)
    return sorted(found, key=lambda f: f"{f.__module__}.{f.__qualname__}")


def _payload_schemas() -> set[type[BaseModel]]:
    """The body schema of every API operation."""
    found: set[type[BaseModel]] = set()
    for _prefix, router in api._routers:
        for path_view in router.path_operations.values():
            for operation in path_view.operations:
                for parameters in operation.models:
                    if getattr(parameters, "__ninja_param_source__", None) != "body":
                        continue
                    for model_field in parameters.model_fields.values():
                        annotation = model_field.annotation
                        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
                            found.add(annotation)
    return found


@dataclass
class Sample:
    """A valid payload in the API's JSON terms, and what the form needs to be built."""

    valid: Callable[[], dict[str, Any]]
    form_kwargs: Callable[[], dict[str, Any]] = lambda: {}
    post: Callable[[dict[str, Any]], dict[str, Any]] | None = None  # the page's fields, where not 1:1
    skip: set[str] = field(default_factory=set)  # refusals the page cannot express (see the reason)


def _a_service() -> Any:
    from partnerdesk.catalog.models import Service

    return Service.objects.get_or_create(key="exchange", defaults={"name": "Exchange Online"})[0]


def _a_topic() -> Any:
    from partnerdesk.support.models import SupportTopic

    return SupportTopic.objects.get_or_create(name="Voice")[0]


_SHARED = uuid.UUID("6b1f4c1e-8d0a-4a52-9a59-7c2f0d9e1a01")  # a message of the request being escalated
_FLAGGED = uuid.UUID("3f9d2b7a-5c1e-4e8b-a0d4-9b6c1f2e7a03")  # the service request the page shows


def _a_person() -> Any:
    from partnerdesk.accounts.models import User

    return User.objects.filter(email="ops@northwind.test").first() or _operator().user


def _support() -> dict[str, Sample]:
    from partnerdesk.accounts.models import User
    from partnerdesk.catalog.models import Service
    from partnerdesk.support.models import SupportTopic

    return {
        "support.SupportRequestForm": Sample(
            valid=lambda: {
                "title": "Mail bounces",
                "description": "Since this morning.",
                "severity": "moderate",
                "service_id": str(_a_service().pk),
                "contact_name": "Ada",
                "contact_email": "ada@example.test",
                "contact_phone": "+1 555 0100",
                "contact_method": "phone",
            },
            form_kwargs=lambda: {"services": Service.objects.all()},
        ),
        "support.ServiceRequestForm": Sample(
            valid=lambda: {
                "title": "Relay drops calls",
                "description": "Since the update.",
                "severity": "critical",
                "topic_id": str(_a_topic().pk),
                "service_id": str(_a_service().pk),
            },
            form_kwargs=lambda: {"topics": SupportTopic.objects.all(), "services": Service.objects.all()},
        ),
        "support.EscalateForm": Sample(
            valid=lambda: {
                "topic_id": str(_a_topic().pk),
                "severity": "critical",
                "contact_id": str(_a_person().pk),
                "title": "Relay drops calls",
                "description": "The customer's calls drop after a minute.",
                "shared_message_ids": [str(_SHARED)],
            },
            form_kwargs=lambda: {
                "topics": SupportTopic.objects.all(),
                "people": User.objects.all(),
                "messages": [
                    SimpleNamespace(pk=_SHARED, author_name="Ada", body="Still broken", visibility="public")
                ],
            },
        ),
        "support.TopicForm": Sample(valid=lambda: {"name": "Voice", "description": "Calls and meetings"}),
        "support.NoteForm": Sample(valid=lambda: {"body": "Checked the relay.", "kind": "operator_internal"}),
        "support.MessageForm": Sample(valid=lambda: {"body": "Here is the log.", "visibility": "internal"}),
        "support.ServiceStatusForm": Sample(valid=lambda: {"status": "closed", "resolution": "Relay fixed."}),
        "support.FlagForm": Sample(
            valid=lambda: {
                "reason": "First-line support would have solved it.",
                "remediation": "Read the relay's runbook first.",
                "service_request_id": str(_FLAGGED),
            },
            form_kwargs=lambda: {"service_request": SimpleNamespace(pk=_FLAGGED)},
        ),
        "support.FlagResolveForm": Sample(valid=lambda: {"note": "The partner trained its desk."}),
        "support.ProfileForm": Sample(
            valid=lambda: {
                "email": "help@adatum.test",
                "phone": "+1 555 0100",
                "website": "https://adatum.test/support",
                "hours": "Mon-Fri 9-17",
            }
        ),
    }


_PROFILE = {
    "name": "Contoso",
    "contact_email": "it@contoso.test",
    "phone": "+86 10 5555",
    "country": "CN",
    "address": "1 Road",
    "language": "zh-hans",
    "time_zone": "Asia/Shanghai",
}
_BILLING = {
    "billing_contact": "Li",
    "billing_email": "billing@contoso.test",
    "billing_phone": "+86 10 5556",
    "billing_address": "2 Road",
}


_PARTNER = {
    "name": "Adatum",
    "contact_email": "help@adatum.test",
    "phone": "+1 555 0100",
    "website": "https://adatum.test",
    "country": "US",
    "address": "1 Main St",
}


def _tenancy() -> dict[str, Sample]:
    return {
        "tenancy.NewCustomerForm": Sample(
            valid=lambda: {
                **_PROFILE,
                "domain_prefix": "contoso",
                "billing": _BILLING,
                "admin": {"email": "admin@contoso.test", "display_name": "Wei"},
            },
            form_kwargs=lambda: {"with_billing": True},
        ),
        "tenancy.NewPartnerForm": Sample(
            valid=lambda: {**_PARTNER, "admin": {"email": "admin@adatum.test", "display_name": "Ana"}}
        ),
        "tenancy.PartnerForm": Sample(valid=lambda: _PARTNER),
        "tenancy.RelationshipRequestForm": Sample(
            valid=lambda: {"name": "Helpdesk", "roles": ["user_admin", "licence_admin"], "duration_days": 90}
        ),
        "tenancy.CustomerForm": Sample(
            valid=lambda: {**_PROFILE, **_BILLING}, form_kwargs=lambda: {"with_billing": True}
        ),
    }


def _user_post(payload: dict[str, Any]) -> dict[str, Any]:
    """The page names a user by its user name and one of the tenant's domains."""
    post = dict(payload)
    local, _at, domain = post.pop("user_principal_name", "").rpartition("@")
    return {**post, "username": local, "domain": domain}


def _member_post(payload: dict[str, Any]) -> dict[str, Any]:
    """The page names the person by user name."""
    from partnerdesk.accounts.models import User

    post = {k: v for k, v in payload.items() if k != "user_id"}
    if "user_id" in payload:
        post["user_principal_name"] = User.objects.get(pk=payload["user_id"]).email
    return post


def _directory() -> dict[str, Sample]:

    return {
        **_settings(),
        "directory.UserForm": Sample(
            valid=lambda: {
                "user_principal_name": "ada@contoso.test",
                "display_name": "Ada Lovelace",
                "job_title": "Engineer",
                "department": "IT",
                "usage_location": "GB",
                "phone": "+44 20 5555",
                "admin_roles": ["user_admin"],
            },
            form_kwargs=lambda: {"domains": ["contoso.test"], "with_roles": True},
            post=_user_post,
        ),
    }


def _integrations() -> dict[str, Sample]:
    from partnerdesk.access.permissions import OrgKind

    return {
        "webhooks.EndpointForm": Sample(
            valid=lambda: {
                "url": "https://hooks.contoso.test/partnerdesk",
                "events": ["subscription.*", "support_request.created"],
                "description": "Our ticketing",
            },
            post=lambda payload: {**payload, "events": "\n".join(payload.get("events", []))},
        ),
        "integrations.AppForm": Sample(
            valid=lambda: {"name": "Billing sync", "scopes": ["read", "subscriptions"]},
            form_kwargs=lambda: {"kind": OrgKind.PARTNER},
        ),
    }


def _operator() -> Any:
    """The operator's admin, whose forms offer every service."""
    from partnerdesk.access.permissions import OrgKind, Role
    from partnerdesk.access.principal import principal_for
    from partnerdesk.tenancy.models import Organization
    from partnerdesk.testing import make_user

    operator = Organization.objects.create(kind=OrgKind.OPERATOR, name="Northwind Cloud")
    return principal_for(make_user(operator, "ops@northwind.test", [Role.OPERATOR_ADMIN]))


def _preferences_post(payload: dict[str, Any]) -> dict[str, Any]:
    """The page has a field for each of the two extra addresses."""
    post = {k: v for k, v in payload.items() if k != "extra_emails"}
    first, second = [*payload.get("extra_emails", []), "", ""][:2]
    return {**post, "extra_email_1": first, "extra_email_2": second}


def _health() -> dict[str, Sample]:
    from partnerdesk.catalog.models import Service

    return {
        "health.ServiceForm": Sample(
            valid=lambda: {"key": "teams", "name": "Microsoft Teams", "description": "Chat and meetings"}
        ),
        "health.IssueReviseForm": Sample(
            valid=lambda: {
                "title": "Mail delays in Europe",
                "impact_description": "Users in Europe see mail arrive late.",
                "note": "Narrowed to Europe.",
            }
        ),
        "health.MessageReviseForm": Sample(
            valid=lambda: {
                "title": "New sign-in page",
                "body": "The sign-in page changes in **July**.",
                "act_by": "2027-07-01",
                "note": "Moved to July.",
                "notifies": True,
            }
        ),
        "health.PreferencesForm": Sample(
            valid=lambda: {
                "services": [str(_a_service().pk)],
                "weekly_digest": False,
                "email_major_changes": True,
                "email_data_privacy": True,
                "email_health_issues": True,
                "health_services": [str(_a_service().pk)],
                "extra_emails": ["ops@contoso.test", ""],
            },
            form_kwargs=lambda: {"services": Service.objects.all(), "privacy": True},
            post=_preferences_post,
        ),
        "health.IssueForm": Sample(
            valid=lambda: {
                "title": "Mail delays",
                "impact_description": "Users see mail arrive late.",
                "classification": "advisory",
                "status": "service_degradation",
                "services": [str(_a_service().pk)],
                "first_post": "We are looking into it.",
                "publish": True,
            },
            form_kwargs=lambda: {"principal": _operator()},
        ),
        "health.MaintenanceForm": Sample(
            valid=lambda: {
                "title": "Mail relay upgrade",
                "description": "Short interruptions.",
                "services": [str(_a_service().pk)],
                "starts_at": "2027-01-09T22:00:00+00:00",
                "ends_at": "2027-01-10T02:00:00+00:00",
                "reminder_hours": [48, 2],
            },
            form_kwargs=lambda: {"principal": _operator()},
            post=lambda payload: {
                **payload,
                "reminder_hours": ", ".join(str(h) for h in payload.get("reminder_hours", [])),
            },
        ),
        "health.RescheduleForm": Sample(
            valid=lambda: {"starts_at": "2027-01-16T22:00:00+00:00", "ends_at": "2027-01-17T01:00:00+00:00"}
        ),
        "health.ReportForm": Sample(valid=lambda: {"report": "The relay's certificate had expired."}),
        "health.IssuePostForm": Sample(
            valid=lambda: {
                "body": "A fix is rolling out.",
                "status": "restoring_service",
                "notifies": False,
                "correction": True,
            },
        ),
        "health.MessageForm": Sample(
            valid=lambda: {
                "title": "New sign-in page",
                "body": "The sign-in page **changes** in June.",
                "category": "plan_for_change",
                "severity": "high",
                "is_major_change": True,
                "act_by": "2027-06-01",
                "services": [str(_a_service().pk)],
                "tags": ["user_impact", "admin_impact"],
                "audience": {"type": "services", "services": [str(_a_service().pk)]},
            },
            form_kwargs=lambda: {"principal": _operator()},
        ),
    }


def _a_sku() -> Any:
    from partnerdesk.catalog.models import Product, Sku

    product = Product.objects.get_or_create(name="Microsoft 365")[0]
    return Sku.objects.get_or_create(product=product, name="Microsoft 365 E5")[0]


_SUBSCRIPTION = uuid.UUID("0c3e7a52-41d9-4f0e-b7a3-5d2c9e8f1b02")  # the subscription the page shows


def _an_offer() -> Any:
    from partnerdesk.catalog.models import Offer

    return Offer.objects.get_or_create(
        sku=_a_sku(), name="Microsoft 365 E5 (monthly)", defaults={"term": "P1M", "unit_price": 38}
    )[0]


def _subscriptions() -> dict[str, Sample]:
    from partnerdesk.catalog.models import Offer, Sku

    return {
        "subscriptions.ChangeRequestForm": Sample(
            valid=lambda: {
                "subscription_id": str(_SUBSCRIPTION),
                "type": "upgrade",
                "target_sku_id": str(_a_sku().pk),
                "note": "We need the phone system.",
            },
            form_kwargs=lambda: {
                "subscription": SimpleNamespace(pk=_SUBSCRIPTION),
                "upgrade_skus": Sku.objects.all(),
            },
            skip={"subscription_id:missing"},  # the page's subscription is the one it shows
        ),
        "subscriptions.ReplyForm": Sample(valid=lambda: {"note": "Five people start in June."}),
        "subscriptions.NewSubscriptionForm": Sample(
            valid=lambda: {"offer_id": str(_an_offer().pk), "quantity": 25, "friendly_name": "Head office"},
            form_kwargs=lambda: {"offers": Offer.objects.all()},
        ),
    }


def _accounts() -> dict[str, Sample]:
    return {
        "accounts.PasswordChangeForm": Sample(
            valid=lambda: {
                "email": "ada@contoso.test",
                "current_password": "Old-horse-battery-1",
                "new_password": "New-staple-correct-2",
            },
            form_kwargs=lambda: {"user": SimpleNamespace(email="ada@contoso.test")},
            # The page repeats the new password; its user is the one signed in.
            post=lambda payload: {**payload, "confirm_password": payload.get("new_password", "Repeated-3")},
            skip={"email:missing"},
        ),
        "accounts.TokenForm": Sample(
            valid=lambda: {"name": "nightly export", "expires_in_days": 30, "scopes": ["read"]}
        ),
    }


_PRODUCT = uuid.UUID("9a4c6e2b-7d3f-4b1a-8e5c-2f6d9b0a1c04")  # the product the page shows


def _another_sku() -> Any:
    from partnerdesk.catalog.models import Sku

    return Sku.objects.get_or_create(product=_a_sku().product, name="Microsoft 365 E3")[0]


def _catalog() -> dict[str, Sample]:
    from partnerdesk.catalog.models import Service, Sku

    return {
        "catalog.ProductForm": Sample(valid=lambda: {"name": "Dynamics 365", "description": "Business apps"}),
        "catalog.SkuForm": Sample(
            valid=lambda: {"product_id": str(_PRODUCT), "name": "Sales", "services": [_a_service().key]},
            form_kwargs=lambda: {"product": SimpleNamespace(pk=_PRODUCT), "services": Service.objects.all()},
            skip={"product_id:missing"},  # the page's product is the one it shows
        ),
        "catalog.OfferForm": Sample(
            valid=lambda: {
                "sku_id": str(_a_sku().pk),
                "name": "Microsoft 365 E5 (yearly)",
                "term": "P1Y",
                "billing_cycle": "annual",
                "unit_price": "420.00",
                "currency": "EUR",
                "min_quantity": 5,
                "max_quantity": 500,
                "valid_until": "2027-12-31T00:00:00+00:00",
            },
            form_kwargs=lambda: {"skus": Sku.objects.all()},
        ),
        "catalog.PolicyForm": Sample(
            valid=lambda: {
                "cancellation_window_hours": 72,
                "seat_decrease": "renewal",
                "billing_continues_while_suspended": True,
            }
        ),
        "catalog.PriceChangeForm": Sample(
            valid=lambda: {"unit_price": "40.50", "effective_at": "2027-03-01T00:00:00+00:00"}
        ),
        "catalog.UpgradePathForm": Sample(
            valid=lambda: {"from_sku_id": str(_another_sku().pk), "to_sku_id": str(_a_sku().pk)},
            form_kwargs=lambda: {"skus": Sku.objects.all()},
        ),
        "catalog.AddOnRuleForm": Sample(
            valid=lambda: {
                "addon_sku_id": str(_another_sku().pk),
                "base_sku_id": str(_a_sku().pk),
                "coterminous": False,
            },
            form_kwargs=lambda: {"skus": Sku.objects.all()},
        ),
    }


def _sso() -> dict[str, Sample]:
    return {
        "sso.ConnectionForm": Sample(
            valid=lambda: {
                "issuer": "https://login.contoso.test",
                "client_id": "partnerdesk",
                "client_secret": "s3cret",
                "just_in_time": True,
                "require_sso": False,
            }
        ),
    }


def samples() -> dict[str, Sample]:
    return {
        **_support(),
        **_tenancy(),
        **_directory(),
        **_integrations(),
        **_health(),
        **_subscriptions(),
        **_accounts(),
        **_sso(),
        **_catalog(),
    }


def _settings() -> dict[str, Sample]:
    from partnerdesk.accounts.models import User

    return {
        "directory.OrganizationProfileForm": Sample(
            valid=lambda: {
                "name": "Contoso",
                "address": "1 Road",
                "country": "CN",
                "technical_contact_name": "Wei",
                "contact_email": "it@contoso.test",
                "phone": "+86 10 5555",
                "language": "es",
                "time_zone": "Europe/Madrid",
            }
        ),
        "directory.SecurityForm": Sample(
            valid=lambda: {
                "password_min_length": 12,
                "password_expiry_days": 90,
                "lockout_threshold": 5,
                "lockout_minutes": 15,
            }
        ),
        "directory.GroupForm": Sample(valid=lambda: {"name": "Finance", "description": "The finance team"}),
        "directory.DomainForm": Sample(valid=lambda: {"name": "contoso.com"}),
        "directory.ReleaseForm": Sample(valid=lambda: {"release_preference": "targeted_admins"}),
        "directory.RolesForm": Sample(
            valid=lambda: {"admin_roles": ["user_admin", "licence_admin"]},
            skip={"admin_roles:missing"},  # no box ticked is the empty list: no admin role
        ),
        "directory.ResetPasswordForm": Sample(
            valid=lambda: {"send_to": "ada@contoso.test"},
            post=lambda payload: {**payload, "delivery": "mail"},  # the page's other choice: shown once
        ),
        "directory.MemberForm": Sample(
            valid=lambda: {"user_id": str(_a_person().pk), "role": "owner"},
            form_kwargs=lambda: {"people": User.objects.all()},
            post=_member_post,
        ),
    }


FORMS = _all_forms()


def _key(form_class: type[forms.Form]) -> str:
    return f"{form_class.__module__.split('.')[1]}.{form_class.__qualname__}"


def _sample(form_class: type[forms.Form]) -> Sample:
    known = samples()
    assert _key(form_class) in known, f"{_key(form_class)} names an input model: add its sample here"
    return known[_key(form_class)]


def _schema(form_class: type[forms.Form]) -> type[BaseModel]:
    model = form_class.input_model  # type: ignore[attr-defined]
    taking = [schema for schema in _payload_schemas() if issubclass(schema, model)]
    assert taking, f"no API operation takes {model.__name__}, the input of {form_class.__name__}"
    return min(taking, key=lambda schema: len(schema.__mro__))


def _form_post(form_class: type[forms.Form], payload: dict[str, Any]) -> dict[str, Any]:
    """The payload as the page posts it: renamed, nested objects flattened into their fields."""
    names: dict[str, str] = {model: page for page, model in getattr(form_class, "input_names", {}).items()}
    post: dict[str, Any] = {}
    for key, value in payload.items():
        if isinstance(value, dict):
            for inner, item in value.items():
                post[names.get(f"{key}.{inner}", str(inner))] = item
        else:
            post[names.get(key, key)] = value
    return post


def _by_form(form_class: type[forms.Form], payload: dict[str, Any]) -> Any:
    sample = _sample(form_class)
    post = sample.post(payload) if sample.post else _form_post(form_class, payload)
    form = form_class(data=post, **sample.form_kwargs())
    return form, inputs.from_form(form)


def _by_api(schema: type[BaseModel], payload: dict[str, Any]) -> BaseModel:
    return schema.model_validate(payload)


def test_forms_name_their_typed_input() -> None:
    assert FORMS, "no form names an input model"
    for form_class in FORMS:
        _schema(form_class)
        _sample(form_class)


@pytest.mark.parametrize("form_class", FORMS, ids=_key)
def test_valid_sample_gives_the_same_input(form_class: type[forms.Form]) -> None:
    payload = _sample(form_class).valid()
    form, by_form = _by_form(form_class, payload)
    assert by_form is not None, form.errors
    by_api = _by_api(_schema(form_class), payload)
    assert isinstance(by_form, form_class.input_model)  # type: ignore[attr-defined]
    assert by_form.model_dump() == by_api.model_dump()


def _refusals(schema: type[BaseModel], valid: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(what, field, payload): the valid payload broken in one field."""
    document = schema.model_json_schema()
    for name in document.get("required", []):
        yield "missing", name, {k: v for k, v in valid.items() if k != name}
    for name, spec in document["properties"].items():
        if name not in valid:
            continue
        if spec.get("type") == "string" and "format" not in spec:
            if "maxLength" in spec:
                yield "too long", name, {**valid, name: "x" * (spec["maxLength"] + 1)}
            if "enum" not in spec:
                yield "NUL", name, {**valid, name: f"{valid[name]}\x00!"}
        if "enum" in spec:
            yield "bad choice", name, {**valid, name: "not-a-choice"}


def _cases() -> Iterator[Any]:
    for form_class in FORMS:
        schema = _schema(form_class)
        # The refusals are derived from the schema for the fields the page has (a stand-in payload);
        # the real valid one is built per test (it may name rows it creates).
        page_fields = {inputs.field_of(form_class, f).split(".")[0] for f in form_class.base_fields}  # type: ignore[arg-type]
        stand_in = dict.fromkeys(page_fields & set(schema.model_fields), "x")
        for what, name, _payload in _refusals(schema, stand_in):
            yield pytest.param(form_class, what, name, id=f"{_key(form_class)}-{name}-{what}")


def _broken(schema: type[BaseModel], valid: dict[str, Any], what: str, name: str) -> dict[str, Any]:
    for kind, field_name, payload in _refusals(schema, valid):
        if (kind, field_name) == (what, name):
            return payload
    raise AssertionError(f"{what} {name}: the valid sample leaves the field out")


@pytest.mark.parametrize(("form_class", "what", "name"), list(_cases()))
def test_both_refuse_naming_the_same_field(form_class: type[forms.Form], what: str, name: str) -> None:
    sample = _sample(form_class)
    if f"{name}:{what}" in sample.skip:
        pytest.skip(f"the page cannot send {what} {name}")
    schema = _schema(form_class)
    payload = _broken(schema, sample.valid(), what, name)

    with pytest.raises(ValidationError) as refused:
        _by_api(schema, payload)
    assert {str(error["loc"][0]) for error in refused.value.errors()} == {name}

    form, by_form = _by_form(form_class, payload)
    assert by_form is None
    assert {inputs.field_of(form, field_name).split(".")[0] for field_name in form.errors} == {name}, (
        form.errors
    )


def test_a_refusal_the_form_missed_lands_on_its_field() -> None:
    """What only the model refuses (a description past 20,000 characters) re-renders on the field."""
    from partnerdesk.catalog.models import Service
    from partnerdesk.support.forms import SupportRequestForm

    form = SupportRequestForm(
        data={
            "title": "t",
            "description": "x" * 20001,
            "severity": "moderate",
            "contact_name": "Ada",
            "contact_email": "ada@example.test",
            "contact_method": "email",
        },
        services=Service.objects.none(),
    )
    assert inputs.from_form(form) is None
    assert list(form.errors) == ["description"]


def test_the_model_s_refusal_reads_like_the_form_s_own() -> None:
    """A limit only the model has is said in the words (and language) of Django's form fields."""
    from django.utils import translation

    from partnerdesk.catalog.models import Service
    from partnerdesk.support.forms import SupportRequestForm

    post = {
        "title": "t",
        "description": "x" * 20001,
        "severity": "moderate",
        "contact_name": "Ada",
        "contact_email": "ada@example.test",
        "contact_method": "email",
    }
    form = SupportRequestForm(data=post, services=Service.objects.none())
    assert inputs.from_form(form) is None
    assert form.errors["description"] == ["Ensure this value has at most 20000 characters (it has 20001)."]
    with translation.override("es"):
        form = SupportRequestForm(data=post, services=Service.objects.none())
        assert inputs.from_form(form) is None
        assert "20000" in form.errors["description"][0]
        assert "Ensure" not in form.errors["description"][0]


def test_a_number_past_the_model_s_limit_reads_like_the_form_s_own() -> None:
    """A token's life of more days than the model allows is said as Django's integer fields say it."""
    from django.utils import translation

    from partnerdesk.accounts.forms import TokenForm

    form = TokenForm(data={"name": "nightly export", "expires_in_days": "40000"})
    assert inputs.from_form(form) is None
    assert form.errors["expires_in_days"] == ["Ensure this value is less than or equal to 36500."]
    with translation.override("es"):
        form = TokenForm(data={"name": "nightly export", "expires_in_days": "40000"})
        assert inputs.from_form(form) is None
        assert "36500" in form.errors["expires_in_days"][0]
        assert "Ensure" not in form.errors["expires_in_days"][0]


def test_a_value_not_of_the_model_s_pattern_reads_like_the_form_s_own() -> None:
    """A service key the page's slug field accepts but the model does not (upper case) is said as
    Django's fields say an invalid value, in the reader's language."""
    from django.utils import translation

    from partnerdesk.health.forms import ServiceForm

    form = ServiceForm(data={"key": "Teams", "name": "Microsoft Teams"})
    assert inputs.from_form(form) is None
    assert form.errors["key"] == ["Enter a valid value."]
    with translation.override("es"):
        form = ServiceForm(data={"key": "Teams", "name": "Microsoft Teams"})
        assert inputs.from_form(form) is None
        assert form.errors["key"] != ["Enter a valid value."]


def test_a_choice_looked_up_by_another_field_is_that_field() -> None:
    """A SKU's services are chosen by key on the page (`to_field_name`), as the API names them."""
    from partnerdesk.catalog.forms import SkuForm
    from partnerdesk.catalog.models import Service

    key = _a_service().key
    form = SkuForm(
        data={"name": "Sales", "services": [key]},
        product=SimpleNamespace(pk=_PRODUCT),
        services=Service.objects.all(),
    )
    sku = inputs.from_form(form)
    assert sku is not None, form.errors
    assert sku.services == [key]
