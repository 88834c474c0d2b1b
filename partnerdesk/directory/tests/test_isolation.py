"""Every directory page, form and API operation: wrong roles get 403, other tenants' objects 404,
anonymous API callers 401, and none of these refusals changes anything."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from partnerdesk.accounts.models import User
from partnerdesk.directory.models import Domain, Group, GroupMembership
from partnerdesk.testing import database_state

pytestmark = pytest.mark.django_db

WRONG_ROLE = "a1.message_center_reader"  # in the admin center, but no directory permission
OTHER_TENANT = "a2.global_admin"
PARTNER = "b.admin_agent"  # a partner user without delegated access to Contoso


@pytest.fixture
def objects(world):
    tenant = world.customer_a1
    deleted = User.objects.create(
        email="gone@contoso.partnerdesk.test",
        display_name="Gone",
        organization=tenant,
        deleted_at=timezone.now() - timedelta(days=1),
    )
    group = Group.objects.create(organization=tenant, name="Sales")
    GroupMembership.objects.create(group=group, user=world.user("a1.user"))
    domain = Domain.objects.create(organization=tenant, name="contoso.com")
    return {
        "user": world.user("a1.user").pk,
        "deleted": deleted.pk,
        "group": group.pk,
        "domain": domain.pk,
    }


PAGES = [
    "/admin/users/",
    "/admin/users/new/",
    "/admin/users/import/",
    "/admin/users/deleted/",
    "/admin/users/{user}/",
    "/admin/users/{user}/edit/",
    "/admin/users/{user}/reset-password/",
    "/admin/groups/",
    "/admin/groups/new/",
    "/admin/groups/{group}/",
    "/admin/domains/",
    "/admin/domains/new/",
    "/admin/domains/{domain}/",
    "/admin/settings/",
    "/admin/sign-ins/",
]

FORMS = [
    ("/admin/users/new/", {"username": "x", "domain": "contoso.partnerdesk.test", "display_name": "X"}),
    ("/admin/users/{user}/edit/", {"username": "user", "domain": "contoso.test", "display_name": "Renamed"}),
    ("/admin/users/{user}/block/", {"blocked": "1"}),
    ("/admin/users/{user}/require-change/", {}),
    ("/admin/users/{user}/roles/", {"admin_roles": ["global_admin"]}),
    ("/admin/users/{user}/reset-password/", {"delivery": "show"}),
    ("/admin/users/{user}/delete/", {}),
    ("/admin/users/{deleted}/restore/", {}),
    ("/admin/groups/new/", {"name": "New group"}),
    ("/admin/groups/{group}/members/", {"user_principal_name": "user@contoso.test", "role": "owner"}),
    ("/admin/groups/{group}/members/{user}/remove/", {"role": "member"}),
    ("/admin/groups/{group}/delete/", {}),
    ("/admin/domains/new/", {"name": "fabrikam-new.com"}),
    ("/admin/domains/{domain}/verify/", {}),
    ("/admin/domains/default/", {"domain": "{domain}"}),
    ("/admin/domains/{domain}/remove/", {}),
    (
        "/admin/settings/",
        {
            "section": "security",
            "password_min_length": "20",
            "password_expiry_days": "0",
            "lockout_threshold": "3",
            "lockout_minutes": "5",
        },
    ),
]


def _fill(value, objects):
    if isinstance(value, str):
        return value.format(**objects)
    if isinstance(value, list):
        return [_fill(v, objects) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, objects) for k, v in value.items()}
    return value


@pytest.mark.parametrize("path", PAGES)
def test_pages_refuse_wrong_roles_and_partners(web, world, objects, path):
    url = path.format(**objects)
    assert web("a1.global_admin").get(url).status_code == 200
    before = database_state()
    assert web(WRONG_ROLE).get(url).status_code == 403
    assert web(PARTNER).get(url).status_code == 403
    if "{" in path:
        assert web(OTHER_TENANT).get(url).status_code == 404
    assert database_state() == before


@pytest.mark.parametrize(("path", "data"), FORMS, ids=[f[0] for f in FORMS])
def test_forms_refuse_wrong_roles_partners_and_other_tenants(web, world, objects, path, data):
    url, body = path.format(**objects), _fill(data, objects)
    before = database_state()

    assert web(WRONG_ROLE).post(url, body).status_code == 403
    assert web(PARTNER).post(url, body).status_code == 403
    if "{" in path or any("{" in str(v) for v in data.values()):
        assert web(OTHER_TENANT).post(url, body).status_code == 404

    assert database_state() == before


API = [
    ("get", "/users", None),
    ("post", "/users", {"user_principal_name": "x@contoso.partnerdesk.test", "display_name": "X"}),
    ("get", "/deleted-users", None),
    ("get", "/users/{user}", None),
    ("patch", "/users/{user}", {"display_name": "Renamed"}),
    ("delete", "/users/{user}", None),
    ("post", "/users/{deleted}/restore", {}),
    ("post", "/users/{user}/reset-password", {}),
    ("post", "/users/{user}/roles", {"admin_roles": ["global_admin"]}),
    ("get", "/groups", None),
    ("post", "/groups", {"name": "G"}),
    ("get", "/groups/{group}", None),
    ("delete", "/groups/{group}", None),
    ("get", "/groups/{group}/members", None),
    ("post", "/groups/{group}/members", {"user_id": "{user}"}),
    ("delete", "/groups/{group}/members/{user}", None),
    ("get", "/domains", None),
    ("post", "/domains", {"name": "new.com"}),
    ("get", "/domains/contoso.com", None),
    ("post", "/domains/contoso.com/verify", {}),
    ("post", "/domains/contoso.com/default", {}),
    ("delete", "/domains/contoso.com", None),
    ("get", "/organization", None),
    ("patch", "/organization", {"password_min_length": 20}),
    ("get", "/sign-ins", None),
]


def _call(client, method, path, body):
    if method in {"post", "patch"}:
        return getattr(client, method)(path, body)
    return getattr(client, method)(path)


@pytest.mark.parametrize(("method", "path", "body"), API, ids=[f"{a[0]} {a[1]}" for a in API])
def test_api_refuses_anonymous_wrong_roles_partners_and_other_tenants(
    api, world, objects, method, path, body
):
    url, payload = path.format(**objects), _fill(body, objects) if body is not None else None
    before = database_state()

    assert _call(api(None), method, url, payload).status_code == 401
    if path != "/organization" or method != "get":  # every admin may read the organization profile
        assert _call(api(WRONG_ROLE), method, url, payload).status_code == 403
    assert _call(api(PARTNER), method, url, payload).status_code == 403
    if "{" in path or "contoso.com" in path:
        assert _call(api(OTHER_TENANT), method, url, payload).status_code == 404

    assert database_state() == before
