"""The adversarial table: each watching pattern with the credit it must earn.

Time is controlled by passing ``now`` to the service; nothing sleeps.
"""

import os
import threading
import uuid
from dataclasses import dataclass
from types import SimpleNamespace

import pytest
from django.db import connection, connections
from django.db.models import Sum
from exams.models import WatchBeat, WatchClaim, WatchSession, WatchSummary
from exams.services import HeartbeatRefused, heartbeat_record
from exams.services.audit import watch_log_replay

from courses.models import LessonProgress

from ..conftest import at, make_course, make_video_lesson


@dataclass
class B:
    """One scripted beat: tab (a page load), seq, server second, played interval."""

    tab: str
    seq: int
    t: float
    frm: float | None = None
    to: float | None = None
    playing: bool = True
    visible: bool = True
    event: str = "tick"
    lesson: str = "video"


def send(world, user, beat: B, tabs: dict):
    session = tabs.setdefault(beat.tab, uuid.uuid4())
    lesson = getattr(world, beat.lesson)
    return heartbeat_record(
        user=user,
        lesson_id=lesson.pk,
        payload={
            "session": session,
            "seq": beat.seq,
            "from": beat.frm,
            "to": beat.to,
            "rate": 1.0,
            "event": beat.event,
            "position": beat.to,
            "playing": beat.playing,
            "visible": beat.visible,
        },
        now=at(beat.t),
    )


def ticks(tab, start_seq, t0, media0, n, step=15.0, media_step=15.0, lesson="video"):
    return [
        B(
            tab,
            start_seq + i,
            t0 + step * (i + 1),
            media0 + media_step * i,
            media0 + media_step * (i + 1),
            lesson=lesson,
        )
        for i in range(n)
    ]


def play(tab, t, lesson="video", seq=0):
    return B(tab, seq, t, playing=False, event="play", lesson=lesson)


CASES = {
    "normal viewing": ([play("a", 0), *ticks("a", 1, 0, 0, 8)], 120, 120),
    "2x speed is trimmed to 1.5x": (
        [play("a", 0), *ticks("a", 1, 0, 0, 4, media_step=30)],
        90,
        60,
    ),
    "seek to the end covers nothing": (
        [
            play("a", 0),
            B("a", 1, 2, 0, 2, event="seek"),
            B("a", 2, 4, 598, 600, event="ended"),
        ],
        4,
        4,
    ),
    "a seek reported as played is trimmed": (
        [play("a", 0), B("a", 1, 2, 0, 600, event="seek")],
        3,
        2,
    ),
    "scrubbing back and forth": (
        [
            play("a", 0),
            B("a", 1, 10, 0, 10),
            B("a", 2, 20, 5, 15),
            B("a", 3, 30, 0, 10),
            B("a", 4, 40, 10, 20),
        ],
        20,
        40,
    ),
    "a replayed beat credits nothing": (
        [play("a", 0), *ticks("a", 1, 0, 0, 2), B("a", 2, 40, 15, 30), B("a", 1, 41, 0, 15)],
        30,
        30,
    ),
    "beats out of order": (
        [play("a", 0), B("a", 2, 30, 15, 30), B("a", 1, 31, 0, 15), B("a", 3, 45, 30, 45)],
        45,
        # seq 2 came 30 s after seq 0: its gap is capped at 15 + 5; seq 1 then earns the
        # one second since seq 2, seq 3 the 14 s since seq 1.
        20 + 1 + 14,
    ),
    "two tabs at once": (
        [
            play("a", 0),
            play("b", 7),
            *sorted(
                ticks("a", 1, 0, 0, 4) + ticks("b", 1, 7, 100, 3),
                key=lambda b: b.t,
            ),
        ],
        60 + 45,
        60,
    ),
    "two devices at once (video and reading)": (
        [
            play("a", 0),
            play("b", 5, lesson="reading"),
            *sorted(
                ticks("a", 1, 0, 0, 4)
                + [B("b", i, 5 + 15 * i, lesson="reading", playing=False) for i in (1, 2, 3)],
                key=lambda b: b.t,
            ),
        ],
        60,
        60,
    ),
    "tab hidden 10 minutes while playing": (
        [
            play("a", 0),
            *ticks("a", 1, 0, 0, 2),
            # the video ran on in the hidden tab to its end; back in the tab the member
            # seeks to where they left and goes on
            B("a", 3, 630, 30, 600, visible=False, event="show"),
            B("a", 4, 645, 30, 45),
        ],
        45,
        45,
    ),
    "offline for a while, then resuming": (
        [
            play("a", 0),
            *ticks("a", 1, 0, 0, 2),
            # offline from t=30 to t=90: four beats queued, sent on reconnection
            B("a", 3, 91, 30, 45),
            B("a", 4, 92, 45, 60),
            B("a", 5, 93, 60, 75),
            B("a", 6, 94, 75, 90),
            B("a", 7, 109, 90, 105),
        ],
        105,
        30 + 20 + 1 + 1 + 1 + 15,
    ),
    "a second tab after two remembered beats of the first": (
        [
            play("a", 0),
            play("b", 5),
            B("a", 1, 15, 0, 15),
            # a's next beat follows a's own write: the server may use what it remembers
            B("a", 2, 30, 15, 30),
            # b played from 5 s to 31 s, a gap capped to the last 20 s: 11–31, of which
            # a already has 11–30
            B("b", 1, 31, 100, 126),
        ],
        30 + 26,
        30 + 1,
    ),
    "an interval beyond the duration": (
        [play("a", 0), B("a", 1, 20, 590, 610), B("a", 2, 40, 700, 800)],
        10,
        40,
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_adversarial_table(world, name):
    script, coverage, engaged = CASES[name]
    tabs: dict = {}
    for beat in script:
        send(world, world.alice, beat, tabs)
    video = WatchSummary.objects.get(user=world.alice, lesson=world.video)
    assert video.coverage_seconds == pytest.approx(coverage, abs=1e-9)
    total_engaged = WatchSummary.objects.filter(user=world.alice).aggregate(
        s=Sum("engaged_seconds")
    )["s"]
    assert total_engaged == pytest.approx(engaged, abs=1e-9)
    # the per-beat log explains the summary exactly, and replaying the raw beats alone
    # gives every beat the credit it was given
    beats = WatchBeat.objects.filter(user=world.alice)
    assert beats.aggregate(s=Sum("engaged_seconds"))["s"] == pytest.approx(engaged, abs=1e-9)
    assert watch_log_replay(user=world.alice) == []


def test_replay_answers_200_with_current_figures(world):
    tabs: dict = {}
    send(world, world.alice, play("a", 0), tabs)
    first = send(world, world.alice, B("a", 1, 15, 0, 15), tabs)
    again = send(world, world.alice, B("a", 1, 16, 0, 15), tabs)
    assert again.duplicate and not first.duplicate
    assert (again.coverage, again.engaged_seconds) == (first.coverage, first.engaged_seconds)
    assert WatchBeat.objects.count() == 2


def test_a_beat_for_another_members_session_is_refused(world):
    tabs: dict = {}
    send(world, world.alice, play("a", 0), tabs)
    with pytest.raises(HeartbeatRefused) as refused:
        send(world, world.bob, B("a", 1, 15, 0, 15), tabs)
    assert refused.value.status == 403
    assert WatchBeat.objects.count() == 1
    assert not WatchSummary.objects.filter(user=world.bob).exists()


def test_a_beat_for_a_lesson_outside_the_audience_is_refused(world):
    with pytest.raises(HeartbeatRefused) as refused:
        send(world, world.alice, play("a", 0, lesson="west_lesson"), {})
    assert refused.value.status == 404
    assert not WatchSession.objects.exists() and not WatchBeat.objects.exists()


def test_a_session_cannot_switch_lesson(world):
    tabs: dict = {}
    send(world, world.alice, play("a", 0), tabs)
    with pytest.raises(HeartbeatRefused) as refused:
        send(world, world.alice, B("a", 1, 15, lesson="reading"), tabs)
    assert refused.value.status == 400


@pytest.mark.parametrize(("covered", "complete"), [(555, False), (570, True)])
def test_completion_exactly_at_the_threshold(world, covered, complete):
    course = make_course()
    lesson = make_video_lesson(course, duration=600.0)
    world.single = lesson
    tabs: dict = {}
    send(world, world.alice, play("a", 0, lesson="single"), tabs)
    n = covered // 15
    result = None
    for beat in ticks("a", 1, 0, 0, n, lesson="single"):
        result = send(world, world.alice, beat, tabs)
    assert result.coverage == covered
    assert result.completed is complete
    done = LessonProgress.objects.filter(
        user=world.alice, lesson=lesson, state=LessonProgress.State.DONE
    ).exists()
    assert done is complete


def test_reading_lesson_engaged_capped_at_twice_the_estimate_and_completes(world):
    tabs: dict = {}
    send(world, world.alice, play("r", 0, lesson="reading"), tabs)
    result = None
    for i in range(1, 61):  # 15 minutes visible on a 5-minute reading
        result = send(world, world.alice, B("r", i, 15 * i, lesson="reading", playing=False), tabs)
    assert result.engaged_seconds == 600
    assert result.completed
    assert result.coverage == 0


def test_one_heartbeat_is_a_few_queries(world, django_assert_max_num_queries):
    tabs: dict = {}
    send(world, world.alice, play("a", 0), tabs)
    send(world, world.alice, B("a", 1, 15, 0, 15), tabs)
    # PostgreSQL: read (session + summary + claim + replay check), write (one statement:
    # claim version check, beat insert, session and summary updates). Elsewhere the write
    # is a transaction of a few statements.
    most = 2 if connection.vendor == "postgresql" else 10
    with django_assert_max_num_queries(most):
        send(world, world.alice, B("a", 2, 30, 15, 30), tabs)


@pytest.mark.skipif(
    "postgres" not in os.environ.get("DATABASE_URL", ""), reason="row locks need PostgreSQL"
)
@pytest.mark.django_db(transaction=True)
def test_concurrent_beats_of_two_tabs_credit_each_second_once(org, member_factory):
    """Two tabs of one member, beats racing from two threads on two connections."""
    course = make_course()
    lesson = make_video_lesson(course, duration=3600.0)
    alice = member_factory(org.branch_a, username="alice")
    world = SimpleNamespace(video=lesson)
    sessions = {"a": uuid.uuid4(), "b": uuid.uuid4()}
    barrier = threading.Barrier(2)
    errors = []

    def tab(name, media0):
        try:
            barrier.wait()
            for i in range(0, 41):
                beat = (
                    B(name, 0, 0, playing=False, event="play")
                    if i == 0
                    else B(name, i, 15 * i, media0 + 15 * (i - 1), media0 + 15 * i)
                )
                send(world, alice, beat, sessions)
                send(world, alice, beat, sessions)  # and every beat replayed at once
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=tab, args=a) for a in (("a", 0), ("b", 1000))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    summary = WatchSummary.objects.get(user=alice, lesson=lesson)
    assert summary.coverage_seconds == 2 * 600
    assert summary.engaged_seconds == 600  # both tabs played the same 600 wall-clock seconds
    assert WatchBeat.objects.filter(user=alice).count() == 82
    # every stored beat moved the claim once, and nothing else did
    assert WatchClaim.objects.get(user=alice).version == 82
    assert watch_log_replay(user=alice) == []
