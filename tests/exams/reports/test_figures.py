from datetime import date
from decimal import Decimal

import pytest

from cms.models import Unit
from exams.reports.figures import (
    member_figures,
    members_of_unit,
    report_unit,
    report_units_for,
    unit_overview,
)
from exams.reports.filters import ReportFilters

from .conftest import TODAY, YEAR, credit

pytestmark = pytest.mark.django_db


def _by_name(overview):
    return {("own" if g.own_members else g.unit.name): g for g in overview.rows}


def test_province_overview_has_a_row_per_child_and_exact_totals(report_world):
    w = report_world
    overview = unit_overview(
        user=w.manager_province, unit=w.province, filters=ReportFilters.for_year(YEAR), today=TODAY
    )
    rows = _by_name(overview)
    assert set(rows) == {"East district", "West district", "own"}
    east, west = rows["East district"], rows["West district"]
    # east: e0 0 h, a1 40 h, a2 10 h, b1 32 h, manager_east/a/b and the trainer 0 h
    assert east.members == 8
    assert east.met_target == 2  # a1 (40 ≥ 32) and b1 (32 ≥ 32)
    assert east.hours_total == Decimal("82.00")
    assert east.median_hours == Decimal("0.00")
    assert (east.required_on_time, east.required_late, east.required_overdue) == (1, 1, 1)
    # west has its own target of 20: w1 has 5 h this year (50 last year do not count)
    assert west.members == 2 and west.met_target == 0
    assert (west.required_open, west.required_overdue) == (1, 0)
    assert overview.total.members == 11
    assert overview.total.hours_total == Decimal("87.00")
    assert overview.total.percent_met == Decimal("18.2")


def test_branch_manager_sees_only_their_subtree(report_world):
    w = report_world
    assert set(report_units_for(user=w.manager_a)) == {w.branch_a}
    with pytest.raises(Unit.DoesNotExist):
        report_unit(user=w.manager_a, unit_id=w.branch_b.pk)
    with pytest.raises(Unit.DoesNotExist):
        report_unit(user=w.manager_a, unit_id=w.east.pk)
    assert not report_units_for(user=w.a1).exists()
    assert not report_units_for(user=w.trainer).exists()


def test_date_range_and_course_filter_narrow_hours_but_not_the_target(report_world):
    w = report_world
    spring = ReportFilters(year=YEAR, date_from=date(YEAR, 1, 1), date_to=date(YEAR, 6, 30))
    rows = {
        r.username: r
        for r in member_figures(
            members=members_of_unit(unit=w.branch_a), filters=spring, today=TODAY
        )
    }
    assert rows["a1"].hours == Decimal("30.00")
    assert rows["a1"].year_hours == Decimal("40.00") and rows["a1"].met_target

    credit(w.a2, "1.50", course=w.course, source="course_completion")
    course_only = ReportFilters(
        **{**ReportFilters.for_year(YEAR).__dict__, "course_id": w.course.pk}
    )
    rows = {
        r.username: r
        for r in member_figures(
            members=members_of_unit(unit=w.branch_a), filters=course_only, today=TODAY
        )
    }
    assert rows["a2"].hours == Decimal("1.50")
    assert rows["a2"].year_hours == Decimal("11.50")
    assert rows["a1"].required_on_time == 1 and rows["a2"].required_late == 1


def test_query_count_does_not_grow_with_members_or_units(
    report_world, django_assert_max_num_queries
):
    from tests.factories import make_member, make_unit

    w = report_world
    filters = ReportFilters.for_year(YEAR)
    with django_assert_max_num_queries(12) as small:
        unit_overview(user=w.manager_province, unit=w.province, filters=filters, today=TODAY)
    for n in range(5):
        unit = make_unit(f"New {n}", parent=w.east)
        for _ in range(3):
            credit(make_member(unit), "2.00")
    with django_assert_max_num_queries(len(small.captured_queries)):
        unit_overview(user=w.manager_province, unit=w.province, filters=filters, today=TODAY)


def _brute_force_groups(*, unit, filters):
    """The overview counted the long way: every member's own figures, added up."""
    from exams.reports.figures import GroupFigures

    width = len(unit.path) + Unit.steplen
    groups = {}
    total = GroupFigures(unit=unit)
    for row in member_figures(members=members_of_unit(unit=unit), filters=filters, today=TODAY):
        key = row.unit_path[:width] if len(row.unit_path) >= width else "own"
        groups.setdefault(key, GroupFigures(unit=None)).add(row)
        total.add(row)
    return groups, total


FIELDS = (
    "members",
    "met_target",
    "hours_total",
    "median_hours",
    "average_hours",
    "required_on_time",
    "required_late",
    "required_overdue",
    "required_open",
    "quizzes_taken",
    "quizzes_passed",
)


@pytest.mark.parametrize(
    "filters",
    [
        ReportFilters.for_year(YEAR),
        ReportFilters(year=YEAR, date_from=date(YEAR, 2, 1), date_to=date(YEAR, 4, 30)),
        ReportFilters.for_year(YEAR - 1),
    ],
    ids=["year", "spring", "last-year"],
)
def test_overview_equals_the_sum_of_member_figures(report_world, filters):
    from exams.quizzes.models import QuizResult
    from tests.exams.quizzes.conftest import make_quiz

    w = report_world
    quiz = make_quiz(w.course, questions=[])
    for user, passed in ((w.a1, True), (w.a2, False), (w.w1, True)):
        QuizResult.objects.create(
            quiz=quiz,
            user=user,
            percent=Decimal("80" if passed else "20"),
            passed=passed,
            attempts=1,
        )
    for unit in (w.province, w.east, w.branch_a, w.west):
        overview = unit_overview(user=w.manager_province, unit=unit, filters=filters, today=TODAY)
        groups, total = _brute_force_groups(unit=unit, filters=filters)
        for field in FIELDS:
            assert getattr(overview.total, field) == getattr(total, field), (unit, field)
        for group in overview.rows:
            key = "own" if group.own_members else group.unit.path
            expected = groups.get(key)
            for field in FIELDS:
                want = (
                    getattr(expected, field) if expected else getattr(type(group)(unit=None), field)
                )
                assert getattr(group, field) == want, (unit, key, field)
