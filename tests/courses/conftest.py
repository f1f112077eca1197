import pytest

from cms import roles


@pytest.fixture
def member(org, member_factory):
    return member_factory(org.branch_a, username="member_a")


@pytest.fixture
def manager_east(org, member_factory):
    return member_factory(org.east, role=roles.MANAGERS, username="manager_east")
