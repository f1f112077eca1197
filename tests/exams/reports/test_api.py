"""The reports API: the same numbers as the figures, scope, refusals and bad parameters."""

from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone

from exams.quizzes.models import QuizLessonPage, QuizResult
from exams.reports.course_report import course_report
from exams.reports.figures import member_figures, members_of_unit, unit_overview
from exams.reports.filters import ReportFilters
from tests.factories import UserFactory

from .conftest import YEAR

pytestmark = pytest.mark.django_db

API = "/api/v1/reports"


@pytest.fixture
def api(client):
    def as_user(user):
        client.force_login(user)
        client.cookies["django_language"] = "en"
        return client

    return as_user


def _decimal(value):
    return None if value is None else Decimal(value)


# --- units ------------------------------------------------------------------------------


def test_units_are_the_users_scope_with_parent_ids(report_world, api):
    w = report_world

    response = api(w.manager_east).get(f"{API}/units/")

    assert response.status_code == 200
    units = {u["name"]: u for u in response.json()}
    assert set(units) == {"East district", "Branch A", "Branch B"}
    assert units["East district"]["parent"] is None  # the province is not in scope
    assert units["Branch A"]["parent"] == w.east.pk
    assert units["Branch A"]["path"] == "Province / East district / Branch A"
    assert units["Branch A"]["code"] == "BR-A" and units["Branch A"]["depth"] == 3


def test_a_superuser_sees_every_unit(report_world, api):
    admin = UserFactory(username="root", is_superuser=True, is_staff=True)

    response = api(admin).get(f"{API}/units/")

    assert response.status_code == 200
    units = {u["name"]: u for u in response.json()}
    assert len(units) == 6 and units["Province"]["parent"] is None
    assert units["West branch"]["parent"] == report_world.west.pk


@pytest.mark.parametrize("who", ["a1", "trainer", None])
def test_members_trainers_and_anonymous_get_403_everywhere(report_world, client, who):
    w = report_world
    if who:
        client.force_login(getattr(w, who))
    for url in (
        f"{API}/units/",
        f"{API}/units/{w.branch_a.pk}/overview/",
        f"{API}/units/{w.branch_a.pk}/members/",
        f"{API}/courses/{w.course.pk}/?unit={w.branch_a.pk}",
        f"{API}/members/{w.a1.pk}/record/",  # not even their own record here
    ):
        response = client.get(url)
        assert response.status_code == 403, url
        assert response.json()["detail"], url


# --- overview ---------------------------------------------------------------------------


def test_overview_has_the_figures_numbers(report_world, api):
    w = report_world
    filters = ReportFilters(year=YEAR, date_from=date(YEAR, 1, 1), date_to=date(YEAR, 6, 30))

    response = api(w.manager_province).get(
        f"{API}/units/{w.province.pk}/overview/?year={YEAR}&date_to={YEAR}-06-30&sort=unit"
    )

    assert response.status_code == 200
    body = response.json()
    expected = unit_overview(user=w.manager_province, unit=w.province, filters=filters, sort="unit")
    assert [r["unit_name"] for r in body["rows"]] == [g.unit.name for g in expected.rows]
    pairs = zip([*body["rows"], body["total"]], [*expected.rows, expected.total], strict=True)
    for row, group in pairs:
        assert row["members"] == group.members
        assert row["met_target"] == group.met_target
        assert _decimal(row["percent_met"]) == group.percent_met
        assert _decimal(row["hours_total"]) == group.hours_total
        assert _decimal(row["median_hours"]) == group.median_hours
        assert row["required_overdue"] == group.required_overdue
        assert row["own_members"] == group.own_members
    assert body["total"]["hours_total"] == "77.00"  # a1's 10 h of September are outside
    assert body["filters"] == {
        "year": YEAR,
        "date_from": f"{YEAR}-01-01",
        "date_to": f"{YEAR}-06-30",
        "course": None,
        "topic": None,
    }
    assert [b["name"] for b in body["breadcrumbs"]] == ["Province"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("year=abc", "year"),
        ("year=1800", "year"),
        ("year=2026&date_from=2025-12-01", "non_field_errors"),
        ("date_from=2026-13-01", "date_from"),
        ("course=999999", "course"),
        ("sort=nonsense", "sort"),
        ("order=sideways", "order"),
    ],
)
def test_bad_filters_are_400_with_the_one_error_shape(report_world, api, query, field):
    w = report_world

    response = api(w.manager_a).get(f"{API}/units/{w.branch_a.pk}/overview/?{query}")

    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"detail", "errors"}
    assert field in body["errors"] and body["detail"]


@pytest.mark.parametrize(
    ("manager", "unit"),
    [
        ("manager_a", "branch_b"),
        ("manager_a", "east"),
        ("manager_a", "province"),
        ("manager_east", "west"),
        ("manager_west", "branch_a"),
    ],
)
def test_out_of_scope_ids_are_404(report_world, api, manager, unit):
    w = report_world
    client = api(getattr(w, manager))
    unit_id = getattr(w, unit).pk
    for url in (
        f"{API}/units/{unit_id}/overview/",
        f"{API}/units/{unit_id}/members/",
        f"{API}/courses/{w.course.pk}/?unit={unit_id}",
        f"{API}/units/999999/overview/",
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        assert response.json()["detail"], url


# --- members ----------------------------------------------------------------------------


def test_members_come_a_page_at_a_time_with_the_figures_numbers(report_world, api):
    w = report_world
    client = api(w.manager_east)
    expected = {
        r.username: r
        for r in member_figures(
            members=members_of_unit(unit=w.east), filters=ReportFilters.for_year(YEAR)
        )
    }

    first = client.get(f"{API}/units/{w.east.pk}/members/?year={YEAR}&page_size=3").json()
    rest = [
        client.get(f"{API}/units/{w.east.pk}/members/?year={YEAR}&page_size=3&page={n}").json()
        for n in (2, 3)
    ]

    assert (first["count"], first["pages"], first["page"]) == (8, 3, 1)
    results = [r for page in [first, *rest] for r in page["results"]]
    assert [r["username"] for r in results] == list(expected)  # by unit, then name
    for row in results:
        figures = expected[row["username"]]
        assert _decimal(row["year_hours"]) == figures.year_hours
        assert _decimal(row["target"]) == figures.target
        assert row["met_target"] == figures.met_target
        assert row["required_late"] == figures.required_late
    a1 = next(r for r in results if r["username"] == "a1")
    assert a1["unit_path"] == "Province / East district / Branch A" and a1["year_hours"] == "40.00"


def test_behind_lists_only_members_short_of_their_target(report_world, api):
    w = report_world

    body = api(w.manager_east).get(f"{API}/units/{w.east.pk}/members/?year={YEAR}&behind=1")

    assert body.status_code == 200
    names = {r["username"] for r in body.json()["results"]}
    assert "a1" not in names and "b1" not in names and {"a2", "e0"} <= names
    assert body.json()["count"] == 6


@pytest.mark.parametrize(
    ("query", "code"),
    [("page=0", 400), ("page=x", 400), ("page_size=5000", 400), ("page=3", 404)],
)
def test_bad_pages(report_world, api, query, code):
    w = report_world

    response = api(w.manager_a).get(f"{API}/units/{w.branch_a.pk}/members/?{query}")

    assert response.status_code == code
    assert response.json()["detail"]


# --- courses and quizzes ------------------------------------------------------------------


def test_course_report_matches_the_selector_and_defaults_to_the_users_unit(report_world, api):
    w = report_world
    client = api(w.manager_east)

    explicit = client.get(f"{API}/courses/{w.course.pk}/?unit={w.east.pk}")
    default = client.get(f"{API}/courses/{w.course.pk}/")

    assert explicit.status_code == 200 and explicit.json() == default.json()
    body = explicit.json()
    expected = course_report(user=w.manager_east, course=w.course, unit=w.east)
    assert body["course"] == {"id": w.course.pk, "title": w.course.title}
    rows = {r["unit_name"]: r for r in body["rows"]}
    for group in expected.rows:
        row = rows[group.unit.name]
        assert (row["enrolled"], row["completed"], row["overdue"]) == (
            group.enrolled,
            group.completed,
            group.overdue,
        )
    assert body["total"]["enrolled"] == 3 and body["total"]["completed"] == 2
    assert body["total"]["percent_completed"] == "66.7"


def test_course_errors(report_world, api):
    w = report_world
    client = api(w.manager_east)

    assert client.get(f"{API}/courses/999999/?unit={w.east.pk}").status_code == 404
    bad = client.get(f"{API}/courses/{w.course.pk}/?unit=abc")
    assert bad.status_code == 400 and "unit" in bad.json()["errors"]
    assert client.get(f"{API}/courses/{w.course.pk}/?unit={w.west.pk}").status_code == 404


def test_quiz_report_matches_the_overview_quiz_figures(report_world, api):
    w = report_world
    quiz = QuizLessonPage(title="Quiz", slug="api-quiz")
    w.course.add_child(instance=quiz)
    for user, percent, passed in [(w.a1, "95", True), (w.a2, "35", False), (w.w1, "70", True)]:
        QuizResult.objects.create(
            user=user, quiz=quiz, percent=Decimal(percent), passed=passed, attempts=1
        )
    year = timezone.localdate().year
    client = api(w.manager_province)

    response = client.get(f"{API}/quizzes/{quiz.pk}/?unit={w.province.pk}&year={year}")

    assert response.status_code == 200
    body = response.json()
    overview = unit_overview(
        user=w.manager_province,
        unit=w.province,
        filters=ReportFilters(
            **{**ReportFilters.for_year(year).__dict__, "course_id": w.course.pk}
        ),
    )
    groups = {g.unit.name: g for g in overview.rows if not g.own_members}
    for row in body["rows"]:
        assert row["taken"] == groups[row["unit_name"]].quizzes_taken
        assert _decimal(row["pass_rate"]) == groups[row["unit_name"]].quiz_pass_rate
    assert body["total"]["distribution"] == [0, 0, 0, 1, 0, 0, 0, 1, 0, 1]
    assert body["total"]["pass_rate"] == "66.7"
    assert body["bands"][9] == {"low": "90.00", "high": "100.00"}
    assert body["quiz"]["pass_percent"] == "60.00"
    bad = client.get(f"{API}/quizzes/{quiz.pk}/?year=1999x")
    assert bad.status_code == 400 and "year" in bad.json()["errors"]
    assert client.get(f"{API}/quizzes/{w.course.pk}/").status_code == 404  # not a quiz
    other = api(w.manager_west).get(f"{API}/quizzes/{quiz.pk}/?unit={w.east.pk}")
    assert other.status_code == 404


# --- the member record --------------------------------------------------------------------


def test_member_record_has_the_members_hours(report_world, api):
    w = report_world
    client = api(w.manager_a)

    response = client.get(f"{API}/members/{w.a1.pk}/record/?year={YEAR}")

    assert response.status_code == 200
    body = response.json()
    assert body["year_hours"] == "40.00" and body["met_target"] is True
    assert body["target"] == "32.00"
    assert sum(Decimal(line["hours"]) for line in body["ledger"]) == Decimal("40.00")
    assert body["courses"][0]["course"] == w.course.pk and body["courses"][0]["required"]
    assert client.get(f"{API}/members/{w.b1.pk}/record/").status_code == 404
    assert client.get(f"{API}/members/{w.e0.pk}/record/").status_code == 404
    assert client.get(f"{API}/members/{w.a1.pk}/record/?year=x").status_code == 400
