"""The quiz report: score distribution and pass rate of a quiz per unit.

A member counts in a quiz when their result (``QuizResult``: their grade by the quiz's
grading method, over their finished attempts) has at least one attempt and was graded in
the report's period — the same test as ``figures.member_figures``' quiz figures, so the
overview filtered on the quiz's course and this report agree. The bands are
``exams.quizzes.statistics``' (the quiz statistics screen's), ten of 10 %.

Two queries whatever the number of units and members: the results with their members,
and the unit's children.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from cms.models import Unit
from exams.quizzes.models import QuizLessonPage, QuizResult
from exams.quizzes.statistics import score_bands, score_distribution

from .figures import (
    CENT,
    User,
    _percent,
    members_of_unit,
    report_breadcrumbs,
    rows_by_child_unit,
    unit_path_names,
)
from .filters import ReportFilters
from .tables import (
    BOOL,
    INT,
    PERCENT,
    TEXT,
    BadReportRequest,
    Column,
    Table,
    filters_from,
    register,
    unit_from,
)

BANDS = 10


@dataclass(slots=True)
class QuizMemberRow:
    user_id: int
    username: str
    full_name: str
    unit_id: int
    unit_path: str
    unit_name: str
    percent: Decimal
    passed: bool
    attempts: int
    first_passed_at: datetime | None
    graded_at: datetime


@dataclass
class QuizGroup:
    """The members with a result of a child unit's subtree, of the unit itself, or of all."""

    unit: Unit
    own_members: bool = False
    has_children: bool = False
    taken: int = 0
    passed: int = 0
    _percents: list[Decimal] = field(default_factory=list, repr=False)

    def add(self, row: QuizMemberRow) -> None:
        self.taken += 1
        self.passed += row.passed
        self._percents.append(row.percent)

    @property
    def failed(self) -> int:
        return self.taken - self.passed

    @property
    def pass_rate(self) -> Decimal | None:
        return _percent(self.passed, self.taken)

    @property
    def average_percent(self) -> Decimal | None:
        if not self._percents:
            return None
        return (sum(self._percents) / len(self._percents)).quantize(CENT, rounding=ROUND_HALF_UP)

    @property
    def distribution(self) -> list[int]:
        return score_distribution(self._percents, bins=BANDS)


@dataclass
class QuizReport:
    quiz: QuizLessonPage
    unit: Unit
    filters: ReportFilters
    breadcrumbs: list[Unit]
    rows: list[QuizGroup]
    total: QuizGroup
    members: list[QuizMemberRow] = field(default_factory=list)

    @property
    def bands(self) -> list[tuple[Decimal, Decimal]]:
        return score_bands(BANDS)


def report_quiz(*, quiz_id: int) -> QuizLessonPage:
    """A live quiz; ``QuizLessonPage.DoesNotExist`` otherwise (a 404)."""
    return QuizLessonPage.objects.live().get(pk=quiz_id)


def quiz_member_rows(
    *, quiz: QuizLessonPage, unit: Unit, filters: ReportFilters
) -> list[QuizMemberRow]:
    """The members of ``unit``'s subtree with a result in ``quiz`` graded in the period,
    ordered by unit and name. ``unit`` must come from ``figures.report_unit``."""
    results = QuizResult.objects.filter(
        quiz=quiz,
        user__in=members_of_unit(unit=unit).values("user_id"),
        attempts__gt=0,
        updated_at__date__gte=filters.date_from,
        updated_at__date__lte=filters.date_to,
    ).order_by("user__profile__unit__path", "user__profile__full_name", "user_id")
    return [
        QuizMemberRow(*row)
        for row in results.values_list(
            "user_id",
            "user__username",
            "user__profile__full_name",
            "user__profile__unit_id",
            "user__profile__unit__path",
            "user__profile__unit__name",
            "percent",
            "passed",
            "attempts",
            "first_passed_at",
            "updated_at",
        )
    ]


def quiz_report(
    *,
    user: User,
    quiz: QuizLessonPage,
    unit: Unit,
    filters: ReportFilters,
    with_members: bool = False,
) -> QuizReport:
    """The quiz's figures for each child unit of ``unit`` (its whole subtree), a row for
    the members directly in ``unit``, and a total."""
    members = quiz_member_rows(quiz=quiz, unit=unit, filters=filters)
    rows, own, total = rows_by_child_unit(unit=unit, rows=members, group=QuizGroup)
    if own.taken:
        rows.append(own)
    return QuizReport(
        quiz=quiz,
        unit=unit,
        filters=filters,
        breadcrumbs=report_breadcrumbs(user=user, unit=unit),
        rows=rows,
        total=total,
        members=members if with_members else [],
    )


@dataclass(frozen=True)
class QuizSummary:
    quiz_id: int
    title: str
    taken: int
    passed: int

    @property
    def pass_rate(self) -> Decimal | None:
        return _percent(self.passed, self.taken)


def quiz_summaries(*, unit: Unit, filters: ReportFilters) -> list[QuizSummary]:
    """The live quizzes with results in ``unit``'s subtree in the period, by title. One
    query."""
    rows = (
        QuizResult.objects.filter(
            quiz__live=True,
            user__in=members_of_unit(unit=unit).values("user_id"),
            attempts__gt=0,
            updated_at__date__gte=filters.date_from,
            updated_at__date__lte=filters.date_to,
        )
        .values("quiz", "quiz__title")
        .annotate(taken=Count("pk"), passed=Count("pk", filter=Q(passed=True)))
        .order_by("quiz__title", "quiz")
        .values_list("quiz", "quiz__title", "taken", "passed")
    )
    return [QuizSummary(*row) for row in rows]


# --- report tables (screens, exports, the API) ------------------------------------------


def quiz_from(params: Mapping[str, str]) -> QuizLessonPage:
    """The quiz of the ``quiz`` parameter (a 404 when there is no such live quiz)."""
    raw = str(params.get("quiz", ""))
    if not raw.isdigit() or len(raw) > 12:
        raise BadReportRequest(gettext("Choose a quiz."))
    return report_quiz(quiz_id=int(raw))


def band_label(low: Decimal, high: Decimal) -> str:
    return f"{low:.0f}–{high:.0f}"


def quiz_columns() -> list[Column]:
    return [
        Column("unit_path", _("Unit path")),
        Column("unit", _("Unit")),
        Column("taken", _("Members with a grade"), INT),
        Column("passed", _("Passed"), INT),
        Column("pass_rate", _("Pass rate (%)"), PERCENT),
        Column("average_percent", _("Average grade (%)"), PERCENT),
        *(
            Column(f"band_{i}", gettext("Grade %(band)s %%") % {"band": band_label(low, high)}, INT)
            for i, (low, high) in enumerate(score_bands(BANDS))
        ),
    ]


def group_name(group: QuizGroup, *, total: bool = False) -> str:
    if total:
        return gettext("Total")
    if group.own_members:
        return gettext("%(unit)s (own members)") % {"unit": group.unit.name}
    return group.unit.name


def _number(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def quiz_rows(report: QuizReport) -> list[list]:
    groups = [*report.rows, report.total]
    paths = unit_path_names(units=[g.unit.path for g in groups])
    return [
        [
            paths[g.unit.path],
            group_name(g, total=g is report.total),
            g.taken,
            g.passed,
            _number(g.pass_rate),
            _number(g.average_percent),
            *g.distribution,
        ]
        for g in groups
    ]


@register("quiz")
def quiz_table(user: User, params: Mapping[str, str]) -> Table:
    """A quiz's pass rate and score distribution per child unit of ``unit`` and in total."""
    unit = unit_from(user, params)
    quiz = quiz_from(params)
    report = quiz_report(user=user, quiz=quiz, unit=unit, filters=filters_from(params))
    return Table(
        name="quiz",
        title=gettext("Quiz %(quiz)s: %(unit)s, %(year)s")
        % {"quiz": quiz.title, "unit": unit.name, "year": report.filters.year},
        columns=quiz_columns(),
        rows=quiz_rows(report),
    )


QUIZ_MEMBER_COLUMNS = [
    Column("unit_path", _("Unit path")),
    Column("username", _("Username")),
    Column("full_name", _("Full name")),
    Column("percent", _("Grade (%)"), PERCENT),
    Column("passed", _("Passed"), BOOL),
    Column("attempts", _("Attempts"), INT),
    Column("first_passed_at", _("First passed at"), TEXT),
    Column("graded_at", _("Last graded at"), TEXT),
]


def _when(value: datetime | None) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def quiz_member_table_rows(rows: list[QuizMemberRow]) -> list[list]:
    paths = unit_path_names(units={r.unit_path for r in rows})
    return [
        [
            paths[r.unit_path],
            r.username,
            r.full_name,
            float(r.percent),
            r.passed,
            r.attempts,
            _when(r.first_passed_at),
            _when(r.graded_at),
        ]
        for r in rows
    ]


@register("quiz_members")
def quiz_members_table(user: User, params: Mapping[str, str]) -> Table:
    """The members of ``unit``'s subtree with a grade in the quiz (``passed=0`` or ``1``:
    only those who have not passed, or have; ``own=1``: only those directly in ``unit``)."""
    unit = unit_from(user, params)
    quiz = quiz_from(params)
    filters = filters_from(params)
    rows = quiz_member_rows(quiz=quiz, unit=unit, filters=filters)
    if params.get("passed") in {"0", "1"}:
        rows = [r for r in rows if r.passed == (params["passed"] == "1")]
    if params.get("own") == "1":
        rows = [r for r in rows if r.unit_id == unit.pk]
    return Table(
        name="quiz_members",
        title=gettext("Quiz %(quiz)s: members of %(unit)s, %(year)s")
        % {"quiz": quiz.title, "unit": unit.name, "year": filters.year},
        columns=QUIZ_MEMBER_COLUMNS,
        rows=quiz_member_table_rows(rows),
    )
