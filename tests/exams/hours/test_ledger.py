"""The study-hour ledger: credits once, corrections append, recompute is exact."""

import io
import uuid
from datetime import date
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import translation
from wagtail.models import Site

from cms import roles
from exams.hours import selectors
from exams.hours.models import AttendanceChange, StudyHourEntry, StudyHourRules
from exams.hours.services import (
    attendance_record,
    attendance_remove,
    ledger_credit_course_completion,
    ledger_recompute,
    study_session_create,
)

from ..conftest import make_course, make_video_lesson, send_beat


def set_rules(**fields):
    rules = StudyHourRules.for_site(Site.objects.get(is_default_site=True))
    for name, value in fields.items():
        setattr(rules, name, value)
    rules.save()


def watch(user, lesson, *, seconds: int, start: float = 0):
    """Watch ``seconds`` of the lesson from its start, a beat every 15 s."""
    session = uuid.uuid4()
    send_beat(user, lesson, session=session, seq=0, t=start, playing=False, event="play")
    for i in range(1, seconds // 15 + 1):
        send_beat(
            user,
            lesson,
            session=session,
            seq=i,
            t=start + 15 * i,
            played=(15.0 * (i - 1), 15.0 * i),
        )


def snapshot():
    return sorted(
        (e.user_id, e.date, e.year, e.source, e.key, e.hours, e.rule_code, e.rule_params)
        for e in StudyHourEntry.objects.filter(superseded_by__isnull=True)
    )


@pytest.fixture
def manager(world, member_factory):
    return member_factory(world.org.branch_a, role=roles.MANAGERS, username="branch_manager")


@pytest.fixture
def study_session(world, manager):
    return study_session_create(
        unit=world.org.branch_a,
        topic="Weekly study",
        date=date(2026, 3, 5),
        duration_minutes=68,  # 68 min ÷ 45 min per study hour = 1.51… → 1.5 h
        by=manager,
    )


def test_course_completion_credits_its_hours_once(world):
    course = make_course(credit_hours="3.0")
    lesson = make_video_lesson(course, duration=60.0)
    watch(world.alice, lesson, seconds=60)
    entries = StudyHourEntry.objects.filter(user=world.alice, source="course_completion")
    assert [e.hours for e in entries] == [Decimal("3.0")]
    assert ledger_credit_course_completion(user=world.alice, course=course) is None
    assert selectors.member_year_hours(user=world.alice, year=2026) == Decimal("3.0")


def test_engaged_time_credits_per_day_by_the_rule(world):
    set_rules(credit_course_completion=False, credit_engaged_time=True, minutes_per_hour=45)
    watch(world.alice, world.video, seconds=540)  # 9 minutes = 0.2 h of 45 minutes
    assert selectors.member_year_hours(user=world.alice, year=2026) == Decimal("0.20")
    entries = StudyHourEntry.objects.filter(user=world.alice, source="lesson_time")
    assert all(e.rule_params == {"minutes_per_hour": 45, "daily_cap_hours": None} for e in entries)


def test_daily_cap(world):
    set_rules(credit_course_completion=False, credit_engaged_time=True, minutes_per_hour=1)
    set_rules(daily_cap_hours=Decimal("0.50"))
    watch(world.alice, world.video, seconds=120)
    assert selectors.member_year_hours(user=world.alice, year=2026) == Decimal("0.50")


def test_attendance_recorded_twice_credits_once(world, manager, study_session):
    attendance_record(session=study_session, users=[world.alice, world.bob], by=manager)
    attendance_record(session=study_session, users=[world.alice], by=manager)
    assert selectors.member_year_hours(user=world.alice, year=2026) == Decimal("1.5")
    assert AttendanceChange.objects.filter(user=world.alice).count() == 1


def test_removal_appends_a_correction_and_readding_credits_again(world, manager, study_session):
    attendance_record(session=study_session, users=[world.bob], by=manager)
    attendance_remove(session=study_session, user=world.bob, by=manager, reason="left early")
    assert selectors.member_year_hours(user=world.bob, year=2026) == Decimal("0")
    assert attendance_remove(session=study_session, user=world.bob, by=manager) is None
    sources = list(
        StudyHourEntry.objects.filter(user=world.bob).order_by("pk").values_list("source", "hours")
    )
    assert sources == [("attended_session", Decimal("1.5")), ("correction", Decimal("-1.5"))]
    attendance_record(session=study_session, users=[world.bob], by=manager)
    assert selectors.member_year_hours(user=world.bob, year=2026) == Decimal("1.5")


def test_attendance_outside_the_unit_is_refused(world, manager, study_session, member_factory):
    from django.core.exceptions import ValidationError

    outsider = member_factory(world.org.west_branch, username="westie")
    with pytest.raises(ValidationError):
        attendance_record(session=study_session, users=[outsider], by=manager)


def test_recompute_with_unchanged_rules_yields_identical_entries(world, manager, study_session):
    set_rules(credit_course_completion=True, credit_engaged_time=True, minutes_per_hour=45)
    course = make_course(credit_hours="2.0")
    lesson = make_video_lesson(course, duration=120.0)
    watch(world.alice, lesson, seconds=120)
    watch(world.alice, world.video, seconds=600, start=3600)
    watch(world.bob, world.reading, seconds=900, start=86400)  # next day
    attendance_record(session=study_session, users=[world.alice, world.bob], by=manager)
    attendance_remove(session=study_session, user=world.bob, by=manager, reason="absent")
    before = snapshot()
    totals = {
        u.pk: selectors.member_year_hours(user=u, year=2026) for u in (world.alice, world.bob)
    }
    assert len(before) > 5

    report = ledger_recompute(date_from=date(2026, 1, 1), date_to=date(2026, 12, 31))
    assert report.total_before == report.total_after
    assert snapshot() == before
    again = ledger_recompute(date_from=date(2026, 1, 1), date_to=date(2026, 12, 31))
    assert snapshot() == before
    assert again.superseded == report.created
    assert {
        u.pk: selectors.member_year_hours(user=u, year=2026) for u in (world.alice, world.bob)
    } == totals
    # nothing was deleted: the replaced entries are still there, marked
    assert StudyHourEntry.objects.filter(superseded_by__isnull=False).count() == 2 * len(before)


def test_recompute_applies_changed_rules_on_purpose(world):
    set_rules(credit_course_completion=False, credit_engaged_time=True, minutes_per_hour=45)
    watch(world.alice, world.video, seconds=540)
    assert selectors.member_year_hours(user=world.alice, year=2026) == Decimal("0.20")
    set_rules(minutes_per_hour=30)
    dry = ledger_recompute(date_from=date(2026, 3, 1), date_to=date(2026, 3, 31), dry_run=True)
    assert dry.total_after == Decimal("0.30")
    assert selectors.member_year_hours(user=world.alice, year=2026) == Decimal("0.20")
    ledger_recompute(date_from=date(2026, 3, 1), date_to=date(2026, 3, 31))
    assert selectors.member_year_hours(user=world.alice, year=2026) == Decimal("0.30")


def test_command_prints_totals(world):
    set_rules(credit_course_completion=False, credit_engaged_time=True)
    watch(world.alice, world.video, seconds=540)
    out = io.StringIO()
    with translation.override("en"):
        call_command(
            "recompute_study_hours",
            "--from",
            "2026-03-01",
            "--to",
            "2026-03-31",
            "--dry-run",
            stdout=out,
        )
    text = out.getvalue()
    assert "0.20" in text and "Dry run" in text
    assert not StudyHourEntry.objects.filter(superseded_by__isnull=False).exists()


def test_hours_by_month_and_members_hours(world, manager, study_session, member_factory):
    westie = member_factory(world.org.west_branch, username="westie")
    attendance_record(session=study_session, users=[world.alice], by=manager)
    months = selectors.member_hours_by_month(user=world.alice, year=2026)
    assert len(months) == 12 and months[2] == Decimal("1.5") and sum(months) == Decimal("1.5")
    assert selectors.members_hours(user_ids=[world.alice.pk, westie.pk], year=2026) == {
        world.alice.pk: Decimal("1.50")
    }
    assert selectors.members_hours(user_ids=[world.alice.pk], year=2025) == {}
    march = {"date_from": date(2026, 3, 1), "date_to": date(2026, 3, 31)}
    assert selectors.members_hours(user_ids=[world.alice.pk], year=2026, **march) == {
        world.alice.pk: Decimal("1.50")
    }
    assert selectors.members_hours(user_ids=[world.alice.pk], year=2026, course_ids=[]) == {}
