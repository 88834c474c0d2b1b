"""The second step at sign-in, and one's own second factors: enrol, list, rename, remove, recovery codes."""

from __future__ import annotations

import json
from typing import Any

import segno
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from partnerdesk import confirm
from partnerdesk.access import policy
from partnerdesk.access.principal import principal_of
from partnerdesk.access.web import public, signed_in
from partnerdesk.errors import DomainError, RateLimited
from partnerdesk.mfa import enrolment, forms, security_keys, services
from partnerdesk.mfa import policy as mfa_policy
from partnerdesk.mfa.models import Factor
from partnerdesk.ratelimits.services import client_address

NEW_CODES_KEY = "partnerdesk_mfa_new_recovery_codes"


def _form_page(
    request: HttpRequest, template: str, context: dict[str, Any], *, retry_after: int = 0
) -> HttpResponse:
    if retry_after:
        response = render(request, template, context, status=429)
        response["Retry-After"] = str(retry_after)
        return response
    return render(request, template, context, status=400 if context["form"].errors else 200)


@public
def verify(request: HttpRequest) -> HttpResponse:
    """The second step: a code (or a recovery code, or a security key) after a correct password."""
    found = enrolment.pending(request)
    if found is None:
        messages.info(request, _("Sign in again: the time for the second step ran out."))
        return redirect("accounts:signin")
    user, next_url = found
    form = forms.CodeForm(request.POST or None)
    retry_after = 0
    if request.method == "POST" and form.is_valid():
        try:
            accepted = services.verify(user, form.cleaned_data["code"], address=client_address(request))
        except RateLimited as error:
            form.add_error(None, error.message)
            retry_after = error.retry_after
        else:
            if accepted:
                return complete_sign_in(request, user, next_url)
            form.add_error("code", _("That code is not right."))
    context = {
        "form": form,
        "has_webauthn": services.confirmed_factors(user).filter(kind="webauthn").exists(),
    }
    return _form_page(request, "mfa/verify.html", context, retry_after=retry_after)


def complete_sign_in(request: HttpRequest, user: Any, next_url: str) -> HttpResponse:
    """Sign the user in now that both factors were given; the session's second factor is fresh."""
    enrolment.end_second_step(request)
    services.sign_in(request, user)
    return redirect(next_url or reverse("portals:home"))


@signed_in
def factors(request: HttpRequest) -> HttpResponse:
    """One's second factors and recovery codes; where a user who must enrol is sent."""
    principal = principal_of(request)
    own = policy.visible(principal, Factor).order_by("created_at", "id")
    return render(
        request,
        "mfa/factors.html",
        {
            "factors": [factor for factor in own if factor.is_confirmed],
            "required": mfa_policy.is_required(principal.user, roles=principal.home_roles),
            "recovery_left": services.unused_recovery_codes(principal.user),
            "new_codes": request.session.pop(NEW_CODES_KEY, None),
            "rename_form": forms.FactorNameForm(),
        },
    )


@require_POST
@signed_in(fresh_mfa=True)
def totp_start(request: HttpRequest) -> HttpResponse:
    services.start_totp(principal_of(request))
    return redirect("mfa:totp_confirm")


@signed_in
def totp_confirm(request: HttpRequest) -> HttpResponse:
    """Show the new authenticator app's secret (text, URI and QR) until it is confirmed with a code."""
    principal = principal_of(request)
    factor = services.pending_totp(principal.user)
    if factor is None:
        return redirect("mfa:factors")
    form = forms.CodeForm(request.POST or None)
    retry_after = 0
    if request.method == "POST" and form.is_valid():
        try:
            codes = services.confirm_totp(
                principal, factor, form.cleaned_data["code"], address=client_address(request)
            )
        except RateLimited as error:
            form.add_error(None, error.message)
            retry_after = error.retry_after
        except DomainError as error:
            form.add_error("code", error.message)
        else:
            services.stamp(request)
            request.session[NEW_CODES_KEY] = codes
            messages.success(request, _("Your authenticator app is set up."))
            return redirect("mfa:factors")
    secret, uri = services.secret_and_uri(factor)
    # segno writes plain SVG markup (no script, no style attribute): safe under the CSP.
    qr = mark_safe(segno.make(uri, error="m").svg_inline(scale=4))  # noqa: S308 (our own markup)
    context = {"form": form, "secret": secret, "otpauth_uri": uri, "qr": qr}
    return _form_page(request, "mfa/totp_confirm.html", context, retry_after=retry_after)


@require_POST
@signed_in(fresh_mfa=True)
def recovery_codes(request: HttpRequest) -> HttpResponse:
    principal = principal_of(request)
    if not services.has_second_factor(principal.user):
        messages.error(request, _("Set up a second factor first."))
        return redirect("mfa:factors")
    request.session[NEW_CODES_KEY] = services.new_recovery_codes(principal, principal.user)
    return redirect("mfa:factors")


@require_POST
@signed_in
def factor_rename(request: HttpRequest, factor_id: str) -> HttpResponse:
    principal = principal_of(request)
    factor = policy.get_visible(principal, Factor, pk=factor_id)
    form = forms.FactorNameForm(request.POST)
    if form.is_valid():
        services.rename_factor(principal, factor, form.cleaned_data["name"])
        messages.success(request, _("Renamed."))
    else:
        messages.error(request, _("Give the factor a name."))
    return redirect("mfa:factors")


@require_POST
@signed_in(fresh_mfa=True)
def factor_remove(request: HttpRequest, factor_id: str) -> HttpResponse:
    principal = principal_of(request)
    factor = policy.get_visible(principal, Factor, pk=factor_id)
    if not confirm.confirmed(request):
        return confirm.confirmation(
            request,
            confirm.Confirmation(
                title=_("Remove %(name)s?") % {"name": factor.name},
                consequences=[_("You can no longer sign in with %(name)s.") % {"name": factor.name}],
                button=_("Remove"),
                back=reverse("mfa:factors"),
            ),
        )
    try:
        services.remove_factor(principal, factor)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("%(name)s was removed.") % {"name": factor.name})
    return redirect("mfa:factors")


# --- Security keys and passkeys (WebAuthn); the browser's side is static/mfa/webauthn.js -----------


def _json_body(request: HttpRequest) -> dict[str, Any]:
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise DomainError(_("Send a JSON object."), code="invalid_json")
    return body


def _json_error(error: DomainError) -> JsonResponse:
    response = JsonResponse({"error": {"code": error.code, "message": error.message}}, status=error.status)
    if isinstance(error, RateLimited):
        response["Retry-After"] = str(error.retry_after)
    return response


@require_POST
@signed_in(fresh_mfa=True)
def webauthn_register_options(request: HttpRequest) -> HttpResponse:
    options = security_keys.registration_options(request, principal_of(request).user)
    return HttpResponse(options, content_type="application/json")


@require_POST
@signed_in(fresh_mfa=True)
def webauthn_register(request: HttpRequest) -> HttpResponse:
    try:
        body = _json_body(request)
        codes = security_keys.register(
            request, principal_of(request), body.get("credential"), name=str(body.get("name", ""))
        )
    except DomainError as error:
        return _json_error(error)
    services.stamp(request)
    if codes:
        request.session[NEW_CODES_KEY] = codes
    messages.success(request, _("Your security key is set up."))
    return JsonResponse({"redirect": reverse("mfa:factors")}, status=201)


@require_POST
@public
def webauthn_sign_in_options(request: HttpRequest) -> HttpResponse:
    found = enrolment.pending(request)
    if found is None:
        return _json_error(DomainError(_("Sign in again."), code="no_pending_sign_in"))
    return HttpResponse(
        security_keys.authentication_options(request, found[0]), content_type="application/json"
    )


@require_POST
@public
def webauthn_sign_in(request: HttpRequest) -> HttpResponse:
    found = enrolment.pending(request)
    if found is None:
        return _json_error(DomainError(_("Sign in again."), code="no_pending_sign_in"))
    user, next_url = found
    try:
        accepted = security_keys.authenticate(
            request, user, _json_body(request).get("credential") or {}, address=client_address(request)
        )
    except DomainError as error:
        return _json_error(error)
    if not accepted:
        return _json_error(DomainError(_("That security key was not accepted."), code="invalid_credential"))
    response = complete_sign_in(request, user, next_url)
    return JsonResponse({"redirect": response["Location"]})
