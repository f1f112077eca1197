"""``heartbeat_record``: the one path of a beat (service level, server time passed in)."""

import os
import threading
import uuid

import pytest
from django.db import connection, connections
from django.db.models import Sum

from courses.models import LessonProgress
from exams.tracking.audit import watch_log_replay
from exams.tracking.models import WatchBeat, WatchClaim, WatchSession, WatchSummary
from exams.tracking.services import BeatInput, HeartbeatRefused, heartbeat_record

from ..conftest import at, make_course, make_video_lesson, send_beat


def watch(user, lesson, *, session=None, beats, step=15.0, t0=0.0, media_step=15.0, seq0=1):
    """``beats`` ticks after an opening beat; returns the last result."""
    session = session or uuid.uuid4()
    if seq0 == 1:
        send_beat(user, lesson, session=session, seq=0, t=t0, playing=False, event="play")
    result = None
    for i in range(seq0, seq0 + beats):
        a = media_step * (i - 1)
        result = send_beat(
            user, lesson, session=session, seq=i, t=t0 + step * i, played=(a, a + media_step)
        )
    return result


def test_replay_answers_with_current_figures_and_credits_nothing(world):
    s = uuid.uuid4()
    send_beat(world.alice, world.video, session=s, seq=0, t=0, playing=False)
    first = send_beat(world.alice, world.video, session=s, seq=1, t=15, played=(0, 15))
    again = send_beat(world.alice, world.video, session=s, seq=1, t=16, played=(0, 600))
    assert again.duplicate and not first.duplicate
    assert (again.coverage, again.engaged_seconds) == (first.coverage, first.engaged_seconds)
    assert again.credited_engaged == 0 and again.credited_coverage == 0
    assert WatchBeat.objects.count() == 2
    # the replay did not move the session's clock: the next beat's window starts at 15
    nxt = send_beat(world.alice, world.video, session=s, seq=2, t=30, played=(15, 30))
    assert nxt.credited_engaged == 15


def test_first_beat_credits_nothing(world):
    result = send_beat(
        world.alice, world.video, session=uuid.uuid4(), seq=0, t=0, played=(0, 600), event="ended"
    )
    assert result.credited_engaged == 0 and result.credited_coverage == 0
    assert result.coverage == 0 and not result.completed


def test_a_beat_for_another_members_session_is_refused(world):
    s = uuid.uuid4()
    send_beat(world.alice, world.video, session=s, seq=0, t=0, playing=False)
    with pytest.raises(HeartbeatRefused) as refused:
        send_beat(world.bob, world.video, session=s, seq=1, t=15, played=(0, 15))
    assert refused.value.status == 403
    assert WatchBeat.objects.count() == 1
    assert not WatchSummary.objects.filter(user=world.bob).exists()


def test_a_beat_for_a_lesson_outside_the_audience_is_refused(world):
    with pytest.raises(HeartbeatRefused) as refused:
        send_beat(world.alice, world.west_lesson, session=uuid.uuid4(), seq=0, t=0)
    assert refused.value.status == 404
    assert not WatchSession.objects.exists() and not WatchBeat.objects.exists()


def test_a_session_cannot_switch_lesson(world):
    s = uuid.uuid4()
    send_beat(world.alice, world.video, session=s, seq=0, t=0, playing=False)
    with pytest.raises(HeartbeatRefused) as refused:
        send_beat(world.alice, world.reading, session=s, seq=1, t=15, playing=False)
    assert refused.value.status == 400


def test_refusal_checked_on_every_beat_not_only_the_first(world):
    s = uuid.uuid4()
    send_beat(world.alice, world.video, session=s, seq=0, t=0, playing=False)
    send_beat(world.alice, world.video, session=s, seq=1, t=15, played=(0, 15))
    world.video.unpublish()
    with pytest.raises(HeartbeatRefused) as refused:
        send_beat(world.alice, world.video, session=s, seq=2, t=30, played=(15, 30))
    assert refused.value.status == 404
    assert WatchSummary.objects.get().engaged_seconds == 15


@pytest.mark.parametrize(
    ("beats", "step", "complete"),
    [
        (38, 15.0, True),  # 570 s covered, 570 s engaged
        (37, 15.0, False),  # 555 s covered
        # 1.5×: 22.5 media seconds per 15 s beat. 26 beats: 585 covered but 390 engaged
        (26, 15.0, False),
        (27, 15.0, True),  # 600 covered (clamped), 405 engaged ≥ 400
    ],
)
def test_completion_needs_coverage_and_watching_time(world, beats, step, complete):
    course = make_course()
    lesson = make_video_lesson(course, duration=600.0)
    media_step = 15.0 if beats > 30 else 22.5
    result = watch(world.alice, lesson, beats=beats, step=step, media_step=media_step)
    assert result.completed is complete
    done = LessonProgress.objects.filter(
        user=world.alice, lesson=lesson, state=LessonProgress.State.DONE
    ).exists()
    assert done is complete
    summary = WatchSummary.objects.get(user=world.alice, lesson=lesson)
    assert (summary.completed_at is not None) is complete
    assert summary.coverage_seconds <= 1.5 * summary.engaged_seconds + 1e-9


def test_video_engaged_capped_at_twice_the_duration(world):
    course = make_course()
    lesson = make_video_lesson(course, duration=60.0)
    result = watch(world.alice, lesson, beats=20)  # 300 s of "watching" a 60 s video
    assert result.engaged_seconds == 120
    assert result.coverage == 60


def test_reading_lesson_engaged_capped_at_twice_the_estimate_and_completes(world):
    s = uuid.uuid4()
    send_beat(world.alice, world.reading, session=s, seq=0, t=0, playing=False)
    result = None
    for i in range(1, 61):  # 15 minutes visible on a 5-minute reading
        result = send_beat(world.alice, world.reading, session=s, seq=i, t=15 * i, playing=False)
        if i == 19:
            assert not result.completed  # 285 s
        if i == 20:
            assert result.completed  # 300 s
    assert result.engaged_seconds == 600
    assert result.coverage == 0


def test_crediting_beat_writes_its_ledger_entry(world):
    from exams.hours.models import StudyHourEntry
    from tests.exams.hours.test_ledger import set_rules

    set_rules(credit_course_completion=False, credit_engaged_time=True, minutes_per_hour=45)
    s = uuid.uuid4()
    send_beat(world.alice, world.video, session=s, seq=0, t=0, playing=False)
    send_beat(world.alice, world.video, session=s, seq=1, t=15, played=(0, 15))
    assert not StudyHourEntry.objects.filter(user=world.alice).exists()  # 15 s < 27 s
    result = send_beat(world.alice, world.video, session=s, seq=2, t=30, played=(15, 30))
    assert result.credited_engaged == 15
    entry = StudyHourEntry.objects.get(user=world.alice)
    last = WatchBeat.objects.get(session__uuid=s, seq=2)
    assert entry.key == f"beat:{last.pk}" and entry.beat_id == last.pk
    assert entry.lesson_id == world.video.pk


def test_one_heartbeat_is_a_bounded_number_of_queries(world, django_assert_max_num_queries):
    s = uuid.uuid4()
    send_beat(world.alice, world.video, session=s, seq=0, t=0, playing=False)
    send_beat(world.alice, world.video, session=s, seq=1, t=15, played=(0, 15))
    with django_assert_max_num_queries(16):
        send_beat(world.alice, world.video, session=s, seq=2, t=30, played=(15, 30))


def test_audit_replay_finds_a_tampered_credit(world):
    watch(world.alice, world.video, beats=4)
    assert watch_log_replay(user=world.alice) == []
    beat = WatchBeat.objects.get(seq=2)
    WatchBeat.objects.filter(pk=beat.pk).update(engaged_seconds=99)
    differences = watch_log_replay(user=world.alice)
    assert [d.beat_id for d in differences] == [beat.pk]


@pytest.mark.skipif(
    "postgres" not in os.environ.get("DATABASE_URL", ""), reason="row locks need PostgreSQL"
)
@pytest.mark.django_db(transaction=True)
def test_concurrent_beats_of_two_tabs_credit_each_second_once(org, member_factory):
    """Two tabs of one member, beats racing from two threads on two connections, each
    beat also sent twice at once."""
    course = make_course()
    lesson = make_video_lesson(course, duration=3600.0)
    alice = member_factory(org.branch_a, username="alice")
    sessions = {"a": uuid.uuid4(), "b": uuid.uuid4()}
    barrier = threading.Barrier(2)
    errors = []

    def tab(name, media0):
        try:
            barrier.wait()
            for i in range(0, 41):
                played = None if i == 0 else (media0 + 15 * (i - 1), media0 + 15 * i)
                beat = BeatInput(
                    session=sessions[name],
                    seq=i,
                    event="tick" if i else "play",
                    playing=bool(i),
                    visible=True,
                    from_seconds=played[0] if played else None,
                    to_seconds=played[1] if played else None,
                )
                for _ in range(2):
                    heartbeat_record(
                        user_id=alice.pk, lesson_id=lesson.pk, beat=beat, now=at(15 * i)
                    )
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=tab, args=a) for a in (("a", 0), ("b", 1000))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    summary = WatchSummary.objects.get(user=alice, lesson=lesson)
    assert summary.engaged_seconds == 600  # both tabs played the same 600 wall-clock seconds
    assert summary.coverage_seconds == 600  # one of the two tabs got each window
    assert WatchBeat.objects.filter(user=alice).count() == 82
    assert WatchBeat.objects.filter(user=alice).aggregate(s=Sum("engaged_seconds"))["s"] == 600
    assert WatchClaim.objects.get(user=alice).day_seconds == 600
    assert watch_log_replay(user=alice) == []
    assert connection.vendor == "postgresql"
