"""A small organisation with hours, required courses and quiz results for the reports.

province (target 32)
├── east district ── e0 (member directly in it), manager_east
│   ├── branch A ── a1 (40 h), a2 (10 h), manager_a
│   └── branch B ── b1 (32 h), manager_b
└── west district (target 20)
    └── west branch ── w1 (5 h), manager_west
"""

from datetime import UTC, date, datetime, time
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.utils import translation

from cms import roles
from courses.models import CourseAssignment, Enrolment
from exams.hours.models import StudyHourEntry
from tests.exams.conftest import make_course
from tests.factories import make_member, make_unit

YEAR = 2026
TODAY = date(2026, 6, 30)


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def credit(user, hours: str, day: date = date(YEAR, 3, 1), *, key: str | None = None, **fields):
    """A ledger line as the ledger services write it (source and key are what reports read)."""
    return StudyHourEntry.objects.create(
        user=user,
        date=day,
        year=day.year,
        hours=Decimal(hours),
        source=fields.pop("source", StudyHourEntry.Source.CORRECTION),  # kept by recomputes
        key=key or f"test:{user.pk}:{StudyHourEntry.objects.count()}",
        rule_code="test",
        **fields,
    )


def require(user, course, *, due: date, completed: date | None = None, by=None):
    """An enrolment required by an assignment of the member's unit."""
    assignment, _ = CourseAssignment.objects.get_or_create(
        course=course,
        unit=user.profile.unit,
        withdrawn_at=None,
        defaults={"due_date": due, "assigned_by": by},
    )
    return Enrolment.objects.create(
        user=user,
        course=course,
        source=Enrolment.Source.ASSIGNMENT,
        assignment=assignment,
        due_date=due,
        completed_at=None if completed is None else datetime.combine(completed, time(4), UTC),
    )


@pytest.fixture
def report_world(db):
    province = make_unit("Province", code="PROV", yearly_target_hours=32)
    east = make_unit("East district", parent=province, code="EAST")
    west = make_unit("West district", parent=province, code="WEST", yearly_target_hours=20)
    branch_a = make_unit("Branch A", parent=east, code="BR-A")
    branch_b = make_unit("Branch B", parent=east, code="BR-B")
    west_branch = make_unit("West branch", parent=west, code="BR-W")
    w = SimpleNamespace(
        province=province,
        east=east,
        west=west,
        branch_a=branch_a,
        branch_b=branch_b,
        west_branch=west_branch,
        e0=make_member(east, username="e0"),
        a1=make_member(branch_a, username="a1"),
        a2=make_member(branch_a, username="a2"),
        b1=make_member(branch_b, username="b1"),
        w1=make_member(west_branch, username="w1"),
        manager_province=make_member(province, roles.MANAGERS, username="manager_province"),
        manager_east=make_member(east, roles.MANAGERS, username="manager_east"),
        manager_a=make_member(branch_a, roles.MANAGERS, username="manager_a"),
        manager_b=make_member(branch_b, roles.MANAGERS, username="manager_b"),
        manager_west=make_member(west_branch, roles.MANAGERS, username="manager_west"),
        trainer=make_member(branch_a, roles.TRAINERS, username="trainer_a"),
    )
    credit(w.a1, "30.00")
    credit(w.a1, "10.00", date(YEAR, 9, 1))
    credit(w.a2, "10.00")
    credit(w.b1, "32.00", date(YEAR, 2, 1))
    credit(w.w1, "5.00")
    credit(w.w1, "50.00", date(YEAR - 1, 5, 1))  # last year: not this year's figure
    w.course = make_course()
    w.other_course = make_course()
    require(w.a1, w.course, due=date(YEAR, 5, 1), completed=date(YEAR, 4, 20))  # on time
    require(w.a2, w.course, due=date(YEAR, 5, 1), completed=date(YEAR, 5, 10))  # late
    require(w.b1, w.course, due=date(YEAR, 5, 1))  # overdue on TODAY
    require(w.w1, w.other_course, due=date(YEAR, 9, 1))  # still open on TODAY
    return w
