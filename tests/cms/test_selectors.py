from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser

from cms import roles
from cms.models import Unit
from cms.selectors import (
    members_visible_to,
    unit_subtree,
    unit_yearly_target,
    units_visible_to,
)
from tests.factories import UserFactory, make_unit


def codes(queryset):
    return sorted(queryset.values_list("code", flat=True))


def usernames(queryset):
    return sorted(queryset.values_list("user__username", flat=True))


class TestScope:
    def test_branch_manager_sees_own_branch_only(self, org, member_factory):
        manager = member_factory(org.branch_a, roles.MANAGERS, username="mgr_a")
        member_factory(org.branch_a, username="a1")
        member_factory(org.branch_b, username="b1")
        member_factory(org.west_branch, username="w1")

        assert codes(units_visible_to(user=manager)) == ["BR-A"]
        assert usernames(members_visible_to(user=manager)) == ["a1", "mgr_a"]

    def test_district_manager_sees_whole_subtree_not_sibling_district(self, org, member_factory):
        manager = member_factory(org.east, roles.MANAGERS, username="mgr_east")
        member_factory(org.branch_a, username="a1")
        member_factory(org.branch_b, username="b1")
        member_factory(org.west_branch, username="w1")

        assert codes(units_visible_to(user=manager)) == ["BR-A", "BR-B", "EAST"]
        assert usernames(members_visible_to(user=manager)) == ["a1", "b1", "mgr_east"]

    def test_manager_of_child_does_not_see_parent(self, org, member_factory):
        manager = member_factory(org.branch_b, roles.MANAGERS)
        member_factory(org.east, username="district_staff")

        assert "EAST" not in codes(units_visible_to(user=manager))
        assert "district_staff" not in usernames(members_visible_to(user=manager))

    def test_member_sees_only_themselves(self, org, member_factory):
        member = member_factory(org.branch_a, username="a1")
        member_factory(org.branch_a, username="a2")

        assert usernames(members_visible_to(user=member)) == ["a1"]
        assert codes(units_visible_to(user=member)) == ["BR-A"]

    def test_trainer_is_not_a_manager(self, org, member_factory):
        trainer = member_factory(org.province, roles.TRAINERS, username="t")
        member_factory(org.branch_a, username="a1")

        assert usernames(members_visible_to(user=trainer)) == ["t"]

    def test_superuser_sees_everything(self, org, member_factory):
        member_factory(org.branch_a)
        admin = UserFactory(is_superuser=True)

        assert units_visible_to(user=admin).count() == Unit.objects.count()

    def test_anonymous_and_profileless_users_see_nothing(self, org, db):
        assert not units_visible_to(user=AnonymousUser()).exists()
        assert not members_visible_to(user=UserFactory()).exists()

    def test_similar_path_prefix_is_not_a_subtree(self, db, member_factory):
        # given a unit with a child and ten siblings, whose tree paths share its prefix up
        # to the last step (…0001 against …000A, …000B)
        root = make_unit("Root")
        first = make_unit("First", parent=root)
        for _ in range(10):
            make_unit(parent=root)
        child = make_unit("Child of first", parent=first)
        manager = member_factory(first, roles.MANAGERS, username="mgr_first")
        member_factory(root.get_children().last(), username="sibling_member")

        # when the selectors decide the manager's scope
        units = units_visible_to(user=manager)
        members = members_visible_to(user=manager)

        # then it is the unit and its own child, whatever the codes and names
        assert codes(units) == sorted([first.code, child.code])
        assert codes(unit_subtree(unit=first)) == sorted([first.code, child.code])
        assert usernames(members) == ["mgr_first"]


class TestYearlyTarget:
    def test_blank_target_is_inherited_from_nearest_ancestor(self, org):
        org.east.yearly_target_hours = Decimal("36")
        org.east.save()

        assert unit_yearly_target(unit=Unit.objects.get(code="BR-A")) == Decimal("36")
        assert unit_yearly_target(unit=Unit.objects.get(code="BR-W")) == Decimal("32")

    def test_own_target_wins(self, org):
        org.branch_b.yearly_target_hours = Decimal("12.5")
        org.branch_b.save()

        assert unit_yearly_target(unit=org.branch_b) == Decimal("12.5")

    def test_default_when_no_ancestor_has_a_target(self, db, settings):
        # given a platform default unlike any target a unit has here (the org's is 32)
        settings.DEFAULT_YEARLY_STUDY_HOURS = 27
        lonely = make_unit("Lonely", parent=make_unit("Root without target"))

        # then a unit without a target anywhere above it gets that default
        assert unit_yearly_target(unit=lonely) == Decimal("27")

    def test_negative_target_is_refused_by_the_database(self, org):
        from django.db import IntegrityError, transaction

        with pytest.raises(IntegrityError), transaction.atomic():
            Unit.objects.filter(pk=org.branch_a.pk).update(yearly_target_hours=-1)


def test_targets_for_many_units_match_one_by_one_in_one_query(org, django_assert_num_queries):
    from cms.selectors import unit_yearly_targets

    org.east.yearly_target_hours = Decimal("36")
    org.east.save()
    units = list(Unit.objects.all())

    with django_assert_num_queries(1):
        targets = unit_yearly_targets(units=units)

    assert targets == {unit.pk: unit_yearly_target(unit=unit) for unit in units}
