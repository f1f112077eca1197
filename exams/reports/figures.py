"""The figures of the training reports, per member and per unit.

Every number that the overview, the member list, the exports, the API and the scheduled
mail show is computed here, and a member's hours are always
``exams.hours.selectors.members_hours`` (the same sum as the member's own dashboard), so
no two places can disagree. Scope comes from ``cms.selectors`` only.

A report runs a fixed number of queries whatever the number of members or child units:
the members, the explicit targets, the hours (twice when filtered), the required courses
and the quiz results, each one grouped query; the rest is arithmetic in Python.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, TypeVar

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from cms.models import MemberProfile, Unit
from cms.selectors import unit_ancestor_paths, units_visible_to, user_is_manager, user_unit
from courses.models import CoursePage, Enrolment, LessonPage
from exams.hours.selectors import members_hours
from exams.quizzes.models import QuizResult

from .filters import ReportFilters

User = AbstractBaseUser | AnonymousUser

G = TypeVar("G")

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
TENTH = Decimal("0.1")

# The same test as ``Enrolment.is_required``, in SQL.
REQUIRED = Q(source=Enrolment.Source.ASSIGNMENT, assignment__isnull=False)


# --- scope ---------------------------------------------------------------------------


def report_units_for(*, user: User) -> QuerySet[Unit]:
    """The units whose reports ``user`` may open: a manager's subtree, every unit for a
    superuser, none for anyone else (members see only their own record)."""
    if not user.is_authenticated:
        return Unit.objects.none()
    if user.is_superuser or user_is_manager(user=user):
        return units_visible_to(user=user)
    return Unit.objects.none()


def user_may_see_reports(*, user: User) -> bool:
    return report_units_for(user=user).exists()


def report_root(*, user: User) -> Unit | None:
    """Where the user's reports start: the unit a manager manages; a superuser's first root."""
    if not user.is_authenticated:
        return None
    if user.is_superuser:
        return Unit.get_first_root_node()
    return user_unit(user=user) if user_is_manager(user=user) else None


def report_unit(*, user: User, unit_id: int) -> Unit:
    """A unit in the user's report scope; ``Unit.DoesNotExist`` otherwise (a 404)."""
    return report_units_for(user=user).get(pk=unit_id)


def report_breadcrumbs(*, user: User, unit: Unit) -> list[Unit]:
    """The unit's ancestors the user may see, top first, then the unit itself."""
    paths = unit_ancestor_paths(unit=unit)
    return list(report_units_for(user=user).filter(path__in=paths).order_by("depth"))


# --- per member ----------------------------------------------------------------------


@dataclass(slots=True)
class MemberFigures:
    user_id: int
    username: str
    full_name: str
    unit_id: int
    unit_path: str
    unit_name: str
    target: Decimal
    year_hours: Decimal = ZERO
    hours: Decimal = ZERO
    required_on_time: int = 0
    required_late: int = 0
    required_overdue: int = 0
    required_open: int = 0
    quizzes_taken: int = 0
    quizzes_passed: int = 0

    @property
    def met_target(self) -> bool:
        return self.year_hours >= self.target

    @property
    def shortfall(self) -> Decimal:
        return max(ZERO, self.target - self.year_hours)

    @property
    def required_total(self) -> int:
        return (
            self.required_on_time + self.required_late + self.required_overdue + self.required_open
        )


def _targets_by_path() -> Callable[[str], Decimal]:
    """A unit path → its yearly target (own, else nearest ancestor's, else the default),
    as ``cms.selectors.unit_yearly_target`` decides it, from one query."""
    explicit = dict(
        Unit.objects.exclude(yearly_target_hours=None).values_list("path", "yearly_target_hours")
    )
    default = Decimal(settings.DEFAULT_YEARLY_STUDY_HOURS)
    step = Unit.steplen
    cache: dict[str, Decimal] = {}

    def target(path: str) -> Decimal:
        if path not in cache:
            cache[path] = next(
                (
                    explicit[path[:end]]
                    for end in range(len(path), 0, -step)
                    if path[:end] in explicit
                ),
                default,
            )
        return cache[path]

    return target


def filtered_courses(*, filters: ReportFilters) -> tuple[list[int], list[int]] | None:
    """The courses and lessons a course or topic filter keeps; ``None`` without one."""
    if filters.course_id is None and filters.topic_id is None:
        return None
    courses = CoursePage.objects.all()
    if filters.course_id is not None:
        courses = courses.filter(pk=filters.course_id)
    if filters.topic_id is not None:
        courses = courses.filter(topic_id=filters.topic_id)
    course_paths = list(courses.values_list("pk", "path"))
    if not course_paths:
        return [], []
    under = Q()
    for _pk, path in course_paths:
        under |= Q(path__startswith=path)
    lessons = list(LessonPage.objects.filter(under).values_list("pk", flat=True))
    return [pk for pk, _path in course_paths], lessons


def _required_counts(
    *, whose: Q, filters: ReportFilters, courses: list[int] | None, today: date, by: str
) -> dict[int, tuple[int, int, int, int]]:
    """Required courses due in the period of the members ``whose`` selects (a condition
    on ``user``), per ``by`` (``"user"``: per member; ``"user__profile__unit"``: per
    unit): (on time, late, overdue, not yet due)."""
    enrolments = Enrolment.objects.filter(
        REQUIRED,
        whose,
        course__live=True,
        due_date__gte=filters.date_from,
        due_date__lte=filters.date_to,
    )
    if courses is not None:
        enrolments = enrolments.filter(course__in=courses)
    done = Q(completed_at__isnull=False)
    rows = (
        enrolments.annotate(done_day=TruncDate("completed_at"))
        .values(by)
        .annotate(
            on_time=Count("pk", filter=done & Q(done_day__lte=F("due_date"))),
            late=Count("pk", filter=done & Q(done_day__gt=F("due_date"))),
            overdue=Count("pk", filter=Q(completed_at__isnull=True, due_date__lt=today)),
            open=Count("pk", filter=Q(completed_at__isnull=True, due_date__gte=today)),
        )
        .values_list(by, "on_time", "late", "overdue", "open")
    )
    return {key: (a, b, c, d) for key, a, b, c, d in rows}


def _local_day_bounds(*, date_from: date, date_to: date) -> tuple[datetime, datetime]:
    """The local midnight that starts ``date_from`` and the one after ``date_to``: a range
    on the column itself, which the database can estimate (``__date`` it cannot)."""
    zone = timezone.get_current_timezone()
    start = datetime.combine(date_from, time.min, tzinfo=zone)
    return start, datetime.combine(date_to + timedelta(days=1), time.min, tzinfo=zone)


def _quiz_counts(
    *, whose: Q, filters: ReportFilters, lessons: list[int] | None, by: str
) -> dict[int, tuple[int, int]]:
    """Per ``by``: quizzes with a finished attempt graded in the period, and those passed
    (``whose`` as for ``_required_counts``)."""
    start, end = _local_day_bounds(date_from=filters.date_from, date_to=filters.date_to)
    results = QuizResult.objects.filter(
        whose, attempts__gt=0, updated_at__gte=start, updated_at__lt=end
    )
    if lessons is not None:
        results = results.filter(quiz_id__in=lessons)
    rows = (
        results.values(by)
        .annotate(taken=Count("pk"), passed=Count("pk", filter=Q(passed=True)))
        .values_list(by, "taken", "passed")
    )
    return {key: (taken, passed) for key, taken, passed in rows}


def _hours_pair(
    *, user_ids: QuerySet, filters: ReportFilters, scope: tuple[list[int], list[int]] | None
) -> tuple[dict[int, Decimal], dict[int, Decimal]]:
    """(whole year's hours, hours within the filters) per member, from ``members_hours``."""
    year_hours = members_hours(user_ids=user_ids, year=filters.year)
    if filters.whole_year:
        return year_hours, year_hours
    return year_hours, members_hours(
        user_ids=user_ids,
        year=filters.year,
        date_from=filters.date_from,
        date_to=filters.date_to,
        course_ids=scope[0] if scope else None,
        lesson_ids=scope[1] if scope else None,
    )


def member_figures(
    *, members: QuerySet[MemberProfile], filters: ReportFilters, today: date | None = None
) -> list[MemberFigures]:
    """The figures of each member in ``members`` (already scoped by the caller), ordered
    by unit and name."""
    today = today or timezone.localdate()
    target = _targets_by_path()
    rows = [
        MemberFigures(
            user_id=user_id,
            username=username,
            full_name=full_name,
            unit_id=unit_id,
            unit_path=unit_path,
            unit_name=unit_name,
            target=target(unit_path),
        )
        for user_id, username, full_name, unit_id, unit_path, unit_name in members.order_by(
            "unit__path", "full_name", "user_id"
        ).values_list(
            "user_id", "user__username", "full_name", "unit_id", "unit__path", "unit__name"
        )
    ]
    user_ids = members.values("user_id")
    scope = filtered_courses(filters=filters)
    year_hours, hours = _hours_pair(user_ids=user_ids, filters=filters, scope=scope)
    courses, lessons = (scope[0], scope[1]) if scope else (None, None)
    whose = Q(user__in=user_ids)
    required = _required_counts(
        whose=whose, filters=filters, courses=courses, today=today, by="user"
    )
    quizzes = _quiz_counts(whose=whose, filters=filters, lessons=lessons, by="user")
    for row in rows:
        row.year_hours = year_hours.get(row.user_id, ZERO)
        row.hours = hours.get(row.user_id, ZERO)
        (
            row.required_on_time,
            row.required_late,
            row.required_overdue,
            row.required_open,
        ) = required.get(row.user_id, (0, 0, 0, 0))
        row.quizzes_taken, row.quizzes_passed = quizzes.get(row.user_id, (0, 0))
    return rows


def members_of_unit(*, unit: Unit) -> QuerySet[MemberProfile]:
    """Members of the unit and of every unit below it."""
    return MemberProfile.objects.filter(unit__path__startswith=unit.path)


# --- per unit ------------------------------------------------------------------------


def _percent(part: int | Decimal, whole: int | Decimal) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(TENTH, rounding=ROUND_HALF_UP)


@dataclass
class GroupFigures:
    """A group of members: a child unit's subtree, the unit's own members, or everyone."""

    unit: Unit | None
    own_members: bool = False
    members: int = 0
    met_target: int = 0
    hours_total: Decimal = ZERO
    required_on_time: int = 0
    required_late: int = 0
    required_overdue: int = 0
    required_open: int = 0
    quizzes_taken: int = 0
    quizzes_passed: int = 0
    has_children: bool = False
    _hours: list[Decimal] = field(default_factory=list, repr=False)

    def add(self, row: MemberFigures) -> None:
        self.add_member(hours=row.hours, met=row.met_target)
        self.add_counts(
            required=(
                row.required_on_time,
                row.required_late,
                row.required_overdue,
                row.required_open,
            ),
            quizzes=(row.quizzes_taken, row.quizzes_passed),
        )

    def merge(self, other: GroupFigures) -> None:
        """Add another group's members and counts to this one."""
        self.members += other.members
        self.met_target += other.met_target
        self.hours_total += other.hours_total
        self._hours.extend(other._hours)
        self.add_counts(
            required=(
                other.required_on_time,
                other.required_late,
                other.required_overdue,
                other.required_open,
            ),
            quizzes=(other.quizzes_taken, other.quizzes_passed),
        )

    def add_member(self, *, hours: Decimal, met: bool) -> None:
        self.members += 1
        self.met_target += met
        self.hours_total += hours
        self._hours.append(hours)

    def add_counts(
        self, *, required: tuple[int, int, int, int], quizzes: tuple[int, int] = (0, 0)
    ) -> None:
        self.required_on_time += required[0]
        self.required_late += required[1]
        self.required_overdue += required[2]
        self.required_open += required[3]
        self.quizzes_taken += quizzes[0]
        self.quizzes_passed += quizzes[1]

    @property
    def percent_met(self) -> Decimal | None:
        return _percent(self.met_target, self.members)

    @property
    def behind_target(self) -> int:
        return self.members - self.met_target

    @property
    def average_hours(self) -> Decimal | None:
        if not self.members:
            return None
        return (self.hours_total / self.members).quantize(CENT, rounding=ROUND_HALF_UP)

    @property
    def median_hours(self) -> Decimal | None:
        if not self._hours:
            return None
        return Decimal(statistics.median(self._hours)).quantize(CENT, rounding=ROUND_HALF_UP)

    @property
    def required_total(self) -> int:
        return (
            self.required_on_time + self.required_late + self.required_overdue + self.required_open
        )

    @property
    def quiz_pass_rate(self) -> Decimal | None:
        return _percent(self.quizzes_passed, self.quizzes_taken)


@dataclass
class UnitOverview:
    unit: Unit
    filters: ReportFilters
    breadcrumbs: list[Unit]
    rows: list[GroupFigures]
    total: GroupFigures


SORT_KEYS: dict[str, Callable[[GroupFigures], object]] = {
    "unit": lambda g: g.unit.name if g.unit else "",
    "members": lambda g: g.members,
    "met_target": lambda g: g.met_target,
    "percent_met": lambda g: g.percent_met,
    "behind_target": lambda g: g.behind_target,
    "average_hours": lambda g: g.average_hours,
    "median_hours": lambda g: g.median_hours,
    "required_on_time": lambda g: g.required_on_time,
    "required_late": lambda g: g.required_late,
    "required_overdue": lambda g: g.required_overdue,
    "quiz_pass_rate": lambda g: g.quiz_pass_rate,
}


def sort_groups(rows: Iterable[GroupFigures], *, key: str, descending: bool) -> list[GroupFigures]:
    """Rows sorted by a column of ``SORT_KEYS``; groups with no figure go last."""
    get = SORT_KEYS[key]
    present = [r for r in rows if get(r) is not None]
    missing = [r for r in rows if get(r) is None]
    return sorted(present, key=get, reverse=descending) + missing


def unit_overview(
    *,
    user: User,
    unit: Unit,
    filters: ReportFilters,
    sort: str = "percent_met",
    descending: bool = False,
    today: date | None = None,
) -> UnitOverview:
    """The unit's members in total, and per child unit (its whole subtree) plus a row for
    the members directly in the unit. ``unit`` must come from ``report_unit``.

    The same figures as ``member_figures`` (the same hours, targets, required courses and
    quiz results, a test holds them equal), counted per unit rather than per member: at
    the root of 100,000 members, building a row per member cost seconds
    (bench/README.md, "training reports").
    """
    today = today or timezone.localdate()
    children = list(unit.get_children())
    groups = {
        child.path: GroupFigures(unit=child, has_children=not child.is_leaf()) for child in children
    }
    own = GroupFigures(unit=unit, own_members=True)
    total = GroupFigures(unit=unit, has_children=bool(children))
    width = len(unit.path) + Unit.steplen
    target = _targets_by_path()
    group_of: dict[int, GroupFigures] = {}
    target_of: dict[int, Decimal] = {}
    for unit_id, path in Unit.objects.filter(path__startswith=unit.path).values_list("pk", "path"):
        group_of[unit_id] = groups.get(path[:width], own) if len(path) >= width else own
        target_of[unit_id] = target(path)

    members = members_of_unit(unit=unit)
    user_ids = members.values("user_id")
    scope = filtered_courses(filters=filters)
    year_hours, hours = _hours_pair(user_ids=user_ids, filters=filters, scope=scope)
    for user_id, unit_id in members.values_list("user_id", "unit_id"):
        group_of[unit_id].add_member(
            hours=hours.get(user_id, ZERO),
            met=year_hours.get(user_id, ZERO) >= target_of[unit_id],
        )
    # One join chain (enrolment → member → unit) both filters and groups.
    by_unit = "user__profile__unit"
    whose = Q(user__profile__unit__path__startswith=unit.path)
    courses, lessons = (scope[0], scope[1]) if scope else (None, None)
    required = _required_counts(
        whose=whose, filters=filters, courses=courses, today=today, by=by_unit
    )
    quizzes = _quiz_counts(whose=whose, filters=filters, lessons=lessons, by=by_unit)
    for unit_id in required.keys() | quizzes.keys():
        group_of[unit_id].add_counts(
            required=required.get(unit_id, (0, 0, 0, 0)), quizzes=quizzes.get(unit_id, (0, 0))
        )
    for group in [*groups.values(), own]:
        total.merge(group)
    rows = list(groups.values())
    if own.members:
        rows.append(own)
    return UnitOverview(
        unit=unit,
        filters=filters,
        breadcrumbs=report_breadcrumbs(user=user, unit=unit),
        rows=sort_groups(rows, key=sort, descending=descending),
        total=total,
    )


def rows_by_child_unit(
    *, unit: Unit, rows: Iterable[Any], group: Callable[..., G]
) -> tuple[list[G], G, G]:
    """Add each row (anything with a ``unit_path``) to the group of the child unit of
    ``unit`` it lies under, or to the unit's own group, and to a total; ``group`` makes an
    empty group (``unit=``, ``own_members=``, ``has_children=``). Returns (the child
    units' groups, the own group, the total)."""
    children = list(unit.get_children())
    groups = {child.path: group(unit=child, has_children=not child.is_leaf()) for child in children}
    own = group(unit=unit, own_members=True)
    total = group(unit=unit, has_children=bool(children))
    width = len(unit.path) + Unit.steplen
    for row in rows:
        total.add(row)
        child = groups.get(row.unit_path[:width]) if len(row.unit_path) >= width else None
        (child or own).add(row)
    return list(groups.values()), own, total


def unit_path_names(*, units: Iterable[str]) -> dict[str, str]:
    """Unit path → "Province / East district / Branch A" (for member lists and exports)."""
    paths = set(units)
    wanted = {p[:end] for p in paths for end in range(Unit.steplen, len(p) + 1, Unit.steplen)}
    names = dict(Unit.objects.filter(path__in=wanted).values_list("path", "name"))
    step = Unit.steplen
    return {
        p: " / ".join(names.get(p[:end], "?") for end in range(step, len(p) + 1, step))
        for p in paths
    }
