"""Admin center pages: users, groups, domains, organization settings and the sign-in log; and the
partner center's Domains pages, the same as the admin center's, for the partner's own domains.

Every view is `portal="admin"`, so a partner agent who chose a customer works here through its
delegated roles, and every change it makes is audited as on behalf of that customer.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from datetime import date, datetime, time, timedelta
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from partnerdesk import etags, inputs
from partnerdesk.access import policy
from partnerdesk.access.permissions import DELEGABLE_ROLES, ROLE_LABELS, Permission, Role
from partnerdesk.access.principal import principal_of
from partnerdesk.access.web import act, requires
from partnerdesk.accounts.models import RoleAssignment, User
from partnerdesk.confirm import Confirmation, confirmation, confirmed
from partnerdesk.directory import domains, forms, groups, organization, queries, signins, users
from partnerdesk.directory.inputs import MemberIn, ResetIn, RolesIn, UserPatch
from partnerdesk.directory.models import DeletedUser, Domain, Group, GroupMembership, SignInEvent
from partnerdesk.errors import DomainError
from partnerdesk.mfa import policy as mfa_policy
from partnerdesk.mfa.models import Requirement
from partnerdesk.pagination import paginate

P = Permission


def _status(form: Any) -> int:
    return 400 if form.errors else 200


class _Echo:
    def write(self, value: str) -> str:
        return value


def _csv_response(filename: str, header: list[str], rows: Iterable[list[Any]]) -> StreamingHttpResponse:
    writer = csv.writer(_Echo())

    def lines() -> Iterator[str]:
        yield writer.writerow(header)
        for row in rows:
            yield writer.writerow(row)

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _as_day_start(day: date | None) -> datetime | None:
    return timezone.make_aware(datetime.combine(day, time.min)) if day else None


# --- Users -----------------------------------------------------------------------------------

USER_FILTERS = ["q", "role", "blocked", "licensed", "domain", "group"]


@requires(P.TEAM_VIEW, portal="admin")
def user_list(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    principal = principal_of(request)
    tenant = organization.tenant_of(principal)
    values = {name: request.GET.get(name, "").strip() for name in USER_FILTERS}
    people = queries.users(principal, queries.UserFilters(**values))
    query = {k: v for k, v in values.items() if v}
    if request.GET.get("format") == "csv":
        return _export(people)
    page = queries.user_rows(
        principal, queries.UserFilters(**values), cursor=request.GET.get("cursor"), limit=50
    )
    roles_by_user: dict[Any, list[str]] = {}
    for user_id, role in (
        policy.visible(principal, RoleAssignment)
        .filter(user__in=[row["id"] for row in page.items])
        .values_list("user_id", "role")
    ):
        if role != Role.USER:
            roles_by_user.setdefault(user_id, []).append(str(ROLE_LABELS[Role(role)]))
    # Each row as the template reads it: `row.user.pk`, `row.user.display_name`, …
    rows = [
        {"user": {**u, "pk": u["id"]}, "roles": sorted(roles_by_user.get(u["id"], []))} for u in page.items
    ]
    return render(
        request,
        "directory/user_list.html",
        {
            "page": page,
            "rows": rows,
            "filters": values,
            "roles": [(r.value, ROLE_LABELS[r]) for r in DELEGABLE_ROLES],
            "domains": domains.usable_domains(tenant),
            "groups": policy.visible(principal, Group).order_by("name")[:200],
            "licences_available": queries.licensed_user_ids(tenant.pk) is not None,
            "query_string": urlencode(query),
            "csv_query": urlencode({**query, "format": "csv"}),
        },
    )


def _export(people: Any) -> StreamingHttpResponse:
    header = [*users.CSV_COLUMNS, "blocked", "created_at"]

    def rows() -> Iterator[list[Any]]:
        for user in people.order_by(*queries.USER_ORDERING).iterator(chunk_size=1000):
            yield [
                user.email,
                user.display_name,
                user.job_title,
                user.department,
                user.usage_location,
                user.phone,
                "yes" if user.blocked else "no",
                user.created_at.isoformat(),
            ]

    return _csv_response("users.csv", header, rows())


def _user_form(request: HttpRequest, principal: Any, **kwargs: Any) -> forms.UserForm:
    tenant = organization.tenant_of(principal)
    usable = domains.usable_domains(tenant)
    default = domains.default_domain(tenant)
    initial = {"domain": default, **kwargs.pop("initial", {})}
    return forms.UserForm(request.POST or None, domains=usable, initial=initial, **kwargs)


@requires(P.TEAM_MANAGE, portal="admin")
def user_create(request: HttpRequest) -> HttpResponse:
    principal = principal_of(request)
    form = _user_form(request, principal, with_roles=principal.has(P.ROLES_ASSIGN))
    typed = inputs.from_form(form) if request.method == "POST" else None
    if typed is not None:
        try:
            new = users.create_user(principal, typed)
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            return render(
                request,
                "accounts/temporary_password.html",
                {
                    "new_user": new,
                    "portal": "admin",
                    "next_url": reverse("directory:user_detail", args=[new.user.pk]),
                },
            )
    return render(request, "directory/user_form.html", {"form": form, "creating": True}, status=_status(form))


@requires(P.TEAM_VIEW, portal="admin")
def user_detail(request: HttpRequest, user_id: str) -> HttpResponse:
    principal = principal_of(request)
    person = policy.get_visible(principal, User, pk=user_id)
    roles = sorted(
        policy.visible(principal, RoleAssignment).filter(user=person).values_list("role", flat=True)
    )
    memberships = (
        policy.visible(principal, GroupMembership)
        .filter(user=person)
        .select_related("group")
        .order_by("group__name")
    )
    return render(
        request,
        "directory/user_detail.html",
        {
            "person": person,
            "admin_roles": [ROLE_LABELS[Role(r)] for r in roles if r != Role.USER],
            "roles_form": forms.RolesForm(initial={"admin_roles": [r for r in roles if r != Role.USER]}),
            "memberships": memberships,
            "licences": queries.licences_of(person),
            "is_self": person.pk == principal.user.pk,
            "sign_ins": policy.visible(principal, SignInEvent).filter(user=person).order_by("-id")[:5]
            if principal.has(P.SIGNINS_VIEW)
            else [],
        },
    )


@requires(P.TEAM_MANAGE, portal="admin")
def user_edit(request: HttpRequest, user_id: str) -> HttpResponse:
    principal = principal_of(request)
    person = policy.get_visible(principal, User, pk=user_id)
    local, _at, domain = person.email.rpartition("@")
    initial = {
        "username": local,
        "domain": domain,
        **{f: getattr(person, f) for f in users.USER_FIELDS},
    }
    form = _user_form(request, principal, initial=initial)
    if domain not in domains.usable_domains(organization.tenant_of(principal)):
        # A user name from before the domain rules (or a removed domain): keep it selectable.
        form.fields["domain"].choices = [(domain, "@" + domain), *form.fields["domain"].choices]  # type: ignore[attr-defined]
    patch = inputs.from_form(form, UserPatch) if request.method == "POST" else None
    if patch is not None:
        changes = patch.model_dump(include={*users.USER_FIELDS})
        if form.user_principal_name.lower() != person.email:
            changes["user_principal_name"] = patch.user_principal_name
        try:
            with etags.guarded(etags.posted(request), person):
                users.update_user(principal, person, changes)
        except DomainError as error:
            form.add_error(None, error.message)
            return render(
                request,
                "directory/user_form.html",
                {"form": form, "person": person},
                status=etags.page_status(error, _status(form)),
            )
        else:
            messages.success(request, _("The user was saved."))
            return redirect("directory:user_detail", person.pk)
    return render(request, "directory/user_form.html", {"form": form, "person": person}, status=_status(form))


def _guarded(request: HttpRequest, person: User, action: Any) -> None:
    """Run a button's change only if the user is still as the page showed it (its hidden ETag)."""
    with etags.guarded(etags.posted(request), person):
        action()


@require_POST
@requires(P.TEAM_MANAGE, portal="admin")
def user_block(request: HttpRequest, user_id: str) -> HttpResponse:
    principal = principal_of(request)
    person = policy.get_visible(principal, User, pk=user_id)
    blocked = request.POST.get("blocked") == "1"
    act(
        request,
        lambda: _guarded(request, person, lambda: users.set_blocked(principal, person, blocked=blocked)),
        _("Sign-in blocked for %(name)s.") % {"name": person}
        if blocked
        else _("Sign-in allowed for %(name)s.") % {"name": person},
    )
    return redirect("directory:user_detail", person.pk)


@require_POST
@requires(P.TEAM_MANAGE, portal="admin")
def user_require_change(request: HttpRequest, user_id: str) -> HttpResponse:
    principal = principal_of(request)
    person = policy.get_visible(principal, User, pk=user_id)
    act(
        request,
        lambda: _guarded(request, person, lambda: users.require_password_change(principal, person)),
        _("%(name)s must choose a new password at the next sign-in.") % {"name": person},
    )
    return redirect("directory:user_detail", person.pk)


@require_POST
@requires(P.ROLES_ASSIGN, portal="admin")
def user_roles(request: HttpRequest, user_id: str) -> HttpResponse:
    principal = principal_of(request)
    person = policy.get_visible(principal, User, pk=user_id)
    form = forms.RolesForm(request.POST)
    chosen = inputs.from_form(form, RolesIn)
    if chosen is None:
        messages.error(request, _("Choose roles from the list."))
        return redirect("directory:user_detail", person.pk)
    act(
        request,
        lambda: users.set_admin_roles(principal, person, chosen.admin_roles),
        _("The admin roles of %(name)s were saved.") % {"name": person},
    )
    return redirect("directory:user_detail", person.pk)


@requires(P.TEAM_MANAGE, portal="admin")
def user_reset_password(request: HttpRequest, user_id: str) -> HttpResponse:
    principal = principal_of(request)
    person = policy.get_visible(principal, User, pk=user_id)
    form = forms.ResetPasswordForm(request.POST or None, initial={"send_to": person.email})
    delivery = inputs.from_form(form, ResetIn) if request.method == "POST" else None
    if delivery is not None:
        try:
            reset = users.reset_password(principal, person, send_to=delivery.send_to or "")
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            if reset.mailed_to:
                messages.success(
                    request, _("A temporary password was e-mailed to %(to)s.") % {"to": reset.mailed_to}
                )
                return redirect("directory:user_detail", person.pk)
            return render(
                request,
                "accounts/temporary_password.html",
                {
                    "new_user": reset,
                    "portal": "admin",
                    "next_url": reverse("directory:user_detail", args=[person.pk]),
                },
            )
    return render(
        request, "directory/reset_password.html", {"form": form, "person": person}, status=_status(form)
    )


@require_POST
@requires(P.TEAM_MANAGE, portal="admin")
def user_delete(request: HttpRequest, user_id: str) -> HttpResponse:
    principal = principal_of(request)
    person = policy.get_visible(principal, User, pk=user_id)
    if not confirmed(request):
        return confirmation(
            request,
            Confirmation(
                title=_("Delete %(name)s?") % {"name": person},
                consequences=[
                    _("%(name)s can no longer sign in and disappears from lists at once.") % {"name": person},
                    _(
                        "You can restore them with their roles and groups from Deleted users "
                        "until %(date)s; then they are deleted for good."
                    )
                    % {"date": formats.date_format(users.restorable_until(timezone.now()), "DATE_FORMAT")},
                ],
                button=_("Delete user"),
                back=reverse("directory:user_detail", args=[person.pk]),
            ),
        )
    try:
        users.delete_user(principal, person)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("directory:user_detail", person.pk)
    messages.success(
        request, _("%(name)s was deleted. You can restore them from Deleted users.") % {"name": person}
    )
    return redirect("directory:user_list")


@requires(P.TEAM_VIEW, portal="admin")
def deleted_users(request: HttpRequest) -> HttpResponse:
    principal = principal_of(request)
    people = policy.visible(principal, DeletedUser)
    page = paginate(people, ordering=["-deleted_at", "id"], cursor=request.GET.get("cursor"), limit=50)
    rows = [{"user": u, "purge_at": users.restorable_until(u.deleted_at)} for u in page.items]
    return render(request, "directory/deleted_users.html", {"page": page, "rows": rows})


@require_POST
@requires(P.TEAM_MANAGE, portal="admin")
def user_restore(request: HttpRequest, user_id: str) -> HttpResponse:
    principal = principal_of(request)
    person = policy.get_visible(principal, DeletedUser, pk=user_id)
    users.restore_user(principal, person)
    messages.success(request, _("%(name)s was restored.") % {"name": person})
    return redirect("directory:user_detail", person.pk)


@requires(P.TEAM_MANAGE, portal="admin")
def user_import(request: HttpRequest) -> HttpResponse:
    principal = principal_of(request)
    form = forms.ImportForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            content = upload.read().decode("utf-8-sig")
            report = users.import_users(principal, content)
        except UnicodeDecodeError:
            form.add_error("file", _("The file is not UTF-8 text."))
        except DomainError as error:
            form.add_error("file", error.message)
    return render(
        request, "directory/user_import.html", {"form": form, "report": report}, status=_status(form)
    )


# --- Groups ----------------------------------------------------------------------------------


@requires(P.TEAM_VIEW, portal="admin")
def group_list(request: HttpRequest) -> HttpResponse:
    principal = principal_of(request)
    groups = policy.visible(principal, Group)
    page = paginate(groups, ordering=["name", "id"], cursor=request.GET.get("cursor"), limit=50)
    return render(request, "directory/group_list.html", {"page": page, "form": forms.GroupForm()})


@requires(P.GROUPS_MANAGE, portal="admin")
def group_create(request: HttpRequest) -> HttpResponse:
    principal = principal_of(request)
    form = forms.GroupForm(request.POST or None)
    typed = inputs.from_form(form) if request.method == "POST" else None
    if typed is not None:
        try:
            group = groups.create_group(principal, name=typed.name, description=typed.description)
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("The group %(name)s was created.") % {"name": group.name})
            return redirect("directory:group_detail", group.pk)
    return render(request, "directory/group_form.html", {"form": form}, status=_status(form))


@requires(P.TEAM_VIEW, portal="admin")
def group_detail(request: HttpRequest, group_id: str) -> HttpResponse:
    principal = principal_of(request)
    group = policy.get_visible(principal, Group, pk=group_id)
    memberships = (
        policy.visible(principal, GroupMembership)
        .filter(group=group, user__deleted_at__isnull=True)
        .select_related("user")
        .order_by("role", "user__display_name")[:500]
    )
    return render(
        request,
        "directory/group_detail.html",
        {"group": group, "memberships": memberships, "form": forms.MemberForm()},
    )


@require_POST
@requires(P.GROUPS_MANAGE, portal="admin")
def group_member_add(request: HttpRequest, group_id: str) -> HttpResponse:
    principal = principal_of(request)
    group = policy.get_visible(principal, Group, pk=group_id)
    form = forms.MemberForm(request.POST, people=policy.visible(principal, User))
    member = inputs.from_form(form, MemberIn)
    if member is not None:
        person = form.cleaned_data["user_principal_name"]  # the row the name was looked up as
        act(
            request,
            lambda: groups.add_member(principal, group, person, role=member.role),
            _("%(name)s was added.") % {"name": person},
        )
    elif len(form.errors) == 1 and form.has_error("user_principal_name", "unknown_user"):
        messages.error(request, _("No user of this organization has that name."))
    else:
        messages.error(request, _("Give a user name and a role."))
    return redirect("directory:group_detail", group.pk)


@require_POST
@requires(P.GROUPS_MANAGE, portal="admin")
def group_member_remove(request: HttpRequest, group_id: str, user_id: str) -> HttpResponse:
    principal = principal_of(request)
    group = policy.get_visible(principal, Group, pk=group_id)
    person = policy.get_visible(principal, User, pk=user_id)
    role = request.POST.get("role", "member")
    groups.remove_member(principal, group, person, role=role)
    messages.success(request, _("%(name)s was removed.") % {"name": person})
    return redirect("directory:group_detail", group.pk)


@require_POST
@requires(P.GROUPS_MANAGE, portal="admin")
def group_delete(request: HttpRequest, group_id: str) -> HttpResponse:
    principal = principal_of(request)
    group = policy.get_visible(principal, Group, pk=group_id)
    if not confirmed(request):
        members = group.memberships.count()
        return confirmation(
            request,
            Confirmation(
                title=_("Delete the group %(name)s?") % {"name": group.name},
                consequences=[
                    ngettext(
                        "The group and its %(count)s membership are deleted; the users stay.",
                        "The group and its %(count)s memberships are deleted; the users stay.",
                        members,
                    )
                    % {"count": members},
                    _("This cannot be undone."),
                ],
                button=_("Delete group"),
                back=reverse("directory:group_detail", args=[group.pk]),
            ),
        )
    groups.delete_group(principal, group)
    messages.success(request, _("The group %(name)s was deleted.") % {"name": group.name})
    return redirect("directory:group_list")


# --- Domains ---------------------------------------------------------------------------------
# The same pages in two portals: the admin center's (the customer's domains) and the partner center's
# (the partner's own, which its single sign-on covers). `urls.py` mounts each once per portal with that
# portal's own need (`access.web.in_portals`); the partner center has no default domain to choose.

DOMAIN_URLS: dict[str, dict[str, str]] = {
    portal: {
        page: f"directory:{prefix}domain_{page}"
        for page in (
            "list",
            "add",
            "detail",
            "verify",
            "remove",
            *(("default",) if portal == "admin" else ()),
        )
    }
    for portal, prefix in (("admin", ""), ("partner", "partner_"))
}


def domain_list(request: HttpRequest, portal: str) -> HttpResponse:
    principal = principal_of(request)
    owner = domains.owner_of(principal)
    found = list(policy.visible(principal, Domain).order_by("name")[:500])
    return render(
        request,
        "directory/domain_list.html",
        {
            "domains": found,
            "domain_urls": DOMAIN_URLS[portal],
            "initial_domain": owner.initial_domain,
            "initial_is_default": not any(d.is_default for d in found),
            "form": forms.DomainForm(),
        },
    )


def domain_add(request: HttpRequest, portal: str) -> HttpResponse:
    principal = principal_of(request)
    form = forms.DomainForm(request.POST or None)
    typed = inputs.from_form(form) if request.method == "POST" else None
    if typed is not None:
        try:
            domain = domains.add_domain(principal, typed.name)
        except DomainError as error:
            form.add_error("name", error.message)
        else:
            return redirect(DOMAIN_URLS[portal]["detail"], domain.pk)
    return render(
        request,
        "directory/domain_form.html",
        {"form": form, "domain_urls": DOMAIN_URLS[portal]},
        status=_status(form),
    )


def domain_detail(
    request: HttpRequest, portal: str, domain_id: str, *, problem: str = "", status: int = 200
) -> HttpResponse:
    principal = principal_of(request)
    domain = policy.get_visible(principal, Domain, pk=domain_id)
    in_use = domains.users_of_domain(domain.organization, domain.name).count()
    return render(
        request,
        "directory/domain_detail.html",
        {"domain": domain, "in_use": in_use, "problem": problem, "domain_urls": DOMAIN_URLS[portal]},
        status=status,
    )


def domain_verify(request: HttpRequest, portal: str, domain_id: str) -> HttpResponse:
    principal = principal_of(request)
    domain = policy.get_visible(principal, Domain, pk=domain_id)
    try:
        domains.verify_domain(principal, domain)
    except DomainError as error:
        return domain_detail(request, portal, domain_id, problem=error.message, status=error.status)
    messages.success(request, _("%(name)s is verified.") % {"name": domain.name})
    return redirect(DOMAIN_URLS[portal]["detail"], domain.pk)


def domain_remove(request: HttpRequest, portal: str, domain_id: str) -> HttpResponse:
    principal = principal_of(request)
    domain = policy.get_visible(principal, Domain, pk=domain_id)
    if not confirmed(request):
        return confirmation(
            request,
            Confirmation(
                title=_("Remove %(name)s?") % {"name": domain.name},
                consequences=[
                    _(
                        "%(name)s is no longer one of your domains: no new user name can use it, and "
                        "adding it back means verifying it again in DNS."
                    )
                    % {"name": domain.name}
                ],
                button=_("Remove domain"),
                back=reverse(DOMAIN_URLS[portal]["detail"], args=[domain.pk]),
            ),
        )
    try:
        domains.remove_domain(principal, domain)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect(DOMAIN_URLS[portal]["detail"], domain.pk)
    messages.success(request, _("%(name)s was removed.") % {"name": domain.name})
    return redirect(DOMAIN_URLS[portal]["list"])


@require_POST
@requires(P.DOMAINS_MANAGE, portal="admin")
def domain_default(request: HttpRequest) -> HttpResponse:
    principal = principal_of(request)
    raw = request.POST.get("domain", "")
    domain = None if raw == "initial" else policy.get_visible(principal, Domain, pk=raw)
    act(request, lambda: domains.set_default_domain(principal, domain), _("The default domain was changed."))
    return redirect("directory:domain_list")


# --- Organization settings -------------------------------------------------------------------


@requires(P.ORGANIZATION_MANAGE, portal="admin")
def organization_settings(request: HttpRequest) -> HttpResponse:
    principal = principal_of(request)
    tenant = organization.tenant_of(principal)
    security = signins.security_settings(tenant)
    section = request.POST.get("section", "") if request.method == "POST" else ""
    profile_initial = {
        **{f: getattr(tenant, f) for f in organization.PROFILE_FIELDS},
        "technical_contact_name": security.technical_contact_name,
    }
    profile_form = forms.OrganizationProfileForm(
        request.POST if section == "profile" else None, initial=profile_initial
    )
    security_form = forms.SecurityForm(
        request.POST if section == "security" else None,
        initial={f: getattr(security, f) for f in forms.SecurityForm.base_fields},
    )
    release_form = forms.ReleaseForm(
        request.POST if section == "release" else None,
        initial={"release_preference": security.release_preference},
    )
    form = {"profile": profile_form, "security": security_form, "release": release_form}.get(section)
    refused: int | None = None
    patch = inputs.from_form(form) if form is not None else None
    if patch is not None:
        try:
            with etags.guarded(etags.posted(request), tenant, security):
                organization.update_settings(principal, patch)
        except DomainError as error:
            form.add_error(None, error.message)
            refused = etags.page_status(error, _status(form))
        else:
            messages.success(request, _("The settings were saved."))
            return redirect("directory:organization_settings")
    return render(
        request,
        "directory/settings.html",
        {
            "profile_form": profile_form,
            "security_form": security_form,
            "release_form": release_form,
            "etag": etags.etag_of(tenant, security),
            "mfa_requirement": mfa_policy.requirement_of(tenant),
            "mfa_choices": Requirement.choices,
            "mfa_action": reverse("directory:organization_mfa"),
        },
        status=refused or (_status(form) if form is not None else 200),
    )


@require_POST
@requires(P.ORGANIZATION_MANAGE, portal="admin", fresh_mfa=True)
def organization_mfa(request: HttpRequest) -> HttpResponse:
    """The customer chooses who must sign in with a second factor (audited)."""
    principal = principal_of(request)
    organization.tenant_of(principal)
    act(
        request,
        lambda: mfa_policy.set_own_requirement(principal, request.POST.get("requirement", "")),
        _("The settings were saved."),
    )
    return redirect("directory:organization_settings")


# --- Sign-in log -----------------------------------------------------------------------------

SIGNIN_FILTERS = ["result", "email", "since", "until"]


@requires(P.SIGNINS_VIEW, portal="admin")
def sign_in_log(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    principal = principal_of(request)
    form = forms.SignInFilterForm(request.GET)
    form.is_valid()  # a filter with an error is left out, and the page says why
    chosen = form.cleaned_data
    values = {name: request.GET.get(name, "").strip() for name in SIGNIN_FILTERS}
    until = _as_day_start(chosen.get("until"))
    events = queries.sign_ins(
        principal,
        result=chosen.get("result", ""),
        email=chosen.get("email", ""),
        since=_as_day_start(chosen.get("since")),
        until=until + timedelta(days=1) if until else None,
    )
    query = {k: v for k, v in values.items() if v}
    if request.GET.get("format") == "csv" and not form.errors:
        return _csv_response(
            "sign-ins.csv",
            ["id", "at", "user", "result", "reason", "channel", "ip_address", "method"],
            (
                [e.id, e.at.isoformat(), e.email, e.result, e.reason, e.channel, e.ip_address, e.method]
                for e in events.order_by("-id").iterator(chunk_size=1000)
            ),
        )
    page = paginate(events, ordering=["-id"], cursor=request.GET.get("cursor"), limit=50)
    return render(
        request,
        "directory/sign_ins.html",
        {
            "page": page,
            "filters": values,
            "results": SignInEvent.Result.choices,
            "query_string": urlencode(query),
            "csv_query": urlencode({**query, "format": "csv"}),
            "form": form,
        },
        status=_status(form),
    )
