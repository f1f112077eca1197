"""The quiz report: pass rate and score distribution per unit, members, scope, bad input."""

import csv
import html
import io
import re
from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone

from cms.models import Unit
from exams.quizzes.models import QuizLessonPage, QuizResult
from exams.reports.figures import unit_overview
from exams.reports.filters import ReportFilters
from exams.reports.quiz_report import quiz_member_rows, quiz_report, quiz_summaries
from exams.reports.tables import BadReportRequest, report_table
from tests.factories import make_member, make_unit

pytestmark = pytest.mark.django_db

THIS_YEAR = timezone.localdate().year  # a result counts in the year it was last graded


def make_quiz(course, **fields) -> QuizLessonPage:
    quiz = QuizLessonPage(
        title=fields.pop("title", "Safety quiz"),
        slug=f"quiz-{course.pk}-{QuizLessonPage.objects.count()}",
        **fields,
    )
    course.add_child(instance=quiz)
    return quiz


def grade(user, quiz, percent: str, *, passed: bool, attempts: int = 1):
    return QuizResult.objects.create(
        user=user,
        quiz=quiz,
        percent=Decimal(percent),
        passed=passed,
        attempts=attempts,
        first_passed_at=timezone.now() if passed else None,
    )


@pytest.fixture
def quiz_world(report_world):
    """a1 85 % passed (2 attempts), a2 40 % failed, b1 60 % passed, w1 100 % passed;
    e0 has a result without a finished attempt (not counted)."""
    w = report_world
    w.quiz = make_quiz(w.course)
    w.other_quiz = make_quiz(w.other_course, title="Other quiz")
    grade(w.a1, w.quiz, "85", passed=True, attempts=2)
    grade(w.a2, w.quiz, "40", passed=False)
    grade(w.b1, w.quiz, "60", passed=True)
    grade(w.w1, w.quiz, "100", passed=True)
    grade(w.e0, w.quiz, "0", passed=False, attempts=0)
    grade(w.a1, w.other_quiz, "10", passed=False)
    return w


def _rows(report):
    return {("own" if g.own_members else g.unit.name): g for g in report.rows}


def test_given_grades_when_the_province_opens_the_quiz_then_bands_and_pass_rates_per_unit(
    quiz_world,
):
    w = quiz_world

    report = quiz_report(
        user=w.manager_province,
        quiz=w.quiz,
        unit=w.province,
        filters=ReportFilters.for_year(THIS_YEAR),
    )

    rows = _rows(report)
    assert set(rows) == {"East district", "West district"}
    east, west = rows["East district"], rows["West district"]
    assert (east.taken, east.passed, east.pass_rate) == (3, 2, Decimal("66.7"))
    assert east.average_percent == Decimal("61.67")
    #          0  10 20 30 40 50 60 70 80 90
    assert east.distribution == [0, 0, 0, 0, 1, 0, 1, 0, 1, 0]
    assert west.distribution == [0, 0, 0, 0, 0, 0, 0, 0, 0, 1]  # 100 % is in the last band
    assert (report.total.taken, report.total.passed, report.total.pass_rate) == (
        4,
        3,
        Decimal("75.0"),
    )
    assert sum(report.total.distribution) == 4
    assert report.bands[0] == (Decimal("0.00"), Decimal("10.00"))


def test_the_pass_rate_agrees_with_the_overview_filtered_on_the_quiz_course(quiz_world):
    w = quiz_world
    year = ReportFilters.for_year(THIS_YEAR)
    by_course = ReportFilters(**{**year.__dict__, "course_id": w.course.pk})

    overview = unit_overview(user=w.manager_east, unit=w.east, filters=by_course)
    report = quiz_report(user=w.manager_east, quiz=w.quiz, unit=w.east, filters=year)

    groups = {("own" if g.own_members else g.unit.name): g for g in overview.rows}
    for name, group in _rows(report).items():
        assert group.taken == groups[name].quizzes_taken
        assert group.passed == groups[name].quizzes_passed
        assert group.pass_rate == groups[name].quiz_pass_rate
    assert report.total.pass_rate == overview.total.quiz_pass_rate


def test_members_and_the_period(quiz_world):
    w = quiz_world

    rows = {
        r.username: r
        for r in quiz_member_rows(
            quiz=w.quiz, unit=w.east, filters=ReportFilters.for_year(THIS_YEAR)
        )
    }
    last_year = quiz_member_rows(
        quiz=w.quiz, unit=w.east, filters=ReportFilters.for_year(THIS_YEAR - 1)
    )

    assert set(rows) == {"a1", "a2", "b1"}  # not e0 (no finished attempt), not w1 (west)
    assert rows["a1"].attempts == 2 and rows["a1"].passed and rows["a1"].percent == Decimal("85")
    assert rows["a2"].first_passed_at is None
    assert last_year == []


def test_quiz_list_of_a_unit(quiz_world):
    w = quiz_world
    filters = ReportFilters.for_year(THIS_YEAR)

    listed = {q.title: q for q in quiz_summaries(unit=w.branch_a, filters=filters)}

    assert set(listed) == {"Safety quiz", "Other quiz"}
    assert (listed["Safety quiz"].taken, listed["Safety quiz"].passed) == (2, 1)
    assert listed["Other quiz"].pass_rate == Decimal("0.0")


def test_query_count_does_not_grow(quiz_world, django_assert_max_num_queries):
    w = quiz_world
    filters = ReportFilters.for_year(THIS_YEAR)
    with django_assert_max_num_queries(10) as small:
        quiz_report(user=w.manager_province, quiz=w.quiz, unit=w.east, filters=filters)
    for n in range(4):
        unit = make_unit(f"New {n}", parent=w.east)
        for i in range(3):
            grade(make_member(unit), w.quiz, str(10 * i), passed=False)
    with django_assert_max_num_queries(len(small.captured_queries)):
        report = quiz_report(user=w.manager_province, quiz=w.quiz, unit=w.east, filters=filters)
    assert report.total.taken == 15 and len(report.rows) == 6  # e0's result has no attempt


def test_tables_are_registered_and_check_scope(quiz_world):
    w = quiz_world
    params = {"unit": str(w.east.pk), "quiz": str(w.quiz.pk), "year": str(THIS_YEAR)}

    table = report_table(name="quiz", user=w.manager_east, params=params)
    members = report_table(
        name="quiz_members", user=w.manager_east, params={**params, "passed": "0"}
    )

    rows = {row[1]: row for row in table.rows}
    assert rows["Branch A"][2:6] == [2, 1, 50.0, 62.5]
    assert rows["Total"][6:] == [0, 0, 0, 0, 1, 0, 1, 0, 1, 0]
    assert [c.kind for c in table.columns][6:] == ["int"] * 10
    assert [row[1] for row in members.rows] == ["a2"]
    with pytest.raises(Unit.DoesNotExist):
        report_table(name="quiz", user=w.manager_a, params=params)
    with pytest.raises(BadReportRequest):
        report_table(name="quiz", user=w.manager_east, params={**params, "quiz": "x"})
    with pytest.raises(BadReportRequest):
        report_table(name="quiz", user=w.manager_east, params={**params, "year": "1"})
    with pytest.raises(QuizLessonPage.DoesNotExist):
        report_table(name="quiz", user=w.manager_east, params={**params, "quiz": str(w.course.pk)})


# --- screens ----------------------------------------------------------------------------


@pytest.fixture
def as_user(client):
    def login(user):
        client.force_login(user)
        client.cookies["django_language"] = "en"
        return client

    return login


def test_manager_opens_the_quiz_list_the_quiz_and_its_members(quiz_world, as_user):
    w = quiz_world
    client = as_user(w.manager_east)
    base = f"/admin/reports/units/{w.east.pk}/quizzes/"

    listing = client.get(f"{base}?year={THIS_YEAR}")
    quiz = client.get(f"{base}{w.quiz.pk}/?year={THIS_YEAR}")
    failed = client.get(f"{base}{w.quiz.pk}/members/?year={THIS_YEAR}&passed=0")
    branch_b = client.get(
        f"/admin/reports/units/{w.branch_b.pk}/quizzes/{w.quiz.pk}/members/?year={THIS_YEAR}"
    )

    assert listing.status_code == 200 and "Safety quiz" in listing.content.decode()
    assert quiz.status_code == 200
    html = quiz.content.decode()
    assert "Branch A" in html and "West" not in html
    assert html.count("<svg") >= 2 and 'role="img"' in html
    assert quiz.context["report"].total.passed == 2
    assert [r.username for r, _path in failed.context["rows"]] == ["a2"]
    assert [r.username for r, _path in branch_b.context["rows"]] == ["b1"]


@pytest.mark.parametrize(
    ("manager", "unit"),
    [
        ("manager_a", "branch_b"),
        ("manager_a", "east"),
        ("manager_east", "west"),
        ("manager_west", "province"),
    ],
)
def test_out_of_scope_units_are_404(quiz_world, as_user, manager, unit):
    w = quiz_world
    client = as_user(getattr(w, manager))
    unit_id = getattr(w, unit).pk
    for url in (
        f"/admin/reports/units/{unit_id}/quizzes/",
        f"/admin/reports/units/{unit_id}/quizzes/{w.quiz.pk}/",
        f"/admin/reports/units/{unit_id}/quizzes/{w.quiz.pk}/members/",
    ):
        assert client.get(url).status_code == 404, url


def test_bad_parameters_are_400_and_unknown_quizzes_404(quiz_world, as_user):
    w = quiz_world
    client = as_user(w.manager_a)
    base = f"/admin/reports/units/{w.branch_a.pk}/quizzes/"

    bad_year = client.get(f"{base}{w.quiz.pk}/?year=abc")
    bad_range = client.get(f"{base}?year=2026&date_from=2025-01-01")
    bad_passed = client.get(f"{base}{w.quiz.pk}/members/?passed=maybe")

    assert bad_year.status_code == 400 and "Enter a whole number" in bad_year.content.decode()
    assert bad_range.status_code == 400 and "within the year 2026" in bad_range.content.decode()
    assert bad_passed.status_code == 400 and "Select a valid choice" in bad_passed.content.decode()
    assert client.get(f"{base}999999/").status_code == 404
    assert client.get(f"{base}{w.course.pk}/").status_code == 404  # a course is not a quiz


def test_members_trainers_and_anonymous_are_refused(quiz_world, client):
    w = quiz_world
    url = f"/admin/reports/units/{w.branch_a.pk}/quizzes/{w.quiz.pk}/"

    assert client.get(url)["Location"].startswith("/admin/login/")
    client.force_login(w.trainer)
    assert client.get(url)["Location"] == "/admin/"
    client.force_login(w.a1)
    assert client.get(url)["Location"].startswith("/admin/login/")


def test_a_date_range_keeps_only_results_graded_in_it(quiz_world):
    w = quiz_world
    january = timezone.make_aware(timezone.datetime(THIS_YEAR, 1, 2, 12))
    march = timezone.make_aware(timezone.datetime(THIS_YEAR, 3, 1, 12))
    QuizResult.objects.filter(user=w.a2).update(updated_at=january)
    QuizResult.objects.filter(user=w.a1).update(updated_at=march)
    later = ReportFilters(
        year=THIS_YEAR, date_from=date(THIS_YEAR, 1, 3), date_to=date(THIS_YEAR, 12, 31)
    )

    rows = quiz_member_rows(quiz=w.quiz, unit=w.branch_a, filters=later)

    assert [r.username for r in rows] == ["a1"]


def test_the_quiz_screens_export_button_gives_the_same_numbers(quiz_world, as_user):
    w = quiz_world
    client = as_user(w.manager_east)
    page = client.get(f"/admin/reports/units/{w.east.pk}/quizzes/{w.quiz.pk}/?year={THIS_YEAR}")
    link = re.search(
        r'href="(/admin/reports/exports/new/\?[^"]*format=csv[^"]*)"', page.content.decode()
    )

    response = client.get(html.unescape(link.group(1)))

    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    branch_a = next(row for row in rows if len(row) > 2 and row[1] == "Branch A")
    assert branch_a[2:5] == ["2", "1", "50.0"]
