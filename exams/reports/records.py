"""A member's training record: their ledger, courses, quizzes and attended study sessions.

The same record is the member's own printable page and what their managers open; the
hours are ``exams.hours.selectors.members_hours`` and the courses ``member_learning``, the
figures of the member's own dashboard.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _

from cms.models import MemberProfile
from cms.selectors import members_visible_to, unit_yearly_target
from courses.selectors import LearningRow, member_learning
from exams.hours.models import Attendance, StudyHourEntry
from exams.hours.selectors import members_hours
from exams.quizzes.models import QuizResult

from .figures import ZERO, User, unit_path_names


@dataclass(frozen=True)
class LedgerLine:
    date: date
    hours: Decimal
    source: str
    source_label: str
    about: str
    note: str


@dataclass(frozen=True)
class QuizLine:
    quiz: str
    percent: Decimal
    passed: bool
    attempts: int
    first_passed_at: datetime | None
    awarded_hours: Decimal


@dataclass(frozen=True)
class SessionLine:
    date: date
    topic: str
    unit: str
    credit_hours: Decimal


@dataclass
class MemberRecord:
    profile: MemberProfile
    unit_path: str
    year: int
    target: Decimal
    year_hours: Decimal
    ledger: list[LedgerLine]
    courses: list[LearningRow]
    quizzes: list[QuizLine]
    sessions: list[SessionLine]

    @property
    def met_target(self) -> bool:
        return self.year_hours >= self.target

    @property
    def percent_of_target(self) -> int:
        return 100 if not self.target else min(100, round(100 * self.year_hours / self.target))

    @property
    def hours_by_source(self) -> list[tuple[str, Decimal]]:
        totals: dict[str, Decimal] = {}
        for line in self.ledger:
            totals[line.source_label] = totals.get(line.source_label, ZERO) + line.hours
        return sorted(totals.items())


def _about(entry: StudyHourEntry) -> str:
    if entry.study_session_id:
        return entry.study_session.topic
    if entry.lesson_id:
        return entry.lesson.title
    if entry.course_id:
        return entry.course.title
    return ""


def record_member(*, user: User, member_user_id: int) -> MemberProfile:
    """The member whose record ``user`` may open (themselves; a manager: their subtree);
    ``MemberProfile.DoesNotExist`` otherwise."""
    return members_visible_to(user=user).select_related("unit", "user").get(user_id=member_user_id)


def member_record(*, user: User, member_user_id: int, year: int | None = None) -> MemberRecord:
    """The record of ``member_user_id`` for ``year`` as ``user`` may see it."""
    year = year or timezone.localdate().year
    profile = record_member(user=user, member_user_id=member_user_id)
    member = profile.user
    entries = (
        StudyHourEntry.objects.filter(user=member, year=year, superseded_by__isnull=True)
        .select_related("course", "lesson", "study_session")
        .order_by("date", "pk")
    )
    labels = dict(StudyHourEntry.Source.choices)
    ledger = [
        LedgerLine(
            date=e.date,
            hours=e.hours,
            source=e.source,
            source_label=str(labels.get(e.source, e.source)),
            about=_about(e),
            note=e.note,
        )
        for e in entries
    ]
    quizzes = [
        QuizLine(
            quiz=r.quiz.title,
            percent=r.percent,
            passed=r.passed,
            attempts=r.attempts,
            first_passed_at=r.first_passed_at,
            awarded_hours=r.awarded_hours,
        )
        for r in QuizResult.objects.filter(user=member, attempts__gt=0)
        .select_related("quiz")
        .order_by("quiz__title")
    ]
    sessions = [
        SessionLine(
            date=a.session.date,
            topic=a.session.topic,
            unit=a.session.unit.name,
            credit_hours=a.session.credit_hours,
        )
        for a in Attendance.objects.filter(user=member, session__date__year=year)
        .select_related("session__unit")
        .order_by("session__date")
    ]
    learning = member_learning(user=member)
    return MemberRecord(
        profile=profile,
        unit_path=unit_path_names(units=[profile.unit.path])[profile.unit.path],
        year=year,
        target=unit_yearly_target(unit=profile.unit),
        year_hours=members_hours(user_ids=[member.pk], year=year).get(member.pk, ZERO),
        ledger=ledger,
        courses=[*learning.required, *learning.in_progress, *learning.completed],
        quizzes=quizzes,
        sessions=sessions,
    )


def record_title(record: MemberRecord) -> str:
    return _("Training record of %(name)s, %(year)s") % {
        "name": record.profile.full_name,
        "year": record.year,
    }
