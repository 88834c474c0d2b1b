"""The credential look-ups every request makes are compiled once (`sql.PreparedFirst`): they answer
what the plain querysets answer, for every user of the tiny world, with and without delegation, and
bind the time of each call, not of the first one."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from partnerdesk.access.principal import principal_for, with_delegation
from partnerdesk.accounts import services
from partnerdesk.accounts.models import ApiToken, User
from partnerdesk.accounts.services import principal_row, roles_of, token_for_bearer
from partnerdesk.tenancy.models import DelegatedRelationship

pytestmark = pytest.mark.django_db


def _plain_user(user_id, acting_for):
    users = User.objects.select_related("organization").annotate(role_names=roles_of("pk"))
    return with_delegation(users, "organization", acting_for).filter(pk=user_id).first()


def _same(row, plain, acting_for) -> None:
    assert row is not None and plain is not None
    assert row.user.pk == plain.pk and row.user.organization == plain.organization
    assert row.user.organization.name == plain.organization.name
    assert row.roles == services._roles(plain.role_names)
    assert row.delegation == services.delegation_of(plain, acting_for)


def test_the_prepared_principal_rows_are_the_plain_querysets_rows(world):
    customers = [world.customer_a1.pk, world.customer_a2.pk, world.customer_b1.pk]
    seen_delegated = 0
    for user in {u.pk: u for u in world.users.values()}.values():
        raw = services.create_token(principal_for(user), name="probe").raw
        for acting_for in (None, *customers):
            plain = _plain_user(user.pk, acting_for)
            _same(principal_row(user.pk, acting_for=acting_for), plain, acting_for)
            _same(token_for_bearer(raw, acting_for=acting_for), plain, acting_for)
            row = token_for_bearer(raw, acting_for=acting_for)
            seen_delegated += bool(row and row.delegation and row.delegation.roles)
    assert seen_delegated >= 1  # partner A's users reach customer A1 through its relationship


def test_each_call_binds_its_own_time(world):
    """A token that expires, or a relationship that ends, after the query was compiled stops at once."""
    user = world.user("a.admin_agent")
    raw = services.create_token(principal_for(user), name="probe").raw
    customer = world.customer_a1.pk
    row = token_for_bearer(raw, acting_for=customer)
    assert row is not None and row.delegation is not None and row.delegation.roles

    DelegatedRelationship.objects.filter(pk=world.relationship_a1.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    ended = token_for_bearer(raw, acting_for=customer)
    assert ended is not None and ended.delegation is not None and not ended.delegation.roles

    ApiToken.objects.filter(user=user).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert token_for_bearer(raw) is None
    assert token_for_bearer(raw, acting_for=customer) is None


def test_an_unknown_or_revoked_token_and_an_inactive_user_read_nothing(world):
    user = world.user("a1.global_admin")
    raw = services.create_token(principal_for(user), name="probe").raw
    assert token_for_bearer(raw[:-1] + ("x" if raw[-1] != "x" else "y")) is None
    User.objects.filter(pk=user.pk).update(blocked=True)
    assert token_for_bearer(raw) is None and principal_row(user.pk) is None
    User.objects.filter(pk=user.pk).update(blocked=False)
    ApiToken.objects.filter(user=user).update(revoked_at=timezone.now())
    assert token_for_bearer(raw) is None and principal_row(user.pk) is not None
