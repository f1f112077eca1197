"""A manager gives only the roles scoped to their subtree; Trainer is organisation-wide and
only a superuser (or a role made for it) gives it, by the member forms and by import alike.
Username checks tell a manager nothing about accounts outside their units."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from cms import roles
from cms.models import MemberProfile
from tests.factories import UserFactory

from .import_files import csv_bytes

User = get_user_model()


@pytest.fixture
def client():
    english = Client()
    english.cookies["django_language"] = "en"
    return english


@pytest.fixture
def branch_manager(org, member_factory):
    return member_factory(org.branch_a, roles.MANAGERS, username="mgr_a")


def member_data(unit, role: str, **extra) -> dict:
    return {"full_name": "Zhang San", "unit": unit.pk, "phone": "", "role": role, **extra}


def role_names(user) -> list[str]:
    return list(user.groups.values_list("name", flat=True))


def import_preview(client, rows: list[list[str]]):
    upload = SimpleUploadedFile("members.csv", csv_bytes(rows))
    client.post(reverse("cms_member_import"), {"file": upload})
    return client.get(reverse("cms_member_import_preview"))


def problems(preview) -> dict[str, list[tuple[str, str]]]:
    return {
        row.username: [(p.code, p.message) for p in row.errors]
        for row in preview.context["report"].rows
    }


class TestMemberForms:
    def test_branch_manager_is_not_offered_the_trainer_role(self, client, org, branch_manager):
        client.force_login(branch_manager)

        add = client.get(reverse("members:add"))
        edit = client.get(reverse("members:edit", args=[branch_manager.profile.pk]))

        for response in (add, edit):
            assert response.status_code == 200
            offered = [value for value, _label in response.context["form"].fields["role"].choices]
            assert offered == [roles.MEMBERS, roles.MANAGERS]
            assert f'value="{roles.TRAINERS}"' not in response.content.decode()

    def test_branch_manager_cannot_make_a_member_a_trainer(
        self, client, org, member_factory, branch_manager
    ):
        # given a member of the branch
        member = member_factory(org.branch_a, username="a1")
        client.force_login(branch_manager)

        # when the manager posts the Trainer role anyway
        response = client.post(
            reverse("members:edit", args=[member.profile.pk]),
            member_data(org.branch_a, roles.TRAINERS),
        )

        # then it is refused and the member keeps their role
        assert response.status_code == 200
        assert response.context["form"].errors["role"]
        assert role_names(member) == [roles.MEMBERS]

    def test_branch_manager_cannot_add_a_trainer(self, client, org, branch_manager):
        client.force_login(branch_manager)

        response = client.post(
            reverse("members:add"),
            member_data(org.branch_a, roles.TRAINERS, username="new_trainer"),
        )

        assert response.status_code == 200
        assert not User.objects.filter(username="new_trainer").exists()

    def test_a_trainers_role_stays_when_a_manager_edits_them(
        self, client, org, member_factory, branch_manager
    ):
        trainer = member_factory(org.branch_a, roles.TRAINERS, username="t1")
        client.force_login(branch_manager)

        response = client.post(
            reverse("members:edit", args=[trainer.profile.pk]),
            member_data(org.branch_a, roles.MEMBERS, phone="13900000000"),
        )

        assert response.status_code == 302
        assert role_names(trainer) == [roles.TRAINERS]
        assert MemberProfile.objects.get(user=trainer).phone == "13900000000"

    def test_a_manager_may_make_a_manager_in_their_subtree(
        self, client, org, member_factory, branch_manager
    ):
        member = member_factory(org.branch_a, username="a1")
        client.force_login(branch_manager)

        response = client.post(
            reverse("members:edit", args=[member.profile.pk]),
            member_data(org.branch_a, roles.MANAGERS),
        )

        assert response.status_code == 302
        assert role_names(member) == [roles.MANAGERS]

    def test_superuser_grants_trainer(self, client, org, member_factory):
        member = member_factory(org.branch_a, username="a1")
        client.force_login(UserFactory(username="root", is_superuser=True, is_staff=True))

        response = client.post(
            reverse("members:edit", args=[member.profile.pk]),
            member_data(org.branch_a, roles.TRAINERS),
        )

        assert response.status_code == 302
        assert role_names(member) == [roles.TRAINERS]

    def test_a_role_made_for_it_grants_trainer(self, client, org, member_factory, branch_manager):
        # given a group holding the permission to give organisation-wide roles
        permission = Permission.objects.get(codename="grant_organisation_roles")
        granters = Group.objects.create(name="Trainer granters")
        granters.permissions.add(permission)
        branch_manager.groups.add(granters)
        member = member_factory(org.branch_a, username="a1")
        client.force_login(branch_manager)

        response = client.post(
            reverse("members:edit", args=[member.profile.pk]),
            member_data(org.branch_a, roles.TRAINERS),
        )

        assert response.status_code == 302
        assert role_names(member) == [roles.TRAINERS]


class TestImport:
    def test_branch_manager_cannot_import_a_trainer(self, client, org, branch_manager):
        client.force_login(branch_manager)

        preview = import_preview(
            client,
            [
                ["t_en", "Trainer En", "BR-A", "trainer", "", ""],
                ["t_zh", "Trainer Zh", "BR-A", "培训师", "", ""],
                ["m_ok", "Member Ok", "BR-A", "manager", "", ""],
            ],
        )
        client.post(reverse("cms_member_import_confirm"), {"mode": "valid"})

        found = problems(preview)
        assert [code for code, _message in found["t_en"]] == ["role_not_grantable"]
        assert found["t_en"][0][1] == (
            "Only an administrator can give the role “trainer”: it applies to the whole "
            "organisation."
        )
        assert [code for code, _message in found["t_zh"]] == ["role_not_grantable"]
        assert found["m_ok"] == []
        assert not User.objects.filter(username__in=["t_en", "t_zh"]).exists()
        assert role_names(User.objects.get(username="m_ok")) == [roles.MANAGERS]

    def test_superuser_imports_a_trainer(self, client, org):
        client.force_login(UserFactory(username="root", is_superuser=True, is_staff=True))

        preview = import_preview(client, [["t_en", "Trainer En", "BR-A", "trainer", "", ""]])
        client.post(reverse("cms_member_import_confirm"), {"mode": "all"})

        assert problems(preview) == {"t_en": []}
        assert role_names(User.objects.get(username="t_en")) == [roles.TRAINERS]


class TestUsernameChecks:
    def test_a_name_outside_the_units_reads_as_not_found(
        self, client, org, member_factory, branch_manager
    ):
        # given a member of another district and an account with no unit at all
        member_factory(org.west_branch, username="west_taken")
        UserFactory(username="unitless_taken")
        client.force_login(branch_manager)

        # when the branch manager imports rows with those usernames and a new one
        preview = import_preview(
            client,
            [
                ["west_taken", "A", "BR-A", "member", "", ""],
                ["unitless_taken", "B", "BR-A", "member", "", ""],
                ["brand_new", "C", "BR-A", "member", "", ""],
            ],
        )

        # then both taken names get the same "not found in your units", which says nothing
        # about whether or where the name exists
        found = problems(preview)
        expected = "Username “{}” cannot be used: it was not found in your units."
        assert found["west_taken"] == [("username_not_in_scope", expected.format("west_taken"))]
        assert found["unitless_taken"] == [
            ("username_not_in_scope", expected.format("unitless_taken"))
        ]
        assert found["brand_new"] == []

    def test_a_name_in_the_units_already_exists(self, client, org, member_factory, branch_manager):
        member_factory(org.branch_a, username="own_taken")
        client.force_login(branch_manager)

        preview = import_preview(client, [["own_taken", "A", "BR-A", "member", "", ""]])

        assert problems(preview)["own_taken"] == [
            ("username_exists", "Username “own_taken” already exists in your units.")
        ]

    def test_the_add_form_says_the_same(self, client, org, member_factory, branch_manager):
        member_factory(org.west_branch, username="west_taken")
        UserFactory(username="unitless_taken")
        client.force_login(branch_manager)

        errors = [
            client.post(
                reverse("members:add"),
                member_data(org.branch_a, roles.MEMBERS, username=name),
            )
            .context["form"]
            .errors["username"]
            for name in ("west_taken", "unitless_taken")
        ]

        assert errors == [["This username cannot be used: it was not found in your units."]] * 2
