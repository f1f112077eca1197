"""The year totals the database keeps equal the ledger's brute-force sums after every kind
of change, before and after compaction; a whole year's hours are read from them."""

import threading
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cms import roles
from courses.services import lesson_complete
from exams.hours import selectors, year_totals
from exams.hours.models import MemberYearHours, MemberYearHoursDelta, StudyHourEntry
from exams.hours.services import (
    attendance_record,
    attendance_remove,
    ledger_recompute,
    study_session_create,
)
from exams.hours.services.ledger import ledger_credit_quiz_result
from exams.quizzes.models import QuizResult
from tests.exams.quizzes.conftest import make_quiz

from .test_ledger import set_rules, watch

pytestmark = pytest.mark.django_db


def brute_force(user, year) -> Decimal:
    total = sum(
        (e.hours for e in StudyHourEntry.objects.filter(user=user, year=year, superseded_by=None)),
        Decimal("0.00"),
    )
    return total.quantize(Decimal("0.01"))


def assert_exact(users, year=2026):
    assert year_totals.mismatches() == []
    for user in users:
        assert selectors.member_year_hours(user=user, year=year) == brute_force(user, year)


@pytest.fixture
def people(world, member_factory):
    manager = member_factory(world.org.east, roles.MANAGERS, username="totals_manager")
    return manager, [world.alice, world.bob]


def test_every_kind_of_change_keeps_totals_exact(world, people):
    manager, members = people
    set_rules(credit_engaged_time=True)

    watch(world.alice, world.video, seconds=300)  # beats crediting engaged time
    assert_exact(members)
    year_totals.compact()
    assert_exact(members)

    for lesson in (world.video, world.reading):  # course completion
        lesson_complete(user=world.bob, lesson=lesson, when=timezone.now().replace(year=2026))
    assert StudyHourEntry.objects.filter(user=world.bob, source="course_completion").exists()
    assert_exact(members)

    session = study_session_create(
        unit=world.org.branch_a,
        topic="Totals",
        date=date(2026, 4, 2),
        duration_minutes=90,
        by=manager,
    )
    attendance_record(session=session, users=members, by=manager)  # attendance
    assert_exact(members)
    attendance_remove(session=session, user=world.bob, by=manager, reason="absent")  # correction
    assert_exact(members)
    year_totals.compact()

    quiz = make_quiz(world.course, questions=[], credit_hours=Decimal("2"))  # a passed quiz
    QuizResult.objects.create(
        quiz=quiz,
        user=world.alice,
        percent=Decimal("90"),
        passed=True,
        attempts=1,
        first_passed_at=timezone.now().replace(year=2026, month=5),
        awarded_hours=Decimal("2"),
    )
    ledger_credit_quiz_result(user_id=world.alice.pk, quiz_id=quiz.pk)
    assert_exact(members)

    set_rules(minutes_per_hour=30)  # a recomputation under changed rules
    report = ledger_recompute(date_from=date(2026, 1, 1), date_to=date(2026, 12, 31))
    assert report.superseded > 0 and report.total_after != report.total_before
    assert_exact(members)
    year_totals.compact()
    assert_exact(members)

    profile = world.alice.profile  # a member moved, a unit moved: totals are per member
    profile.unit = world.org.west_branch
    profile.save()
    world.org.branch_b.move(world.org.west, pos="sorted-child")
    assert_exact(members)

    world.bob.delete()  # a member deleted with their ledger
    assert year_totals.mismatches() == []
    year_totals.compact()
    assert year_totals.mismatches() == []


def test_whole_year_reads_the_totals_and_a_part_of_it_the_ledger(world, people):
    manager, members = people
    session = study_session_create(
        unit=world.org.branch_a, topic="Q", date=date(2026, 4, 2), duration_minutes=90, by=manager
    )
    attendance_record(session=session, users=members, by=manager)
    year_totals.compact()
    with CaptureQueriesContext(connection) as whole:
        hours = selectors.members_hours(user_ids=[world.alice.pk], year=2026)
    assert hours == {world.alice.pk: Decimal("2.00")}
    assert "hours_memberyearhours" in whole.captured_queries[0]["sql"]
    with CaptureQueriesContext(connection) as part:
        spring = selectors.members_hours(
            user_ids=[world.alice.pk],
            year=2026,
            date_from=date(2026, 4, 1),
            date_to=date(2026, 4, 30),
        )
    assert spring == hours
    assert "hours_studyhourentry" in part.captured_queries[0]["sql"]


def test_compaction_folds_every_delta_once(world, people):
    manager, members = people
    session = study_session_create(
        unit=world.org.branch_a, topic="C", date=date(2026, 4, 2), duration_minutes=45, by=manager
    )
    attendance_record(session=session, users=members, by=manager)
    attendance_remove(session=session, user=world.alice, by=manager)
    assert MemberYearHoursDelta.objects.count() == 3
    assert year_totals.compact(batch=2) == 3
    assert year_totals.compact() == 0
    assert not MemberYearHoursDelta.objects.exists()
    assert dict(MemberYearHours.objects.values_list("user_id", "hours")) == {
        world.alice.pk: Decimal("0.00"),
        world.bob.pk: Decimal("1.00"),
    }
    assert_exact(members)


@pytest.mark.django_db(transaction=True)
def test_parallel_compactions_never_count_twice(world, people):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent compactions: run with DATABASE_URL=postgres://…")
    manager, members = people
    for day in range(1, 29):
        session = study_session_create(
            unit=world.org.branch_a,
            topic=f"D{day}",
            date=date(2026, 2, day),
            duration_minutes=45,
            by=manager,
        )
        attendance_record(session=session, users=members, by=manager)
    folded = []

    def run():
        try:
            folded.append(year_totals.compact(batch=5))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(folded) == 56
    assert year_totals.mismatches() == []
    assert selectors.member_year_hours(user=world.alice, year=2026) == Decimal("28.00")
