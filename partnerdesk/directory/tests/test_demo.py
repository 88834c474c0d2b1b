"""The directory's demo data loads with seed_demo, and loading it twice changes nothing."""

import pytest
from django.core.management import call_command

from partnerdesk.directory.models import Domain, Group, GroupMembership
from partnerdesk.testing import database_state


@pytest.mark.django_db
def test_the_demo_directory_loads_once():
    call_command("seed_demo")
    state = database_state()
    call_command("seed_demo")

    assert database_state() == state
    assert set(Domain.objects.values_list("name", "status")) == {
        ("contoso.com", "verified"),
        ("contoso.cn", "unverified"),
    }
    assert set(Group.objects.values_list("name", flat=True)) == {"Sales", "IT"}
    assert GroupMembership.objects.count() == 4
