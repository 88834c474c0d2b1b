"""Sign-in, passwords, the profile (language, time zone, API tokens) and each portal's team page.

The team and organization-token pages take their `portal`: `urls.py` mounts them once per portal
(`access.web.in_portals`), each with its own permission check.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_str
from django.utils.http import url_has_allowed_host_and_scheme, urlsafe_base64_decode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from partnerdesk import confirm, inputs
from partnerdesk.access import policy
from partnerdesk.access.permissions import OrgKind
from partnerdesk.access.principal import principal_of
from partnerdesk.access.web import act, public, signed_in
from partnerdesk.accounts import forms, services, sessions, signin_policy, single_sign_on
from partnerdesk.accounts.inputs import PasswordChange, TokenCreate
from partnerdesk.accounts.models import ApiToken, User, UserSession
from partnerdesk.errors import DomainError, RateLimited
from partnerdesk.mfa import enrolment
from partnerdesk.mfa import services as mfa
from partnerdesk.ratelimits.services import client_address, count_password_reset


def _safe_next(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return fallback


@public
def signin(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated and request.method == "GET":
        return redirect("portals:home")
    form = forms.SignInForm(request.POST or None)
    retry_after = 0
    if request.method == "POST" and form.is_valid() and not form.cleaned_data["password"]:
        # The first step: the e-mail alone. Its domain's identity provider, or the password.
        next_url = _safe_next(request, "")
        start = single_sign_on.current().start_url(form.cleaned_data["email"], next_url)
        if start:
            return redirect(start)
        form.add_error("password", _("Enter your password."))
    elif request.method == "POST" and form.is_valid():
        try:
            user = services.authenticate(
                form.cleaned_data["email"], form.cleaned_data["password"], ip_address=client_address(request)
            )
        except RateLimited as error:
            form.add_error(None, error.message)
            retry_after = error.retry_after
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            if mfa.has_second_factor(user):
                # The password alone signs nobody in: the second step does (`mfa.views.verify`).
                enrolment.begin_second_step(request, user, next_url=_safe_next(request, ""))
                return redirect("mfa:verify")
            sessions.sign_in(request, user)
            if user.must_change_password:
                reason = getattr(user, "password_change_reason", "")
                messages.info(
                    request,
                    signin_policy.current().change_reason_message(reason)
                    if reason
                    else _("You signed in with a temporary password. Choose your own to continue."),
                )
                return redirect("accounts:password_change")
            return redirect(_safe_next(request, reverse("portals:home")))
    context = {"form": form, "next": request.POST.get("next") or request.GET.get("next", "")}
    return _form_page(request, "accounts/signin.html", context, retry_after=retry_after)


def _form_page(
    request: HttpRequest, template: str, context: dict[str, object], *, retry_after: int
) -> HttpResponse:
    """The form again: 429 with `Retry-After` when a rate limit refused it, 400 with its errors."""
    if retry_after:
        response = render(request, template, context, status=429)
        response["Retry-After"] = str(retry_after)
        return response
    return render(request, template, context, status=400 if context["form"].errors else 200)  # type: ignore[attr-defined]


@require_POST
@signed_in
def signout(request: HttpRequest) -> HttpResponse:
    logout(request)
    messages.info(request, _("You signed out."))
    return redirect("accounts:signin")


@signed_in
def password_change(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = forms.PasswordChangeForm(request.POST or None, user=user)
    change = inputs.from_form(form, PasswordChange) if request.method == "POST" else None
    if change is not None:
        try:
            services.change_password(
                user,  # type: ignore[arg-type]
                current_password=change.current_password,
                new_password=change.new_password,
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            # The new password ended every session of the user (and the service revoked their
            # tokens); this browser signs in again, so it carries on.
            login(request, user, backend="partnerdesk.accounts.backends.EmailBackend")  # type: ignore[arg-type]
            messages.success(request, _("Your password was changed."))
            return redirect("portals:home")
    return render(
        request, "accounts/password_change.html", {"form": form}, status=400 if form.errors else 200
    )


@public
def password_reset(request: HttpRequest) -> HttpResponse:
    """Mail a reset link when the address belongs to an active user; say the same thing either way."""
    form = forms.PasswordResetRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            count_password_reset(form.cleaned_data["email"], client_address(request))
        except RateLimited as error:
            form.add_error(None, error.message)
            return _form_page(
                request, "accounts/password_reset.html", {"form": form}, retry_after=error.retry_after
            )
        services.mail_password_reset(form.cleaned_data["email"])
        return render(request, "accounts/password_reset_sent.html", {"email": form.cleaned_data["email"]})
    return render(request, "accounts/password_reset.html", {"form": form}, status=400 if form.errors else 200)


@public
def password_reset_confirm(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    try:
        # unscoped: nobody is signed in; the signed token in the link is the authorization
        user = User.objects.get(
            pk=force_str(urlsafe_base64_decode(uidb64)), blocked=False, deleted_at__isnull=True
        )
    except (User.DoesNotExist, ValueError, TypeError, OverflowError, ValidationError):
        user = None
    if (
        user is None
        or not default_token_generator.check_token(user, token)
        or not single_sign_on.current().password_allowed(user)
    ):
        return render(request, "accounts/password_reset_invalid.html", status=400)
    form = forms.SetPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.reset_password(user, new_password=form.cleaned_data["new_password"])
        except DomainError as error:
            form.add_error("new_password", error.message)
        else:
            messages.success(request, _("Your password was set. Sign in with it."))
            return redirect("accounts:signin")
    return render(
        request, "accounts/password_reset_confirm.html", {"form": form}, status=400 if form.errors else 200
    )


@require_POST
@public
def language(request: HttpRequest) -> HttpResponse:
    """Switch the interface language; a signed-in user keeps the choice in their profile."""
    code = request.POST.get("language", "")
    response = redirect(_safe_next(request, reverse("portals:home")))
    if code not in dict(settings.LANGUAGES):
        return response
    response.set_cookie(settings.LANGUAGE_COOKIE_NAME, code, max_age=365 * 24 * 3600, samesite="Lax")
    if request.user.is_authenticated:
        services.set_own_language(request.user, code)
    return response


@signed_in
def profile(request: HttpRequest) -> HttpResponse:
    principal = principal_of(request)
    user = principal.user
    form = forms.ProfileForm(
        request.POST or None,
        initial={
            "display_name": user.display_name,
            "language": user.language,
            "time_zone": user.time_zone,
            "subscription_notices": user.subscription_notices,
        },
    )
    if request.method == "POST" and form.is_valid():
        changes = services.update_own_profile(principal, form.cleaned_data)
        response = redirect("accounts:profile")
        if changes.get("language"):
            response.set_cookie(settings.LANGUAGE_COOKIE_NAME, changes["language"], samesite="Lax")
        messages.success(request, _("Your profile was saved."))
        return response
    return _profile_page(request, form, forms.TokenForm(), status=400 if form.errors else 200)


def _own_tokens(request: HttpRequest) -> Any:
    principal = principal_of(request)
    return policy.visible(principal, ApiToken).filter(user_id=principal.user.pk)


def _profile_page(
    request: HttpRequest, form: forms.ProfileForm, token_form: forms.TokenForm, *, status: int
) -> HttpResponse:
    tokens = _own_tokens(request).order_by("-created_at", "-id")[:100]
    return render(
        request,
        "accounts/profile.html",
        {
            "form": form,
            "token_form": token_form,
            "tokens": tokens,
            "now": timezone.now(),
            "new_token": request.session.pop("new_token", None),
        },
        status=status,
    )


@require_POST
@signed_in(fresh_mfa=True)
def token_create(request: HttpRequest) -> HttpResponse:
    form = forms.TokenForm(request.POST)
    status = 400
    token = inputs.from_form(form, TokenCreate)
    if token is not None:
        try:
            new = services.create_token(
                principal_of(request),
                name=token.name,
                expires_in_days=token.expires_in_days,
                scopes=token.scopes,
            )
        except DomainError as error:
            form.add_error(None, error.message)
            status = error.status
        else:
            # Shown once on the next page, then gone from the session.
            request.session["new_token"] = new.raw
            return redirect("accounts:profile")
    user = principal_of(request).user
    profile_form = forms.ProfileForm(
        initial={"display_name": user.display_name, "language": user.language, "time_zone": user.time_zone}
    )
    return _profile_page(request, profile_form, form, status=status)


@require_POST
@signed_in
def token_revoke(request: HttpRequest, token_id: str) -> HttpResponse:
    principal = principal_of(request)
    token = policy.get_visible(principal, _own_tokens(request), pk=token_id)
    services.revoke_token(principal, token)
    messages.success(request, _("The token was revoked."))
    return redirect("accounts:profile")


# --- The organization's API tokens (admins), in each portal's people area -----------------------

TOKEN_PAGES = {
    "operator": "accounts:operator_tokens",
    "partner": "accounts:partner_tokens",
    "admin": "accounts:admin_tokens",
}


def _organization_tokens(request: HttpRequest) -> Any:
    principal = principal_of(request)
    return policy.visible(principal, ApiToken).filter(user__organization_id=principal.organization.pk)


def organization_tokens(request: HttpRequest, portal: str) -> HttpResponse:
    tokens = _organization_tokens(request).live().select_related("user").order_by("-created_at", "-id")
    return render(
        request,
        "accounts/organization_tokens.html",
        {"tokens": tokens[:500], "portal": portal, "revoke_url": TOKEN_PAGES[portal] + "_revoke"},
    )


def organization_token_revoke(request: HttpRequest, portal: str, token_id: str) -> HttpResponse:
    principal = principal_of(request)
    token = policy.get_visible(principal, _organization_tokens(request).select_related("user"), pk=token_id)
    services.revoke_token(principal, token)
    messages.success(
        request,
        _("The token %(prefix)s… of %(owner)s was revoked.") % {"prefix": token.prefix, "owner": token.user},
    )
    return redirect(TOKEN_PAGES[portal])


@signed_in
def session_list(request: HttpRequest) -> HttpResponse:
    """The browsers signed in as this user, this one first among equals, so the others can be ended."""
    principal = principal_of(request)
    active = sessions.active(policy.visible(principal, UserSession))[:100]
    return render(
        request,
        "accounts/sessions.html",
        {
            "sessions": active,
            "current_session_key": request.session.session_key,
            "idle_minutes": settings.SESSION_IDLE_TIMEOUT_MINUTES,
            "absolute_hours": settings.SESSION_ABSOLUTE_TIMEOUT_HOURS,
        },
    )


@require_POST
@signed_in
def session_end(request: HttpRequest, session_id: str) -> HttpResponse:
    principal = principal_of(request)
    user_session = policy.get_visible(principal, UserSession, pk=session_id)
    sessions.end_session(principal, user_session)
    messages.success(request, _("That session was signed out."))
    return redirect("accounts:sessions")


@require_POST
@signed_in
def session_end_others(request: HttpRequest) -> HttpResponse:
    ended = sessions.end_other_sessions(
        principal_of(request), current_session_key=request.session.session_key
    )
    messages.success(
        request,
        ngettext(
            "%(count)d other session was signed out.", "%(count)d other sessions were signed out.", ended
        )
        % {"count": ended},
    )
    return redirect("accounts:sessions")


# --- Team pages (operator and partner), one set of views for both ----------------------------


def team_list(request: HttpRequest, portal: str) -> HttpResponse:
    principal = principal_of(request)
    people = (
        policy.visible(principal, User).prefetch_related("role_assignments").order_by("display_name", "id")
    )
    return render(request, "accounts/team.html", {"people": people[:500], "portal": portal})


def team_create(request: HttpRequest, portal: str) -> HttpResponse:
    principal = principal_of(request)
    form = forms.TeamMemberForm(request.POST or None, kind=OrgKind(principal.organization.kind))
    if request.method == "POST" and form.is_valid():
        try:
            new = services.create_user(
                principal,
                organization=principal.organization,
                email=form.cleaned_data["email"],
                display_name=form.cleaned_data["display_name"],
                roles=form.cleaned_data["roles"],
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            return render(request, "accounts/temporary_password.html", {"new_user": new, "portal": portal})
    return render(
        request,
        "accounts/team_create.html",
        {"form": form, "portal": portal},
        status=400 if form.errors else 200,
    )


def team_block(request: HttpRequest, portal: str, user_id: str) -> HttpResponse:
    principal = principal_of(request)
    person = policy.get_visible(principal, User, pk=user_id)
    blocked = request.POST.get("blocked") == "1"
    act(
        request,
        lambda: services.set_blocked(principal, person, blocked=blocked),
        _("Sign-in blocked for %(name)s.") % {"name": person}
        if blocked
        else _("Sign-in allowed for %(name)s.") % {"name": person},
    )
    return redirect(f"accounts:{portal}_team")


TEAM_PAGES = {
    "operator": "accounts:operator_team",
    "partner": "accounts:partner_team",
    "admin": "directory:user_list",
}


def reset_factors(request: HttpRequest, portal: str, user_id: str) -> HttpResponse:
    """An admin removes another user's second factors (never seeing them); they enrol again."""
    principal = principal_of(request)
    person = policy.get_visible(
        principal, User.objects.filter(organization_id=principal.home_organization.pk), pk=user_id
    )
    if not confirm.confirmed(request):
        return confirm.confirmation(
            request,
            confirm.Confirmation(
                title=_("Reset the second factors of %(name)s?") % {"name": person},
                consequences=[
                    _("Their authenticator apps, security keys and recovery codes are removed."),
                    _("They are signed out everywhere and their API tokens are revoked."),
                    _("They set up a second factor again when their organization requires one."),
                ],
                button=_("Reset second factors"),
                back=reverse(TEAM_PAGES[portal]),
            ),
        )
    act(
        request,
        lambda: services.reset_second_factors(principal, person),
        _("The second factors of %(name)s were reset.") % {"name": person},
    )
    return redirect(TEAM_PAGES[portal])
