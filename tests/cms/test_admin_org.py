"""Units and members in the Wagtail admin: listings, forms and scope."""

import pytest
from django.test import Client
from django.urls import reverse

from cms import roles
from cms.models import MemberProfile, Unit
from tests.factories import UserFactory


@pytest.fixture
def client():
    """Pages in English, so that the tests read the source strings, not translations."""
    english = Client()
    english.cookies["django_language"] = "en"
    return english


@pytest.fixture
def admin_user(db):
    return UserFactory(username="root", is_superuser=True, is_staff=True)


@pytest.fixture
def east_manager(org, member_factory):
    return member_factory(org.east, roles.MANAGERS, username="mgr_east")


@pytest.fixture
def branch_manager(org, member_factory):
    return member_factory(org.branch_a, roles.MANAGERS, username="mgr_a")


def listed(response) -> list:
    return list(response.context["object_list"])


def unit_form_data(unit: Unit | None = None, **changes) -> dict:
    data = {"name": "", "code": "", "yearly_target_hours": "", "parent": ""}
    if unit is not None:
        parent = unit.get_parent()
        data.update(
            name=unit.name,
            code=unit.code,
            yearly_target_hours=unit.yearly_target_hours or "",
            parent=parent.pk if parent else "",
        )
    data.update(changes)
    return data


class TestUnitListing:
    def test_superuser_sees_the_whole_tree_in_order_with_effective_targets(
        self, client, org, admin_user
    ):
        org.west.yearly_target_hours = 40
        org.west.save()
        client.force_login(admin_user)

        response = client.get(reverse("units:index"))

        assert response.status_code == 200
        assert [u.code for u in listed(response)] == [
            "PROV",
            "EAST",
            "BR-A",
            "BR-B",
            "WEST",
            "BR-W",
        ]
        assert "— — Branch A" in response.content.decode()
        target = response.context["table"].columns["target"]
        assert {u.code: str(target.get_value(u)) for u in listed(response)} == {
            "PROV": "32.0",
            "EAST": "32.0",
            "BR-A": "32.0",
            "BR-B": "32.0",
            "WEST": "40.0",
            "BR-W": "40.0",
        }

    def test_manager_sees_only_their_subtree(self, client, org, east_manager):
        client.force_login(east_manager)

        response = client.get(reverse("units:index"))

        assert response.status_code == 200
        assert [u.code for u in listed(response)] == ["EAST", "BR-A", "BR-B"]

    def test_search_by_name_and_code(self, client, org, admin_user):
        client.force_login(admin_user)

        by_name = client.get(reverse("units:index"), {"q": "west"})
        by_code = client.get(reverse("units:index"), {"q": "BR-B"})

        assert {u.code for u in listed(by_name)} == {"WEST", "BR-W"}
        assert [u.code for u in listed(by_code)] == ["BR-B"]

    def test_filter_by_depth_and_parent(self, client, org, admin_user):
        client.force_login(admin_user)

        level_3 = client.get(reverse("units:index"), {"depth": 3})
        under_east = client.get(reverse("units:index"), {"parent": org.east.pk})

        assert [u.code for u in listed(level_3)] == ["BR-A", "BR-B", "BR-W"]
        assert [u.code for u in listed(under_east)] == ["BR-A", "BR-B"]

    def test_trainer_has_no_unit_admin(self, client, org, member_factory):
        trainer = member_factory(org.province, roles.TRAINERS)
        client.force_login(trainer)

        response = client.get(reverse("units:index"))

        assert response.status_code in (302, 403)
        assert "object_list" not in (response.context or {})


class TestUnitForms:
    def test_create_under_a_parent_places_it_in_the_tree(self, client, org, admin_user):
        client.force_login(admin_user)

        response = client.post(
            reverse("units:add"),
            unit_form_data(name="Branch C", code="BR-C", parent=org.east.pk),
        )

        assert response.status_code == 302
        unit = Unit.objects.get(code="BR-C")
        assert unit.get_parent() == org.east and unit.depth == 3
        assert unit.path.startswith(org.east.path)

    def test_create_without_parent_makes_a_root(self, client, org, admin_user):
        client.force_login(admin_user)

        client.post(reverse("units:add"), unit_form_data(name="Other", code="OTHER"))

        assert Unit.objects.get(code="OTHER").is_root()

    def test_manager_creates_inside_their_scope_only(self, client, org, east_manager):
        client.force_login(east_manager)

        inside = client.post(
            reverse("units:add"), unit_form_data(name="C", code="BR-C", parent=org.east.pk)
        )
        outside = client.post(
            reverse("units:add"), unit_form_data(name="X", code="BR-X", parent=org.west.pk)
        )
        root = client.post(reverse("units:add"), unit_form_data(name="R", code="ROOT2"))

        assert inside.status_code == 302
        assert Unit.objects.get(code="BR-C").get_parent() == org.east
        assert outside.status_code == 200 and "parent" in outside.context["form"].errors
        assert root.status_code == 200 and "parent" in root.context["form"].errors
        assert not Unit.objects.filter(code__in=["BR-X", "ROOT2"]).exists()

    def test_edit_moves_a_unit_with_its_subtree(self, client, org, admin_user):
        client.force_login(admin_user)

        response = client.post(
            reverse("units:edit", args=[org.east.pk]),
            unit_form_data(org.east, name="East", parent=org.west.pk),
        )

        assert response.status_code == 302
        east = Unit.objects.get(pk=org.east.pk)
        branch_a = Unit.objects.get(pk=org.branch_a.pk)
        assert east.name == "East" and east.get_parent() == org.west
        assert branch_a.depth == 4 and branch_a.path.startswith(east.path)

    def test_moving_under_its_own_descendant_is_refused(self, client, org, admin_user):
        client.force_login(admin_user)
        path_before = org.east.path

        response = client.post(
            reverse("units:edit", args=[org.east.pk]),
            unit_form_data(org.east, parent=org.branch_a.pk),
        )

        assert response.status_code == 200
        assert "sub-units" in str(response.context["form"].errors["parent"])
        assert Unit.objects.get(pk=org.east.pk).path == path_before

    def test_manager_cannot_open_a_unit_outside_their_scope(self, client, org, east_manager):
        client.force_login(east_manager)

        response = client.get(reverse("units:edit", args=[org.west_branch.pk]))

        assert response.status_code == 404

    def test_manager_cannot_move_the_top_of_their_scope(self, client, org, east_manager):
        client.force_login(east_manager)

        response = client.post(
            reverse("units:edit", args=[org.east.pk]),
            unit_form_data(org.east, name="East renamed", parent=org.west.pk),
        )

        assert response.status_code == 302
        east = Unit.objects.get(pk=org.east.pk)
        assert east.name == "East renamed" and east.get_parent() == org.province


class TestMemberListing:
    def test_manager_sees_only_members_of_their_subtree(
        self, client, org, member_factory, branch_manager
    ):
        member_factory(org.branch_a, username="a1")
        member_factory(org.branch_b, username="b1")
        member_factory(org.west_branch, username="w1")
        client.force_login(branch_manager)

        response = client.get(reverse("members:index"))

        assert response.status_code == 200
        assert sorted(p.user.username for p in listed(response)) == ["a1", "mgr_a"]
        assert "Name b1" not in response.content.decode()
        assert reverse("cms_member_import") in response.content.decode()

    def test_search_by_full_name_username_and_email(self, client, org, member_factory, admin_user):
        member_factory(org.branch_a, username="alice", email="alice@corp.example")
        member_factory(org.branch_b, username="bob")
        client.force_login(admin_user)

        def found(q):
            response = client.get(reverse("members:index"), {"q": q})
            return [p.user.username for p in listed(response)]

        assert found("Name bob") == ["bob"]
        assert found("alic") == ["alice"]
        assert found("corp.example") == ["alice"]

    def test_filter_by_unit_subtree_and_role(self, client, org, member_factory, admin_user):
        member_factory(org.branch_a, username="a1")
        member_factory(org.branch_b, roles.TRAINERS, username="b1")
        member_factory(org.west_branch, username="w1")
        client.force_login(admin_user)

        east = client.get(reverse("members:index"), {"unit": org.east.pk})
        trainers = client.get(reverse("members:index"), {"role": roles.TRAINERS})

        assert sorted(p.user.username for p in listed(east)) == ["a1", "b1"]
        assert [p.user.username for p in listed(trainers)] == ["b1"]

    def test_a_trainer_has_no_member_admin(self, client, org, member_factory):
        client.force_login(member_factory(org.province, roles.TRAINERS))

        response = client.get(reverse("members:index"))
        home = client.get(reverse("wagtailadmin_home")).content.decode()

        assert response.status_code in (302, 403)
        assert reverse("members:index") not in home
        assert reverse("cms_member_import") not in home

    def test_a_member_cannot_reach_the_admin(self, client, org, member_factory):
        member = member_factory(org.branch_a)
        client.force_login(member)

        response = client.get(reverse("members:index"))

        assert response.status_code == 302
        assert "login" in response["Location"]


class TestMemberForms:
    def test_branch_manager_cannot_open_a_sibling_branch_member(
        self, client, org, member_factory, branch_manager
    ):
        sibling = member_factory(org.branch_b, username="b1")
        client.force_login(branch_manager)

        edit = client.get(reverse("members:edit", args=[sibling.profile.pk]))
        history = client.get(reverse("members:history", args=[sibling.profile.pk]))

        assert edit.status_code in (403, 404)
        assert history.status_code in (403, 404)

    def test_manager_edits_unit_name_phone_and_role(
        self, client, org, member_factory, east_manager
    ):
        member = member_factory(org.branch_a, username="a1")
        client.force_login(east_manager)

        response = client.post(
            reverse("members:edit", args=[member.profile.pk]),
            {
                "full_name": "New Name",
                "unit": org.branch_b.pk,
                "phone": "+86 139 0000 0000",
                "role": roles.MANAGERS,
            },
        )

        assert response.status_code == 302
        profile = MemberProfile.objects.select_related("user").get(pk=member.profile.pk)
        assert (profile.full_name, profile.unit, profile.phone) == (
            "New Name",
            org.branch_b,
            "+86 139 0000 0000",
        )
        assert list(profile.user.groups.values_list("name", flat=True)) == [roles.MANAGERS]

    def test_manager_cannot_move_a_member_out_of_their_scope(
        self, client, org, member_factory, east_manager
    ):
        member = member_factory(org.branch_a, username="a1")
        client.force_login(east_manager)

        response = client.post(
            reverse("members:edit", args=[member.profile.pk]),
            {"full_name": "A", "unit": org.west_branch.pk, "phone": "", "role": roles.MEMBERS},
        )

        assert response.status_code == 200
        assert "unit" in response.context["form"].errors
        assert MemberProfile.objects.get(pk=member.profile.pk).unit == org.branch_a

    @pytest.mark.parametrize(
        ("phone", "message"),
        [
            ("138", "A phone number has 5 to 20 digits; this one has 3."),
            ("1" * 21, "A phone number has 5 to 20 digits; this one has 21."),
            ("138-abc-0000", "Use digits, optionally with a leading +, spaces or -."),
            ("++86 138", "Use digits, optionally with a leading +, spaces or -."),
        ],
    )
    def test_a_bad_phone_number_says_what_is_wrong(
        self, client, org, member_factory, east_manager, phone, message
    ):
        member = member_factory(org.branch_a, username="a1")
        client.force_login(east_manager)
        client.cookies["django_language"] = "en"

        response = client.post(
            reverse("members:edit", args=[member.profile.pk]),
            {"full_name": "A", "unit": org.branch_a.pk, "phone": phone, "role": roles.MEMBERS},
        )

        assert response.status_code == 200
        assert response.context["form"].errors["phone"] == [message]
        assert MemberProfile.objects.get(pk=member.profile.pk).phone == ""

    def test_add_one_member(self, client, org, east_manager):
        client.force_login(east_manager)

        response = client.post(
            reverse("members:add"),
            {
                "username": "newbie",
                "full_name": "New Bie",
                "unit": org.branch_b.pk,
                "role": roles.MEMBERS,
                "email": "newbie@example.org",
                "phone": "",
            },
        )

        assert response.status_code == 302
        profile = MemberProfile.objects.get(user__username="newbie")
        assert profile.unit == org.branch_b
        assert not profile.user.has_usable_password()


class TestUnitDelete:
    def test_a_unit_with_members_below_it_is_not_deleted(
        self, client, org, member_factory, admin_user
    ):
        member_factory(org.branch_a)
        client.force_login(admin_user)

        response = client.post(reverse("units:delete", args=[org.east.pk]))

        assert response.status_code == 302
        assert Unit.objects.filter(pk__in=[org.east.pk, org.branch_a.pk]).count() == 2

    def test_an_empty_subtree_is_deleted(self, client, org, admin_user):
        client.force_login(admin_user)

        client.post(reverse("units:delete", args=[org.west.pk]))

        assert not Unit.objects.filter(code__in=["WEST", "BR-W"]).exists()
        assert Unit.objects.get(pk=org.province.pk).numchild == 1


class TestMemberDelete:
    def test_members_are_not_deleted_from_the_admin(self, client, org, member_factory, admin_user):
        member = member_factory(org.branch_a)
        client.force_login(admin_user)

        edit = client.get(reverse("members:edit", args=[member.profile.pk]))
        response = client.post(reverse("members:delete", args=[member.profile.pk]))

        assert reverse("members:delete", args=[member.profile.pk]) not in edit.content.decode()
        assert response.status_code in (302, 403)
        assert MemberProfile.objects.filter(pk=member.profile.pk).exists()
