"""Every Wagtail admin listing a manager can reach is scoped to their unit subtree:
object history and usage of units and members, and Wagtail's site history."""

import pytest
from django.test import Client
from django.urls import reverse
from wagtail.log_actions import log

from cms import roles
from tests.factories import UserFactory

FOREIGN_NAMES = ("West branch", "West district", "Branch B", "west_member", "mgr_west")


@pytest.fixture
def client():
    english = Client()
    english.cookies["django_language"] = "en"
    return english


@pytest.fixture
def scene(org, member_factory):
    """A branch manager, a member of theirs, and logged changes in and outside their branch."""
    boss = UserFactory(username="boss", is_superuser=True, is_staff=True)
    branch_manager = member_factory(org.branch_a, roles.MANAGERS, username="mgr_a")
    own_member = member_factory(org.branch_a, username="own_member")
    west_manager = member_factory(org.west, roles.MANAGERS, username="mgr_west")
    west_member = member_factory(org.west_branch, username="west_member")
    sibling_member = member_factory(org.branch_b, username="sibling_member")
    for unit in (org.branch_a, org.branch_b, org.west_branch, org.west):
        log(instance=unit, action="wagtail.edit", user=boss)
    log(instance=own_member.profile, action="wagtail.edit", user=boss)
    log(instance=west_member.profile, action="wagtail.edit", user=west_manager)
    log(instance=sibling_member.profile, action="wagtail.create", user=boss)
    return branch_manager, own_member, west_member, sibling_member


def assert_no_foreign_names(html: str, names: tuple[str, ...] = FOREIGN_NAMES) -> None:
    for name in names:
        assert name not in html, name


class TestOwnSubtree:
    @pytest.mark.parametrize("view", ["history", "usage"])
    def test_own_unit_pages_open_without_foreign_names(self, client, org, scene, view):
        # given a branch manager
        client.force_login(scene[0])

        # when they open their own unit's history or usage page
        response = client.get(reverse(f"units:{view}", args=[org.branch_a.pk]))

        # then it renders, about their unit only
        assert response.status_code == 200
        html = response.content.decode()
        assert "Branch A" in html
        assert_no_foreign_names(html)

    @pytest.mark.parametrize("view", ["history", "usage"])
    def test_own_member_pages_open_without_foreign_names(self, client, scene, view):
        branch_manager, own_member, *_ = scene
        client.force_login(branch_manager)

        response = client.get(reverse(f"members:{view}", args=[own_member.profile.pk]))

        assert response.status_code == 200
        html = response.content.decode()
        assert "Name own_member" in html
        assert_no_foreign_names(html)

    def test_unit_history_lists_the_logged_change(self, client, org, scene):
        client.force_login(scene[0])

        response = client.get(reverse("units:history", args=[org.branch_a.pk]))

        entries = list(response.context["object_list"])
        assert [(entry.action, entry.object_id) for entry in entries] == [
            ("wagtail.edit", str(org.branch_a.pk))
        ]


class TestOtherSubtree:
    @pytest.mark.parametrize("view", ["history", "usage", "edit"])
    def test_another_units_pages_are_not_found(self, client, org, scene, view):
        client.force_login(scene[0])

        for unit in (org.west_branch, org.branch_b, org.east):
            response = client.get(reverse(f"units:{view}", args=[unit.pk]))
            assert response.status_code == 404, unit

    @pytest.mark.parametrize("view", ["history", "usage", "edit"])
    def test_another_members_pages_are_not_found(self, client, scene, view):
        branch_manager, _own, west_member, sibling_member = scene
        client.force_login(branch_manager)

        for member in (west_member, sibling_member):
            response = client.get(reverse(f"members:{view}", args=[member.profile.pk]))
            assert response.status_code == 404, member


class TestSiteHistory:
    def test_branch_manager_sees_only_their_subtree(self, client, org, scene):
        # given changes logged in and outside the branch manager's subtree
        branch_manager, own_member, *_ = scene
        client.force_login(branch_manager)

        # when they open Wagtail's site history
        response = client.get(reverse("wagtailadmin_reports:site_history"))

        # then they see the entries about their unit and member, and no other name
        assert response.status_code == 200
        html = response.content.decode()
        assert "Branch A" in html
        assert "Name own_member" in html
        assert_no_foreign_names(html)
        assert "sibling_member" not in html
        labels = {entry.label for entry in response.context["object_list"]}
        assert labels == {"Branch A", str(own_member.profile)}

    def test_results_and_export_are_scoped_too(self, client, scene):
        client.force_login(scene[0])

        results = client.get(reverse("wagtailadmin_reports:site_history_results"))
        export = client.get(reverse("wagtailadmin_reports:site_history") + "?export=csv")

        assert results.status_code == 200
        assert_no_foreign_names(results.content.decode())
        assert export.status_code == 200
        csv_text = b"".join(export.streaming_content).decode("utf-8-sig")
        assert "Branch A" in csv_text
        assert_no_foreign_names(csv_text)

    def test_district_manager_sees_the_branches_below(self, client, org, scene, member_factory):
        client.force_login(member_factory(org.east, roles.MANAGERS, username="mgr_east"))

        response = client.get(reverse("wagtailadmin_reports:site_history"))

        labels = {entry.label for entry in response.context["object_list"]}
        assert {"Branch A", "Branch B", "Name sibling_member (sibling_member)"} <= labels
        assert_no_foreign_names(
            response.content.decode(), ("West branch", "West district", "west_member")
        )

    def test_superuser_sees_everything(self, client, scene):
        client.force_login(UserFactory(username="root2", is_superuser=True, is_staff=True))

        response = client.get(reverse("wagtailadmin_reports:site_history"))

        labels = {entry.label for entry in response.context["object_list"]}
        assert {"Branch A", "Branch B", "West branch", "West district"} <= labels


@pytest.mark.parametrize(
    "report, status",
    [
        ("locked_pages", 302),  # needs the lock permission: back to the dashboard
        ("workflow", 200),
        ("workflow_tasks", 200),
        ("aging_pages", 200),
        ("page_types_usage", 200),
    ],
)
def test_the_other_reports_wagtail_ships_open_without_foreign_names(client, scene, report, status):
    client.force_login(scene[0])

    response = client.get(reverse(f"wagtailadmin_reports:{report}"))

    assert response.status_code == status
    if status == 302:
        assert response.url == reverse("wagtailadmin_home")
    assert_no_foreign_names(response.content.decode())
