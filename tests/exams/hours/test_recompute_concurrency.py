"""``recompute_study_hours`` gives the same totals whether or not members are watching while
it runs (PostgreSQL: beats commit on other connections during the recomputation)."""

import threading
import uuid
from collections import defaultdict
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Sum
from django.utils import timezone
from wagtail.models import Site

from cms import roles
from courses.models import Enrolment
from exams.hours.models import Attendance, StudyHourEntry, StudyHourRules
from exams.hours.rules import engaged_hours, rules_current
from exams.hours.services import attendance_record, ledger, ledger_recompute, study_session_create
from exams.tracking.audit import watch_log_replay
from exams.tracking.models import WatchBeat

from ..conftest import make_course, make_video_lesson, send_beat

pytestmark = pytest.mark.django_db(transaction=True)

MEMBERS = 4
YEAR = (date(2026, 1, 1), date(2026, 12, 31))


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("concurrent connections: run with DATABASE_URL=postgres://…")


def set_rules(**fields):
    rules = StudyHourRules.for_site(Site.objects.get(is_default_site=True))
    for name, value in fields.items():
        setattr(rules, name, value)
    rules.save()


class Watcher:
    """One member's beats, a beat every 15 s of server time, never going back in time."""

    def __init__(self, user):
        self.user = user
        self.t = 0.0

    def watch(self, lesson, *, seconds: int, start: float = 0.0, each=None):
        session = uuid.uuid4()
        send_beat(self.user, lesson, session=session, seq=0, t=self.t, playing=False, event="play")
        for i in range(1, seconds // 15 + 1):
            self.t += 15
            send_beat(
                self.user,
                lesson,
                session=session,
                seq=i,
                t=self.t,
                played=(start + 15.0 * (i - 1), start + 15.0 * i),
            )
            if each is not None:
                each()
        self.t += 60


def live_total() -> Decimal:
    value = StudyHourEntry.objects.filter(superseded_by__isnull=True).aggregate(s=Sum("hours"))
    return Decimal(value["s"] or 0).quantize(Decimal("0.01"))


def total_implied_by_the_logs() -> Decimal:
    """What the raw logs credit under the rules: each member-day's engaged seconds, each
    completed course's hours, each attended session's hours."""
    rules = rules_current()
    seconds: dict[tuple[int, date], float] = defaultdict(float)
    for user_id, received_at, engaged in WatchBeat.objects.order_by(
        "user_id", "received_at", "pk"
    ).values_list("user_id", "received_at", "engaged_seconds"):
        seconds[(user_id, timezone.localdate(received_at))] += engaged
    total = sum(
        (
            engaged_hours(
                seconds=s, minutes_per_hour=rules.minutes_per_hour, daily_cap=rules.daily_cap_hours
            )
            for s in seconds.values()
        ),
        Decimal("0"),
    )
    completed = Enrolment.objects.filter(completed_at__isnull=False)
    total += sum(completed.values_list("awarded_hours", flat=True), Decimal("0"))
    total += sum(Attendance.objects.values_list("session__credit_hours", flat=True), Decimal("0"))
    return total.quantize(Decimal("0.01"))


def test_recompute_while_members_watch_loses_and_doubles_nothing(
    org, world, member_factory, monkeypatch
):
    set_rules(credit_course_completion=True, credit_engaged_time=True, minutes_per_hour=3)
    manager = member_factory(org.east, role=roles.MANAGERS, username="east_manager")
    members = [member_factory(org.branch_a, username=f"watcher{i}") for i in range(MEMBERS)]
    watchers = [Watcher(m) for m in members]
    short_course = make_course(credit_hours="1.0")
    short_lesson = make_video_lesson(short_course, duration=90.0)
    session = study_session_create(
        unit=org.east, topic="Meanwhile", date=date(2026, 3, 2), duration_minutes=90, by=manager
    )
    # Before the recomputation: half of the video each, so there are entries to rebuild.
    for watcher in watchers:
        watcher.watch(world.video, seconds=300)
    assert live_total() > 0

    read_done = threading.Event()
    window_beats = [threading.Event() for _ in watchers]
    attendance_done = threading.Event()
    errors: list[BaseException] = []
    original = ledger._derived_entries

    def derived_entries_then_wait(**kwargs):
        """The recomputation has read the logs; let beats, a course completion and
        attendance commit on other connections before it writes."""
        entries = original(**kwargs)
        read_done.set()
        for event in [*window_beats, attendance_done]:
            if not event.wait(timeout=120):
                errors.append(AssertionError("nothing committed during the recomputation"))
        return entries

    monkeypatch.setattr(ledger, "_derived_entries", derived_entries_then_wait)

    def run(fn):
        def target():
            try:
                read_done.wait(timeout=120)
                fn()
            except BaseException as exc:  # re-raised in the test's thread
                errors.append(exc)
            finally:
                connection.close()

        return threading.Thread(target=target)

    def member_watching(watcher, done):
        def fn():
            beats = 0

            def counted():
                nonlocal beats
                beats += 1
                if beats >= 10:
                    done.set()

            watcher.watch(short_lesson, seconds=90, each=counted)  # completes the course
            watcher.watch(world.video, seconds=300, start=300, each=counted)
            done.set()

        return fn

    def attendance():
        attendance_record(session=session, users=members[:2], by=manager)
        attendance_done.set()

    threads = [run(member_watching(w, e)) for w, e in zip(watchers, window_beats, strict=True)]
    threads.append(run(attendance))
    for thread in threads:
        thread.start()
    try:
        report = ledger_recompute(date_from=YEAR[0], date_to=YEAR[1], note="while watching")
    finally:
        read_done.set()
        for thread in threads:
            thread.join(timeout=300)
    assert not errors, errors
    assert not any(thread.is_alive() for thread in threads)
    monkeypatch.setattr(ledger, "_derived_entries", original)

    # What was committed during the run is still live, outside the batch, of each kind.
    meanwhile = StudyHourEntry.objects.filter(superseded_by__isnull=True, batch__isnull=True)
    assert set(meanwhile.values_list("source", flat=True)) >= {
        "lesson_time",
        "course_completion",
        "attended_session",
    }
    assert StudyHourEntry.objects.filter(batch_id=report.batch_id).exists()

    implied = total_implied_by_the_logs()
    assert Enrolment.objects.filter(course=short_course, completed_at__isnull=False).count() == 4
    assert live_total() == implied
    quiet = ledger_recompute(date_from=YEAR[0], date_to=YEAR[1], note="quiet")
    assert quiet.total_before == quiet.total_after == implied
    assert live_total() == implied
    for member in members:
        assert watch_log_replay(user=member) == []
