"""The course report: states per unit and per member, scope, bad input, query count."""

import csv
import html
import io
import re
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from cms.models import Unit
from courses.models import CoursePage, Enrolment, LessonProgress
from exams.reports.course_report import (
    COMPLETED,
    IN_PROGRESS,
    NOT_STARTED,
    OVERDUE,
    course_member_rows,
    course_report,
    course_summaries,
)
from exams.reports.figures import unit_overview
from exams.reports.filters import ReportFilters
from exams.reports.tables import BadReportRequest, report_table
from tests.exams.conftest import make_reading_lesson
from tests.factories import make_member, make_unit

from .conftest import TODAY, YEAR, require

pytestmark = pytest.mark.django_db


@pytest.fixture
def course_world(report_world):
    """report_world's course with two required lessons and one optional; e0 enrolled by
    themselves and halfway through; manager_a enrolled and not started."""
    w = report_world
    w.lesson1 = make_reading_lesson(w.course)
    w.lesson2 = make_reading_lesson(w.course)
    w.extra = make_reading_lesson(w.course, required_for_completion=False)
    Enrolment.objects.create(user=w.e0, course=w.course)
    LessonProgress.objects.create(user=w.e0, lesson=w.lesson1, state=LessonProgress.State.DONE)
    LessonProgress.objects.create(user=w.e0, lesson=w.extra, state=LessonProgress.State.IN_PROGRESS)
    Enrolment.objects.create(user=w.manager_a, course=w.course)
    LessonProgress.objects.create(user=w.b1, lesson=w.lesson1, state=LessonProgress.State.DONE)
    return w


def _rows(report):
    return {("own" if g.own_members else g.unit.name): g for g in report.rows}


def test_given_a_course_when_the_district_manager_opens_it_then_states_add_up_per_unit(
    course_world,
):
    w = course_world

    report = course_report(user=w.manager_province, course=w.course, unit=w.province, today=TODAY)

    rows = _rows(report)
    assert set(rows) == {"East district", "West district"}  # nobody enrolled in the province itself
    east = rows["East district"]
    # a1 on time, a2 late → completed; b1 required and past due → overdue (a lesson done
    # does not make it "in progress"); e0 started → in progress; manager_a → not started
    assert (east.completed, east.overdue, east.in_progress, east.not_started) == (2, 1, 1, 1)
    assert east.enrolled == 5 and east.required == 3
    assert east.percent_completed == Decimal("40.0")
    assert rows["West district"].enrolled == 0  # w1 is enrolled in the other course only
    assert report.total.enrolled == 5 and report.total.completed == 2
    assert [u.name for u in report.breadcrumbs] == ["Province"]


def test_drilling_into_a_child_unit_gives_its_children_and_own_members(course_world):
    w = course_world

    report = course_report(user=w.manager_province, course=w.course, unit=w.east, today=TODAY)

    rows = _rows(report)
    assert set(rows) == {"Branch A", "Branch B", "own"}
    assert (rows["Branch A"].completed, rows["Branch A"].not_started) == (2, 1)
    assert rows["Branch B"].overdue == 1
    assert rows["own"].in_progress == 1  # e0, directly in the district
    assert rows["Branch A"].has_children is False
    assert [u.name for u in report.breadcrumbs] == ["Province", "East district"]


def test_members_have_state_progress_and_dates(course_world):
    w = course_world

    rows = {r.username: r for r in course_member_rows(course=w.course, unit=w.east, today=TODAY)}

    assert set(rows) == {"a1", "a2", "b1", "e0", "manager_a"}
    assert rows["a1"].state == COMPLETED and rows["a1"].percent == 100
    assert rows["a1"].completed_at.date() == date(YEAR, 4, 20)
    assert rows["b1"].state == OVERDUE and rows["b1"].percent == 50  # 1 of 2 required lessons
    assert rows["b1"].due_date == date(YEAR, 5, 1) and rows["b1"].required
    assert rows["e0"].state == IN_PROGRESS and rows["e0"].percent == 50
    assert not rows["e0"].required and rows["e0"].due_date is None
    assert rows["manager_a"].state == NOT_STARTED and rows["manager_a"].percent == 0
    assert rows["a1"].unit_path == w.branch_a.path
    # before the due date b1 was not overdue yet, but started
    early = {
        r.username: r
        for r in course_member_rows(course=w.course, unit=w.east, today=date(YEAR, 4, 1))
    }
    assert early["b1"].state == IN_PROGRESS


def test_overdue_and_completed_required_courses_agree_with_the_overview(course_world):
    w = course_world
    filters = ReportFilters(**{**ReportFilters.for_year(YEAR).__dict__, "course_id": w.course.pk})

    overview = unit_overview(user=w.manager_province, unit=w.east, filters=filters, today=TODAY)
    report = course_report(user=w.manager_province, course=w.course, unit=w.east, today=TODAY)

    course_rows, overview_rows = (
        _rows(report),
        {("own" if g.own_members else g.unit.name): g for g in overview.rows},
    )
    for name in ("Branch A", "Branch B"):
        assert course_rows[name].overdue == overview_rows[name].required_overdue
        required_done = overview_rows[name].required_on_time + overview_rows[name].required_late
        assert course_rows[name].completed == required_done  # every completion here is required
    assert report.total.overdue == overview.total.required_overdue == 1


def test_query_count_does_not_grow_with_units_or_members(
    course_world, django_assert_max_num_queries
):
    w = course_world
    with django_assert_max_num_queries(12) as small:
        course_report(user=w.manager_province, course=w.course, unit=w.province, today=TODAY)
    for n in range(4):
        unit = make_unit(f"New {n}", parent=w.east)
        for _ in range(3):
            member = make_member(unit)
            require(member, w.course, due=date(YEAR, 5, 1))
            LessonProgress.objects.create(
                user=member, lesson=w.lesson1, state=LessonProgress.State.DONE
            )
    with django_assert_max_num_queries(len(small.captured_queries)):
        report = course_report(user=w.manager_province, course=w.course, unit=w.east, today=TODAY)
    assert len(report.rows) == 7 and report.total.overdue == 13


def test_course_list_has_the_totals_of_the_unit(course_world):
    w = course_world
    Enrolment.objects.create(
        user=w.w1,
        course=w.course,
        completed_at=datetime(YEAR, 6, 1, tzinfo=UTC),
    )

    summaries = {s.title: s for s in course_summaries(unit=w.province, today=TODAY)}
    branch = {s.title: s for s in course_summaries(unit=w.branch_a, today=TODAY)}

    assert summaries[w.course.title].enrolled == 6
    assert summaries[w.course.title].completed == 3
    assert summaries[w.course.title].overdue == 1
    assert summaries[w.other_course.title].enrolled == 1
    assert set(branch) == {w.course.title}  # nobody in branch A takes the other course
    assert branch[w.course.title].enrolled == 3


# --- registered tables ----------------------------------------------------------------


def test_tables_are_registered_and_check_scope(course_world):
    w = course_world
    params = {"unit": str(w.east.pk), "course": str(w.course.pk)}

    table = report_table(name="course", user=w.manager_east, params=params)
    members = report_table(
        name="course_members", user=w.manager_east, params={**params, "state": "overdue"}
    )

    rows = {row[1]: row for row in table.rows}
    assert rows["Branch A"][2:8] == [3, 1, 0, 0, 2, 66.7]
    assert rows["Total"][2] == 5
    assert [row[1] for row in list(members.rows)] == ["b1"]
    with pytest.raises(Unit.DoesNotExist):
        report_table(name="course", user=w.manager_a, params=params)
    with pytest.raises(BadReportRequest):
        report_table(name="course", user=w.manager_east, params={"unit": str(w.east.pk)})
    with pytest.raises(BadReportRequest):
        report_table(name="course_members", user=w.manager_east, params={**params, "state": "x"})
    with pytest.raises(CoursePage.DoesNotExist):
        report_table(name="course", user=w.manager_east, params={**params, "course": "999999"})
    with pytest.raises(Unit.DoesNotExist):
        report_table(name="course", user=w.a1, params=params)


# --- screens ----------------------------------------------------------------------------


@pytest.fixture
def as_user(client):
    def login(user):
        client.force_login(user)
        client.cookies["django_language"] = "en"
        return client

    return login


def test_manager_opens_the_course_list_the_course_and_its_members(course_world, as_user):
    w = course_world
    client = as_user(w.manager_east)

    listing = client.get(f"/admin/reports/units/{w.east.pk}/courses/")
    course = client.get(f"/admin/reports/units/{w.east.pk}/courses/{w.course.pk}/")
    members = client.get(f"/admin/reports/units/{w.east.pk}/courses/{w.course.pk}/members/")
    overdue = client.get(
        f"/admin/reports/units/{w.east.pk}/courses/{w.course.pk}/members/?state=overdue"
    )
    own = client.get(f"/admin/reports/units/{w.east.pk}/courses/{w.course.pk}/members/?own=1")

    assert listing.status_code == 200 and w.course.title in listing.content.decode()
    assert course.status_code == 200
    html = course.content.decode()
    assert "Branch A" in html and "West" not in html
    assert "<svg" in html and "<desc" in html  # the chart, with its numbers in a table
    assert course.context["report"].total.enrolled == 5
    assert [r.username for r, _path in members.context["rows"]] == [
        "e0",
        "a1",
        "a2",
        "manager_a",
        "b1",
    ]
    assert "East district / Branch A" in members.content.decode()
    assert [r.username for r, _path in overdue.context["rows"]] == ["b1"]
    assert [r.username for r, _path in own.context["rows"]] == ["e0"]


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
def test_out_of_scope_units_are_404(course_world, as_user, manager, unit):
    w = course_world
    client = as_user(getattr(w, manager))
    unit_id = getattr(w, unit).pk
    for url in (
        f"/admin/reports/units/{unit_id}/courses/",
        f"/admin/reports/units/{unit_id}/courses/{w.course.pk}/",
        f"/admin/reports/units/{unit_id}/courses/{w.course.pk}/members/",
    ):
        assert client.get(url).status_code == 404, url


def test_unknown_courses_are_404_and_bad_parameters_400(course_world, as_user):
    w = course_world
    client = as_user(w.manager_a)
    base = f"/admin/reports/units/{w.branch_a.pk}/courses/"

    assert client.get(f"{base}999999/").status_code == 404
    assert client.get(f"{base}{w.lesson1.pk}/").status_code == 404  # a lesson is not a course
    bad = client.get(f"{base}{w.course.pk}/members/?state=lost")

    assert bad.status_code == 400
    assert "Select a valid choice" in bad.content.decode()


def test_members_trainers_and_anonymous_are_refused(course_world, client):
    w = course_world
    url = f"/admin/reports/units/{w.branch_a.pk}/courses/{w.course.pk}/"

    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    client.force_login(w.trainer)
    response = client.get(url)
    assert response.status_code == 302 and response["Location"] == "/admin/"
    client.force_login(w.a1)
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")


def test_the_course_screens_export_buttons_give_the_same_numbers(course_world, as_user):
    w = course_world
    client = as_user(w.manager_east)
    base = f"/admin/reports/units/{w.east.pk}/courses/{w.course.pk}"
    page = client.get(f"{base}/members/?state=overdue")
    link = re.search(
        r'href="(/admin/reports/exports/new/\?[^"]*format=csv[^"]*)"', page.content.decode()
    )

    response = client.get(html.unescape(link.group(1)))

    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    usernames = [row[1] for row in rows if len(row) > 3]
    assert "b1" in usernames and "a1" not in usernames and "e0" not in usernames
