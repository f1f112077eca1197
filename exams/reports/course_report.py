"""The course report: who in a unit's subtree is enrolled in a course, and how far they got.

Each enrolled member is in exactly one state, decided here and nowhere else:

- *completed*: the enrolment has a completion date;
- *overdue*: required (by an assignment), past its due date, not completed — the same
  test as ``figures.member_figures``' ``required_overdue``;
- *in progress*: started (a lesson of the course in progress or done), not the above;
- *not started*: none of the above.

Unlike the overview, this is the course's state today, whatever the year: an enrolment
counts here whenever it was made or is due. A progress percentage is
``courses.selectors.course_percent`` (the member's own figure on the course page).

Three queries whatever the number of units and members: the enrolments with their
members, the course's required lessons, the members' lesson progress.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.db.models import BooleanField, Count, ExpressionWrapper, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from cms.models import Unit
from courses.models import CoursePage, Enrolment, LessonProgress
from courses.selectors import course_lessons, course_percent

from .figures import (
    REQUIRED,
    User,
    _percent,
    members_of_unit,
    report_breadcrumbs,
    rows_by_child_unit,
    unit_path_names,
)
from .tables import BOOL, INT, PERCENT, TEXT, BadReportRequest, Column, Table, register, unit_from

COMPLETED, OVERDUE, IN_PROGRESS, NOT_STARTED = "completed", "overdue", "in_progress", "not_started"
STATE_LABELS = {
    NOT_STARTED: _("Not started"),
    IN_PROGRESS: _("In progress"),
    OVERDUE: _("Overdue"),
    COMPLETED: _("Completed"),
}
STATES = tuple(STATE_LABELS)


@dataclass(slots=True)
class CourseMemberRow:
    user_id: int
    username: str
    full_name: str
    unit_id: int
    unit_path: str
    unit_name: str
    state: str
    percent: int
    required: bool
    enrolled_at: datetime
    due_date: date | None
    completed_at: datetime | None

    @property
    def state_label(self) -> str:
        return str(STATE_LABELS[self.state])


@dataclass
class CourseGroup:
    """The enrolled members of a child unit's subtree, of the unit itself, or of all."""

    unit: Unit
    own_members: bool = False
    has_children: bool = False
    not_started: int = 0
    in_progress: int = 0
    overdue: int = 0
    completed: int = 0
    required: int = 0

    def add(self, row: CourseMemberRow) -> None:
        setattr(self, row.state, getattr(self, row.state) + 1)
        self.required += row.required

    @property
    def enrolled(self) -> int:
        return self.not_started + self.in_progress + self.overdue + self.completed

    @property
    def percent_completed(self) -> Decimal | None:
        return _percent(self.completed, self.enrolled)


@dataclass
class CourseReport:
    course: CoursePage
    unit: Unit
    breadcrumbs: list[Unit]
    rows: list[CourseGroup]
    total: CourseGroup
    lessons_required: int = 0
    members: list[CourseMemberRow] = field(default_factory=list)


def report_course(*, course_id: int) -> CoursePage:
    """A live course; ``CoursePage.DoesNotExist`` otherwise (a 404)."""
    return CoursePage.objects.live().get(pk=course_id)


def _enrolments(*, course: CoursePage, unit: Unit) -> QuerySet[Enrolment]:
    return Enrolment.objects.filter(
        course=course, user__in=members_of_unit(unit=unit).values("user_id")
    )


def course_member_rows(
    *, course: CoursePage, unit: Unit, today: date | None = None
) -> list[CourseMemberRow]:
    """Every member of ``unit``'s subtree enrolled in ``course``, ordered by unit and name.
    ``unit`` must come from ``figures.report_unit``."""
    today = today or timezone.localdate()
    enrolments = list(
        _enrolments(course=course, unit=unit)
        .annotate(is_required=ExpressionWrapper(REQUIRED, output_field=BooleanField()))
        .order_by("user__profile__unit__path", "user__profile__full_name", "user_id")
        .values_list(
            "user_id",
            "user__username",
            "user__profile__full_name",
            "user__profile__unit_id",
            "user__profile__unit__path",
            "user__profile__unit__name",
            "is_required",
            "enrolled_at",
            "due_date",
            "completed_at",
        )
    )
    if not enrolments:
        return []
    required_lessons = course_lessons(course=course).filter(required_for_completion=True)
    lessons_required = required_lessons.count()
    progress = {
        user_id: (started, done)
        for user_id, started, done in LessonProgress.objects.filter(
            user__in=_enrolments(course=course, unit=unit).values("user_id"),
            lesson__in=course_lessons(course=course).values("pk"),
        )
        .values("user")
        .annotate(
            started=Count("pk", filter=~Q(state=LessonProgress.State.NOT_STARTED)),
            done=Count(
                "pk",
                filter=Q(
                    state=LessonProgress.State.DONE,
                    lesson__in=required_lessons.values("pk"),
                ),
            ),
        )
        .values_list("user", "started", "done")
    }
    rows = []
    for (
        user_id,
        username,
        name,
        unit_id,
        path,
        unit_name,
        required,
        enrolled_at,
        due,
        done_at,
    ) in enrolments:
        started, done = progress.get(user_id, (0, 0))
        if done_at is not None:
            state = COMPLETED
        elif required and due is not None and due < today:
            state = OVERDUE
        elif started:
            state = IN_PROGRESS
        else:
            state = NOT_STARTED
        rows.append(
            CourseMemberRow(
                user_id=user_id,
                username=username,
                full_name=name,
                unit_id=unit_id,
                unit_path=path,
                unit_name=unit_name,
                state=state,
                percent=course_percent(
                    enrolment=Enrolment(completed_at=done_at),
                    done=done,
                    required=lessons_required,
                ),
                required=bool(required),
                enrolled_at=enrolled_at,
                due_date=due,
                completed_at=done_at,
            )
        )
    return rows


def course_report(
    *,
    user: User,
    course: CoursePage,
    unit: Unit,
    today: date | None = None,
    with_members: bool = False,
) -> CourseReport:
    """The course's figures for each child unit of ``unit`` (its whole subtree), a row for
    the members directly in ``unit``, and a total. ``unit`` must come from
    ``figures.report_unit``."""
    members = course_member_rows(course=course, unit=unit, today=today)
    rows, own, total = rows_by_child_unit(unit=unit, rows=members, group=CourseGroup)
    if own.enrolled:
        rows.append(own)
    return CourseReport(
        course=course,
        unit=unit,
        breadcrumbs=report_breadcrumbs(user=user, unit=unit),
        rows=rows,
        total=total,
        members=members if with_members else [],
    )


@dataclass(frozen=True)
class CourseSummary:
    course_id: int
    title: str
    enrolled: int
    completed: int
    overdue: int

    @property
    def percent_completed(self) -> Decimal | None:
        return _percent(self.completed, self.enrolled)


def course_summaries(*, unit: Unit, today: date | None = None) -> list[CourseSummary]:
    """The live courses with enrolments in ``unit``'s subtree, with their totals (the same
    states as ``course_member_rows``), by title. One query."""
    today = today or timezone.localdate()
    rows = (
        Enrolment.objects.filter(
            course__live=True, user__in=members_of_unit(unit=unit).values("user_id")
        )
        .values("course", "course__title")
        .annotate(
            enrolled=Count("pk"),
            completed=Count("pk", filter=Q(completed_at__isnull=False)),
            overdue=Count("pk", filter=REQUIRED & Q(completed_at__isnull=True, due_date__lt=today)),
        )
        .order_by("course__title", "course")
        .values_list("course", "course__title", "enrolled", "completed", "overdue")
    )
    return [CourseSummary(*row) for row in rows]


# --- report tables (screens, exports, the API) ------------------------------------------


def course_from(params: Mapping[str, str]) -> CoursePage:
    """The course of the ``course`` parameter (a 404 when there is no such live course)."""
    raw = params.get("course", "")
    if not str(raw).isdigit() or len(str(raw)) > 12:
        raise BadReportRequest(gettext("Choose a course."))
    return report_course(course_id=int(raw))


def state_from(params: Mapping[str, str]) -> str | None:
    state = params.get("state") or None
    if state is not None and state not in STATES:
        raise BadReportRequest(gettext("Unknown state."))
    return state


COURSE_COLUMNS = [
    Column("unit_path", _("Unit path")),
    Column("unit", _("Unit")),
    Column("enrolled", _("Enrolled"), INT),
    Column("not_started", _("Not started"), INT),
    Column("in_progress", _("In progress"), INT),
    Column("overdue", _("Overdue"), INT),
    Column("completed", _("Completed"), INT),
    Column("percent_completed", _("Completed (%)"), PERCENT),
]


def group_name(group: CourseGroup, *, total: bool = False) -> str:
    if total:
        return gettext("Total")
    if group.own_members:
        return gettext("%(unit)s (own members)") % {"unit": group.unit.name}
    return group.unit.name


def course_rows(report: CourseReport) -> list[list]:
    groups = [*report.rows, report.total]
    paths = unit_path_names(units=[g.unit.path for g in groups])
    return [
        [
            paths[g.unit.path],
            group_name(g, total=g is report.total),
            g.enrolled,
            g.not_started,
            g.in_progress,
            g.overdue,
            g.completed,
            None if g.percent_completed is None else float(g.percent_completed),
        ]
        for g in groups
    ]


@register("course")
def course_table(user: User, params: Mapping[str, str]) -> Table:
    """A course's states per child unit of ``unit`` and in total."""
    unit = unit_from(user, params)
    course = course_from(params)
    report = course_report(user=user, course=course, unit=unit)
    return Table(
        name="course",
        title=gettext("Course %(course)s: %(unit)s") % {"course": course.title, "unit": unit.name},
        columns=COURSE_COLUMNS,
        rows=course_rows(report),
    )


COURSE_MEMBER_COLUMNS = [
    Column("unit_path", _("Unit path")),
    Column("username", _("Username")),
    Column("full_name", _("Full name")),
    Column("state", _("State")),
    Column("percent", _("Progress (%)"), PERCENT),
    Column("required", _("Required"), BOOL),
    Column("due_date", _("Due date"), TEXT),
    Column("completed_at", _("Completed at"), TEXT),
]


def course_member_table_rows(rows: list[CourseMemberRow]) -> list[list]:
    paths = unit_path_names(units={r.unit_path for r in rows})
    return [
        [
            paths[r.unit_path],
            r.username,
            r.full_name,
            r.state_label,
            r.percent,
            r.required,
            r.due_date.isoformat() if r.due_date else "",
            timezone.localtime(r.completed_at).strftime("%Y-%m-%d %H:%M") if r.completed_at else "",
        ]
        for r in rows
    ]


@register("course_members")
def course_members_table(user: User, params: Mapping[str, str]) -> Table:
    """The enrolled members of ``unit``'s subtree (``state``: only those in that state;
    ``own=1``: only the members directly in ``unit``)."""
    unit = unit_from(user, params)
    course = course_from(params)
    state = state_from(params)
    rows = course_member_rows(course=course, unit=unit)
    if state is not None:
        rows = [r for r in rows if r.state == state]
    if params.get("own") == "1":
        rows = [r for r in rows if r.unit_id == unit.pk]
    return Table(
        name="course_members",
        title=gettext("Course %(course)s: members of %(unit)s")
        % {"course": course.title, "unit": unit.name},
        columns=COURSE_MEMBER_COLUMNS,
        rows=course_member_table_rows(rows),
    )
