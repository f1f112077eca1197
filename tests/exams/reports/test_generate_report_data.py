"""``manage.py generate_report_data``: a small run on PostgreSQL gives the counts asked for, valid
unit and page trees, and an overview of the root with every generated member; it refuses a
second run without ``--reset``, replaces its rows with it, and refuses SQLite."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone
from wagtail.models import Page

from cms.models import MemberProfile, Unit
from courses.models import CourseAssignment, CoursePage, Enrolment, LessonPage, LessonProgress
from exams.hours.models import StudyHourEntry
from exams.quizzes.models import QuizLessonPage, QuizResult
from exams.reports.figures import report_units_for, unit_overview
from exams.reports.filters import ReportFilters

# VACUUM after the load cannot run inside a test's transaction.
pytestmark = pytest.mark.django_db(transaction=True)

SMALL = {"members": 300, "units": 30, "courses": 10, "rows": 5000, "seed": 3}


def year_totals_mismatches() -> list:
    """The ledger's per-member year totals against its sums, where exams.hours keeps them."""
    if "hours_memberyearhours" not in connection.introspection.table_names():
        return []
    from exams.hours import year_totals

    return year_totals.mismatches()


def generate(**options) -> str:
    out = StringIO()
    call_command("generate_report_data", **{**SMALL, **options}, stdout=out)
    return out.getvalue()


@pytest.fixture
def postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("generate_report_data loads with PostgreSQL's COPY: DATABASE_URL=postgres://…")


def test_sqlite_is_refused_with_a_clear_error():
    if connection.vendor != "sqlite":
        pytest.skip("the refusal is SQLite's")
    with pytest.raises(CommandError, match="PostgreSQL"):
        generate()


def test_a_small_run_gives_the_counts_valid_trees_and_a_full_overview(postgresql):
    # given a migrated database, when the generator runs
    printed = generate()

    # then the counts are the ones asked for
    root = Unit.objects.get(code="gen-root")
    units = Unit.objects.filter(path__startswith=root.path)
    assert units.count() == 30
    assert {u.depth - root.depth for u in units} == {0, 1, 2, 3}  # four levels
    assert MemberProfile.objects.filter(unit__in=units).count() == 300
    assert get_user_model().objects.filter(username__regex=r"^gen\d{6}$").count() == 300
    courses = CoursePage.objects.filter(slug__startswith="gen-course-")
    assert courses.count() == 10 and all(c.live for c in courses)
    assert LessonPage.objects.filter(path__startswith=courses.first().path).count() == 3
    assert QuizLessonPage.objects.count() == 2  # every fifth course
    ledger = StudyHourEntry.objects.all()
    assert ledger.count() == 5000
    assert not ledger.filter(superseded_by__isnull=False).exists()
    today = timezone.localdate()
    assert set(ledger.values_list("year", flat=True).distinct()) == {today.year - 1, today.year}
    assert not ledger.filter(date__gt=today).exists()
    assert set(ledger.values_list("source", flat=True).distinct()) == {
        "lesson_time",
        "attended_session",
        "course_completion",
        "quiz",
        "correction",
    }
    # required courses through assignments: on time, late and not completed
    assert CourseAssignment.objects.filter(unit__in=units).exists()
    required = Enrolment.objects.filter(source="assignment", assignment__isnull=False)
    assert required.filter(completed_at__isnull=True).exists()
    done = list(required.filter(completed_at__isnull=False).values_list("completed_at", "due_date"))
    assert any(at.date() <= due for at, due in done) and any(at.date() > due for at, due in done)
    assert LessonProgress.objects.exists() and QuizResult.objects.exists()
    assert year_totals_mismatches() == []

    # and both trees are valid as treebeard sees them
    assert Unit.find_problems() == ([], [], [], [], [])
    assert Page.find_problems() == ([], [], [], [], [])

    # and the reports see every generated member from the root, a district's from there
    manager = get_user_model().objects.get(username="gen000001")
    district_manager = get_user_model().objects.get(username="gen000002")
    assert "gen000001" in printed and "gen000002" in printed
    overview = unit_overview(
        user=manager, unit=root, filters=ReportFilters.for_year(today.year), today=today
    )
    assert overview.total.members == 300
    assert sum(group.members for group in overview.rows) == 300
    assert overview.total.hours_total > 0
    district = district_manager.profile.unit
    assert district.depth == root.depth + 1
    assert set(report_units_for(user=district_manager)) == set(
        Unit.objects.filter(path__startswith=district.path)
    )


def test_a_second_run_needs_reset_which_replaces_the_rows_and_drop_removes_them(postgresql):
    generate()
    with pytest.raises(CommandError, match="--reset"):
        generate()

    generate(reset=True, members=120, rows=1000)
    root = Unit.objects.get(code="gen-root")
    assert MemberProfile.objects.filter(unit__path__startswith=root.path).count() == 120
    assert StudyHourEntry.objects.count() == 1000
    assert year_totals_mismatches() == []
    assert CoursePage.objects.filter(slug__startswith="gen-course-").count() == 10
    assert Page.find_problems() == ([], [], [], [], [])

    generate(drop=True)
    assert not Unit.objects.filter(code__startswith="gen-").exists()
    assert not get_user_model().objects.filter(username__regex=r"^gen\d{6}$").exists()
    assert not CoursePage.objects.filter(slug__startswith="gen-course-").exists()
    assert not StudyHourEntry.objects.exists() and not Enrolment.objects.exists()
    assert year_totals_mismatches() == []
    assert Page.find_problems() == ([], [], [], [], [])
