"""The overview, member list and member record screens, as each kind of user sees them."""

import pytest

from cms import roles
from tests.factories import make_member

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_user(client):
    def login(user):
        client.force_login(user)
        client.cookies["django_language"] = "en"
        return client

    return login


def test_manager_lands_on_their_unit_and_sees_child_units(report_world, as_user):
    w = report_world
    client = as_user(w.manager_east)
    response = client.get("/admin/reports/")
    assert response.status_code == 302
    assert response["Location"] == f"/admin/reports/units/{w.east.pk}/"
    response = client.get(f"/admin/reports/units/{w.east.pk}/?year=2026")
    assert response.status_code == 200
    rows = {
        g.unit.name if not g.own_members else "own": g for g in response.context["overview"].rows
    }
    assert set(rows) == {"Branch A", "Branch B", "own"}
    assert rows["Branch A"].hours_total == 50 and rows["Branch A"].met_target == 1
    assert rows["own"].members == 2  # e0 and manager_east
    html = response.content.decode()
    assert "Branch A" in html and "West" not in html


@pytest.mark.parametrize(
    ("manager", "unit"),
    [
        ("manager_a", "branch_b"),  # a sibling
        ("manager_a", "east"),  # the parent
        ("manager_a", "province"),
        ("manager_east", "west"),  # a cousin subtree
        ("manager_east", "west_branch"),
        ("manager_west", "branch_a"),
    ],
)
def test_out_of_scope_units_are_404_on_every_screen(report_world, as_user, manager, unit):
    w = report_world
    client = as_user(getattr(w, manager))
    unit_id = getattr(w, unit).pk
    assert client.get(f"/admin/reports/units/{unit_id}/").status_code == 404
    assert client.get(f"/admin/reports/units/{unit_id}/members/").status_code == 404
    assert client.get("/admin/reports/units/999999/").status_code == 404


@pytest.mark.parametrize(
    ("manager", "member"),
    [("manager_a", "b1"), ("manager_a", "e0"), ("manager_west", "a1"), ("manager_east", "w1")],
)
def test_out_of_scope_member_records_are_404(report_world, as_user, manager, member):
    w = report_world
    client = as_user(getattr(w, manager))
    user_id = getattr(w, member).pk
    assert client.get(f"/admin/reports/members/{user_id}/").status_code == 404
    assert client.get(f"/admin/reports/members/{user_id}/print/").status_code == 404


def test_members_trainers_and_anonymous_are_refused(report_world, client):
    w = report_world
    url = f"/admin/reports/units/{w.branch_a.pk}/"
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    client.force_login(w.trainer)  # may use the admin, not the reports
    response = client.get(url)
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert client.get(f"/admin/reports/members/{w.a1.pk}/").status_code == 302
    client.force_login(w.a1)
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")


def test_reports_menu_only_for_managers(report_world, as_user):
    w = report_world
    assert "Training reports" in as_user(w.manager_a).get("/admin/").content.decode()
    assert "Training reports" not in as_user(w.trainer).get("/admin/").content.decode()


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("year=abc", "Enter a whole number."),
        ("year=1066", "greater than or equal to 2000"),
        ("year=2026&date_from=2025-12-01", "The date range must lie within the year 2026."),
        ("date_from=2026-05-01&date_to=2026-04-01&year=2026", "The start date must not be after"),
        ("date_from=not-a-date", "Enter a valid date."),
        ("course=999999", "Select a valid choice."),
        ("topic=x", "Select a valid choice."),
        ("sort=password", "Unknown sort order."),
        ("order=sideways", "Unknown sort order."),
    ],
)
def test_bad_filters_answer_400_with_the_message(report_world, as_user, query, message):
    w = report_world
    client = as_user(w.manager_east)
    for url in (f"/admin/reports/units/{w.east.pk}/", f"/admin/reports/units/{w.east.pk}/members/"):
        response = client.get(f"{url}?{query}")
        assert response.status_code == 400, url
        assert message in response.content.decode()


def test_sort_puts_the_units_furthest_behind_first(report_world, as_user):
    w = report_world
    make_member(w.branch_b, username="b2")
    client = as_user(w.manager_east)
    response = client.get(f"/admin/reports/units/{w.east.pk}/?year=2026&sort=percent_met&order=asc")
    names = [g.unit.name for g in response.context["overview"].rows]
    # Branch A: 1 of 4 met (25%); Branch B: 1 of 3 (33.3%); own: 0 of 2
    assert names == ["East district", "Branch A", "Branch B"]
    response = client.get(f"/admin/reports/units/{w.east.pk}/?year=2026&sort=members&order=desc")
    assert [g.members for g in response.context["overview"].rows] == [4, 3, 2]


def test_member_list_and_behind_filter(report_world, as_user):
    w = report_world
    client = as_user(w.manager_a)
    response = client.get(f"/admin/reports/units/{w.branch_a.pk}/members/?year=2026")
    assert response.status_code == 200
    rows = {r.username: r for r in response.context["page"]}
    assert set(rows) == {"a1", "a2", "manager_a", "trainer_a"}
    assert str(rows["a1"].year_hours) == "40.00" and rows["a1"].met_target
    assert "Province / East district / Branch A" in response.content.decode()
    response = client.get(f"/admin/reports/units/{w.branch_a.pk}/members/?year=2026&behind=1")
    assert {r.username for r in response.context["page"]} == {"a2", "manager_a", "trainer_a"}
    response = client.get(f"/admin/reports/units/{w.branch_a.pk}/members/?p=999")
    assert response.status_code == 200  # the last page, not an error


def test_member_record_for_a_manager_and_printable(report_world, as_user):
    w = report_world
    client = as_user(w.manager_east)
    response = client.get(f"/admin/reports/members/{w.a1.pk}/?year=2026")
    assert response.status_code == 200
    record = response.context["record"]
    assert str(record.year_hours) == "40.00"
    assert sum(line.hours for line in record.ledger) == record.year_hours
    assert [row.course.pk for row in record.courses] == [w.course.pk]
    response = client.get(f"/admin/reports/members/{w.a1.pk}/print/?year=2026")
    assert response.status_code == 200
    assert b"css/record.css" in response.content and b"wagtail" not in response.content.lower()
    assert client.get(f"/admin/reports/members/{w.a1.pk}/?year=x").status_code == 400


def test_member_sees_only_their_own_record(report_world, client):
    w = report_world
    assert client.get("/learn/record/").status_code == 302
    client.force_login(w.a1)
    client.cookies["django_language"] = "en"
    response = client.get("/learn/record/?year=2026")
    assert response.status_code == 200
    assert response.context["record"].profile.user == w.a1
    assert "Name a2" not in response.content.decode()
    assert client.get("/learn/record/?year=abc").status_code == 400
    assert client.get("/learn/record/?year=2025").context["record"].year_hours == 0


def test_superuser_starts_at_the_root(report_world, client):
    from django.contrib.auth import get_user_model

    admin = get_user_model().objects.create_superuser("root", "root@example.org", "x")
    client.force_login(admin)
    response = client.get("/admin/reports/")
    assert response["Location"] == f"/admin/reports/units/{report_world.province.pk}/"


def test_a_manager_who_lost_the_role_loses_the_reports(report_world, as_user):
    from django.contrib.auth.models import Group

    w = report_world
    client = as_user(w.manager_a)
    assert client.get(f"/admin/reports/units/{w.branch_a.pk}/").status_code == 200
    w.manager_a.groups.remove(Group.objects.get(name=roles.MANAGERS))
    w.manager_a.groups.add(Group.objects.get_or_create(name=roles.MEMBERS)[0])
    assert client.get(f"/admin/reports/units/{w.branch_a.pk}/").status_code == 302
