"""The study-hour ledger: credits from course completion, engaged time, attendance and
passed quizzes, and the recomputation of a period from the raw logs."""

from __future__ import annotations

from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.utils import timezone

from courses.models import Enrolment
from exams.quizzes.models import QuizResult
from exams.tracking.models import WatchBeat

from ..models import AttendanceChange, RecomputeBatch, StudyHourEntry
from ..rules import HOURS_QUANTUM, Rules, engaged_hours, rules_current
from .audit import ACTION_RECOMPUTE, hours_log

Source = StudyHourEntry.Source

RULE_COURSE = "course_completion"
RULE_ENGAGED = "engaged_time"
RULE_ATTENDANCE = "attendance"
RULE_QUIZ = "quiz_pass"

# What a recomputation rebuilds: entries derived from raw logs (quiz credits from the
# members' quiz results). Manual corrections (no study session) are left as they are.
DERIVED = Q(
    source__in=[
        Source.COURSE_COMPLETION,
        Source.LESSON_TIME,
        Source.ATTENDED_SESSION,
        Source.QUIZ,
    ]
) | Q(source=Source.CORRECTION, attendance_change__isnull=False)


def _local_date(when: datetime) -> date:
    return timezone.localdate(when)


def _entry_create(**fields) -> StudyHourEntry | None:
    """Append an entry; None when its key is already credited (a replay or a race)."""
    when: date = fields["date"]
    fields.setdefault("year", when.year)
    try:
        with transaction.atomic():
            return StudyHourEntry.objects.create(**fields)
    except IntegrityError:
        return None


# --- course completion ---------------------------------------------------------


def _course_key(*, user_id: int, course_id: int) -> str:
    return f"course:{course_id}:user:{user_id}"


def ledger_credit_course_completion(
    *, user: AbstractBaseUser, course, when: datetime | None = None
) -> StudyHourEntry | None:
    """Credit a completed course's awarded hours once (when the rules credit completion).

    Called when courses records a completion (``courses.signals.course_completed``);
    calling it again credits nothing.
    """
    rules = rules_current()
    if not rules.credit_course_completion:
        return None
    enrolment = (
        Enrolment.objects.filter(user=user, course=course, completed_at__isnull=False)
        .only("completed_at", "awarded_hours")
        .first()
    )
    if enrolment is None or not enrolment.awarded_hours:
        return None
    return _entry_create(
        user_id=user.pk,
        date=_local_date(enrolment.completed_at),
        hours=enrolment.awarded_hours,
        source=Source.COURSE_COMPLETION,
        key=_course_key(user_id=user.pk, course_id=course.pk),
        course_id=course.pk,
        rule_code=RULE_COURSE,
        rule_params={"hours": str(enrolment.awarded_hours)},
    )


def ledger_on_course_completed(*, user: AbstractBaseUser, course, **_kwargs) -> None:
    """``courses.signals.course_completed``: credit the course's hours."""
    ledger_credit_course_completion(user=user, course=course)


# --- passed quizzes ---------------------------------------------------------------


def _quiz_key(*, user_id: int, quiz_id: int) -> str:
    return f"quiz:{quiz_id}:user:{user_id}"


def ledger_credit_quiz_result(*, user_id: int, quiz_id: int) -> StudyHourEntry | None:
    """Make the member's live entries for a quiz add up to what their result awards:
    ``awarded_hours`` once the quiz was passed (``first_passed_at``), else nothing.

    The first credit is one entry keyed ``quiz:{quiz}:user:{member}``, dated the local
    day of the first pass; calling again credits nothing (replays, regrades that change
    no pass). When a regrade takes the pass away (or gives it back), an adjustment entry
    (``…:adj:{n}``, same source and day) brings the sum to what is due. A recomputation
    rebuilds one entry per passed result (``_derived_entries``). Nothing happens while the
    rules do not credit quizzes.
    """
    if not rules_current().credit_quiz_pass:
        return None
    result = (
        QuizResult.objects.filter(quiz_id=quiz_id, user_id=user_id)
        .values("first_passed_at", "awarded_hours")
        .first()
    )
    passed_at = result["first_passed_at"] if result else None
    due = Decimal(result["awarded_hours"]) if passed_at is not None else Decimal("0")
    key = _quiz_key(user_id=user_id, quiz_id=quiz_id)
    live = StudyHourEntry.objects.filter(superseded_by__isnull=True, source=Source.QUIZ).filter(
        Q(key=key) | Q(key__startswith=f"{key}:")
    )
    entries = list(live.values_list("key", "hours", "date"))
    net = sum((Decimal(hours) for _key, hours, _date in entries), Decimal("0"))
    if due == net:
        return None
    fields = {
        "user_id": user_id,
        "hours": due - net,
        "source": Source.QUIZ,
        "lesson_id": quiz_id,
        "rule_code": RULE_QUIZ,
        "rule_params": {"hours": str(due)},
    }
    first = next((day for entry_key, _hours, day in entries if entry_key == key), None)
    if first is None:
        if passed_at is None:
            return None
        return _entry_create(date=_local_date(passed_at), key=key, **fields)
    return _entry_create(date=first, key=f"{key}:adj:{len(entries)}", **fields)


def ledger_on_quiz_result_changed(*, user_id: int, quiz_id: int, **_kwargs) -> None:
    """``exams.quizzes.signals.quiz_result_changed``: credit (or adjust) the quiz's
    hours, in the transaction that wrote the result."""
    ledger_credit_quiz_result(user_id=user_id, quiz_id=quiz_id)


# --- engaged time --------------------------------------------------------------


def ledger_on_engaged_time_credited(
    *,
    user_id: int,
    beat_id: int,
    lesson_id: int,
    day: date,
    seconds_before: float,
    seconds_after: float,
    **_kwargs,
) -> None:
    """``exams.tracking.signals.engaged_time_credited``: append the beat's lesson-time
    entry, in the beat's transaction (keyed by the beat: once)."""
    entry = engaged_entry_for_beat(
        rules=rules_current(),
        user_id=user_id,
        beat_id=beat_id,
        lesson_id=lesson_id,
        day=day,
        seconds_before=seconds_before,
        seconds_after=seconds_after,
    )
    if entry is not None:
        entry.save()


def engaged_entry_for_beat(
    *,
    rules: Rules,
    user_id: int,
    beat_id: int,
    lesson_id: int,
    day: date,
    seconds_before: float,
    seconds_after: float,
    batch: RecomputeBatch | None = None,
) -> StudyHourEntry | None:
    """The lesson-time entry a beat produces: the change of the day's hours, if any.

    A day's lesson-time hours are ``engaged_hours(day's engaged seconds)``; each beat that
    moves that figure appends the difference, so the entries of a day always sum to it,
    and replaying the day's beats in order (``ledger_recompute``) yields the same entries.
    """
    if not rules.credit_engaged_time:
        return None
    before = engaged_hours(
        seconds=seconds_before,
        minutes_per_hour=rules.minutes_per_hour,
        daily_cap=rules.daily_cap_hours,
    )
    after = engaged_hours(
        seconds=seconds_after,
        minutes_per_hour=rules.minutes_per_hour,
        daily_cap=rules.daily_cap_hours,
    )
    if after == before:
        return None
    return StudyHourEntry(
        user_id=user_id,
        date=day,
        year=day.year,
        hours=after - before,
        source=Source.LESSON_TIME,
        key=f"beat:{beat_id}",
        lesson_id=lesson_id,
        beat_id=beat_id,
        rule_code=RULE_ENGAGED,
        rule_params=rules.engaged_params(),
        batch=batch,
    )


# --- attendance ----------------------------------------------------------------


def ledger_credit_attendance_change(
    *, change: AttendanceChange, batch: RecomputeBatch | None = None, save: bool = True
) -> StudyHourEntry | None:
    """+hours for an addition, −hours (a correction) for a removal; once per change."""
    session = change.session
    hours = session.credit_hours
    if not hours:
        return None
    added = change.action == AttendanceChange.Action.ADDED
    entry = StudyHourEntry(
        user_id=change.user_id,
        date=session.date,
        year=session.date.year,
        hours=hours if added else -hours,
        source=Source.ATTENDED_SESSION if added else Source.CORRECTION,
        key=f"attendance-change:{change.pk}",
        study_session_id=session.pk,
        attendance_change_id=change.pk,
        rule_code=RULE_ATTENDANCE,
        rule_params={"hours": str(hours)},
        note=change.reason[:200],
        batch=batch,
    )
    if not save:
        return entry
    try:
        with transaction.atomic():
            entry.save()
    except IntegrityError:
        return None
    return entry


# --- recomputation ---------------------------------------------------------------


@dataclass
class RecomputeReport:
    date_from: date
    date_to: date
    total_before: Decimal
    total_after: Decimal
    superseded: int
    created: int
    dry_run: bool
    batch_id: int | None = None
    entries: list[StudyHourEntry] = field(default_factory=list)


def _day_bounds(day_from: date, day_to: date) -> tuple[datetime, datetime]:
    start = timezone.make_aware(datetime.combine(day_from, datetime.min.time()))
    end = timezone.make_aware(datetime.combine(day_to, datetime.max.time()))
    return start, end


def _derived_entries(*, date_from: date, date_to: date, rules: Rules) -> list[StudyHourEntry]:
    """The ledger entries the raw logs of the period produce under ``rules``."""
    entries: list[StudyHourEntry] = []
    start, end = _day_bounds(date_from, date_to)

    if rules.credit_course_completion:
        completions = Enrolment.objects.filter(
            completed_at__range=(start, end), awarded_hours__gt=0
        ).order_by("completed_at", "pk")
        for e in completions:
            day = _local_date(e.completed_at)
            entries.append(
                StudyHourEntry(
                    user_id=e.user_id,
                    date=day,
                    year=day.year,
                    hours=e.awarded_hours,
                    source=Source.COURSE_COMPLETION,
                    key=_course_key(user_id=e.user_id, course_id=e.course_id),
                    course_id=e.course_id,
                    rule_code=RULE_COURSE,
                    rule_params={"hours": str(e.awarded_hours)},
                )
            )

    if rules.credit_engaged_time:
        beats = (
            WatchBeat.objects.filter(received_at__range=(start, end), engaged_seconds__gt=0)
            .order_by("user_id", "received_at", "pk")
            .values_list("pk", "user_id", "session__lesson_id", "received_at", "engaged_seconds")
        )
        running: dict[tuple[int, date], float] = defaultdict(float)
        for pk, user_id, lesson_id, received_at, seconds in beats.iterator(chunk_size=5000):
            day = _local_date(received_at)
            before = running[(user_id, day)]
            running[(user_id, day)] = after = before + seconds
            entry = engaged_entry_for_beat(
                rules=rules,
                user_id=user_id,
                beat_id=pk,
                lesson_id=lesson_id,
                day=day,
                seconds_before=before,
                seconds_after=after,
            )
            if entry is not None:
                entries.append(entry)

    if rules.credit_quiz_pass:
        results = QuizResult.objects.filter(
            first_passed_at__range=(start, end), awarded_hours__gt=0
        ).order_by("first_passed_at", "pk")
        for r in results:
            day = _local_date(r.first_passed_at)
            entries.append(
                StudyHourEntry(
                    user_id=r.user_id,
                    date=day,
                    year=day.year,
                    hours=r.awarded_hours,
                    source=Source.QUIZ,
                    key=_quiz_key(user_id=r.user_id, quiz_id=r.quiz_id),
                    lesson_id=r.quiz_id,
                    rule_code=RULE_QUIZ,
                    rule_params={"hours": str(r.awarded_hours)},
                )
            )

    changes = (
        AttendanceChange.objects.filter(session__date__range=(date_from, date_to))
        .select_related("session")
        .order_by("at", "pk")
    )
    for change in changes:
        entry = ledger_credit_attendance_change(change=change, save=False)
        if entry is not None:
            entries.append(entry)
    return entries


def _total(queryset) -> Decimal:
    # quantized: SQLite sums decimals as floats
    return (queryset.aggregate(s=Sum("hours"))["s"] or Decimal("0")).quantize(HOURS_QUANTUM)


SUPERSEDE_CHUNK = 2000


@contextmanager
def _one_snapshot():
    """A transaction whose reads all see one snapshot of the database.

    On PostgreSQL the transaction runs at REPEATABLE READ: beats, completions and
    attendance committed by others while it runs are invisible to it, and so are their
    ledger entries, which therefore stay live. SQLite runs a write transaction alone
    (``transaction_mode`` IMMEDIATE), so it needs nothing more. Inside a caller's
    transaction the caller's isolation level applies.
    """
    connection = transaction.get_connection()
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        yield


def ledger_recompute(
    *,
    date_from: date,
    date_to: date,
    dry_run: bool = False,
    note: str = "",
    by: AbstractBaseUser | None = None,
) -> RecomputeReport:
    """Rebuild the derived ledger entries of ``[date_from, date_to]`` from the raw logs
    (beats, course completions, attendance changes, quiz results) under the current rules.

    In one transaction, with one snapshot of the database (``_one_snapshot``): the live
    derived entries of the period that it read are marked superseded by a new
    ``RecomputeBatch`` (by id: nothing is deleted, and entries of beats, completions or
    attendance committed while it runs are left live, since their logs are not in what it
    rebuilds) and the rebuilt entries appended. The run is written to the audit log
    (``hours.recompute``, by ``by``; None for the system). With ``dry_run`` nothing is
    written and the report says what would change. Of two recomputations overlapping on
    PostgreSQL, the later one fails (serialization error) and writes nothing.
    """
    with _one_snapshot():
        return _recompute(date_from=date_from, date_to=date_to, dry_run=dry_run, note=note, by=by)


def _recompute(
    *, date_from: date, date_to: date, dry_run: bool, note: str, by: AbstractBaseUser | None
) -> RecomputeReport:
    rules = rules_current()
    live = StudyHourEntry.objects.filter(
        superseded_by__isnull=True, date__range=(date_from, date_to)
    )
    old = list(live.filter(DERIVED).values_list("pk", "hours"))
    old_ids = [pk for pk, _hours in old]
    total_before = _total(live)
    total_derived = sum((Decimal(hours) for _pk, hours in old), Decimal("0"))
    entries = _derived_entries(date_from=date_from, date_to=date_to, rules=rules)
    new_total = sum((Decimal(e.hours) for e in entries), Decimal("0"))
    total_after = total_before - total_derived + new_total
    report = RecomputeReport(
        date_from=date_from,
        date_to=date_to,
        total_before=total_before,
        total_after=total_after,
        superseded=len(old_ids),
        created=len(entries),
        dry_run=dry_run,
        entries=entries,
    )
    if dry_run:
        return report
    batch = RecomputeBatch.objects.create(
        date_from=date_from,
        date_to=date_to,
        rules=rules.as_dict(),
        total_before=total_before,
        total_after=total_after,
        entries_superseded=len(old_ids),
        entries_created=len(entries),
        note=note[:200],
    )
    for start in range(0, len(old_ids), SUPERSEDE_CHUNK):
        chunk = old_ids[start : start + SUPERSEDE_CHUNK]
        StudyHourEntry.objects.filter(pk__in=chunk, superseded_by__isnull=True).update(
            superseded_by=batch
        )
    for entry in entries:
        entry.batch = batch
    StudyHourEntry.objects.bulk_create(entries, batch_size=2000)
    report.batch_id = batch.pk
    hours_log(
        instance=batch,
        action=ACTION_RECOMPUTE,
        by=by,
        data={
            "date_from": date_from.isoformat(),
            "date_to": date_to.isoformat(),
            "note": note[:200],
            "rules": rules.as_dict(),
            "total_before": str(total_before),
            "total_after": str(total_after),
            "entries_superseded": len(old_ids),
            "entries_created": len(entries),
        },
    )
    return report
