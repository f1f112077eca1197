"""The adversarial table, through the real HTTP interface.

Every beat is a JSON POST to ``/api/exams/heartbeats/`` carrying the lesson page's beat
token; the server clock is frozen by time-machine and moved by the script (``Clock.to``):
nothing else is mocked. Each case states the wall-clock time it takes in real play and the
credit it must earn (coverage of the attacked video, the member's engaged seconds across
all lessons, completed or not); after each, the audit's replay of the raw log must agree
with every stored credit.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from types import SimpleNamespace

import pytest
import time_machine
from django.db.models import Sum

from courses.models import LessonProgress
from exams.tracking.audit import watch_log_replay
from exams.tracking.beat_token import beat_token_for
from exams.tracking.models import WatchBeat, WatchClaim, WatchSession, WatchSummary

from ..conftest import T0, make_course, make_reading_lesson, make_video_lesson
from .driver import Clock, Tab, post

D = 600.0  # the attacked video's duration (world.video)
RATE = 1.5


@pytest.fixture
def attack(world):
    with time_machine.travel(T0, tick=False) as traveller:
        clock = Clock(traveller, T0)
        yield SimpleNamespace(
            world=world,
            clock=clock,
            alice=world.alice,
            video=world.video,
            tab=lambda lesson=None, **kw: Tab(world.alice, lesson or world.video, **kw),
        )


def ticks(ctx, tab, *, start_t, start_media, n, step=15.0, media_step=15.0, **kw):
    for i in range(1, n + 1):
        ctx.clock.to(start_t + step * i)
        a = start_media + media_step * (i - 1)
        tab.beat(played=(a, a + media_step), **kw)


# --- the scripts ------------------------------------------------------------------


def honest(ctx):
    tab = ctx.tab()
    tab.open()
    ticks(ctx, tab, start_t=0, start_media=0, n=40)


def double_speed(ctx):
    tab = ctx.tab()
    tab.open()
    ticks(ctx, tab, start_t=0, start_media=0, n=20, media_step=30)


def seek_to_the_end(ctx):
    tab = ctx.tab()
    tab.open()
    ctx.clock.to(2)
    tab.beat(played=(0, 2), event="seek")
    ctx.clock.to(4)
    tab.beat(played=(598, 600), event="ended")


def one_beat_claims_the_whole_video(ctx):
    tab = ctx.tab()
    tab.open()
    ctx.clock.to(600)
    tab.beat(played=(0, 600), event="ended")


def first_beat_claims_the_whole_video(ctx):
    tab = ctx.tab()
    tab.open(played=(0, 600), playing=True, event="ended")


def replay(ctx):
    tab = ctx.tab()
    tab.open()
    ticks(ctx, tab, start_t=0, start_media=0, n=2)
    for k in range(1, 11):
        ctx.clock.to(30 + k)
        for seq in (1, 2):
            answer = tab.beat(seq=seq, played=(15 * (seq - 1), 15 * seq))
            assert answer["coverage"] == 30


def same_seq_another_body(ctx):
    tab = ctx.tab()
    tab.open()
    ctx.clock.to(15)
    tab.beat(played=(0, 15))
    ctx.clock.to(30)
    tab.beat(seq=1, played=(15, 600), event="ended")
    ctx.clock.to(35)
    tab.beat(seq=1, played=(0, 600), event="seek", visible=True, playing=True)


def out_of_order(ctx):
    tab = ctx.tab()
    tab.open()
    ctx.clock.to(30)
    tab.beat(seq=2, played=(15, 30))  # 30 s after the open: a 20 s window
    ctx.clock.to(31)
    tab.beat(seq=1, played=(0, 15))  # one second since: 1.5 media seconds
    ctx.clock.to(45)
    tab.beat(seq=3, played=(30, 45))  # 14 s: all 15 media seconds


def two_tabs_one_lesson(ctx):
    a, b = ctx.tab(), ctx.tab()
    script = [(0, a, None), (7, b, None)]
    script += [(15 * i, a, (15 * (i - 1), 15 * i)) for i in range(1, 5)]
    script += [(7 + 15 * i, b, (100 + 15 * (i - 1), 100 + 15 * i)) for i in range(1, 4)]
    for t, tab, played in sorted(script, key=lambda s: s[0]):
        ctx.clock.to(t)
        tab.beat(played=played) if played else tab.open()


def two_tabs_two_lessons(ctx):
    video, reading = ctx.tab(), ctx.tab(ctx.world.reading)
    script = [(0, video, None), (5, reading, None)]
    script += [(15 * i, video, (15 * (i - 1), 15 * i)) for i in range(1, 5)]
    script += [(5 + 15 * i, reading, "read") for i in range(1, 4)]
    for t, tab, played in sorted(script, key=lambda s: s[0]):
        ctx.clock.to(t)
        if played is None:
            tab.open()
        elif played == "read":
            tab.beat(playing=False)
        else:
            tab.beat(played=played)


def sessions_in_lockstep(n):
    """N tabs, each playing its own slice of the video at 1×, all beating together."""

    def script(ctx):
        slice_ = D / n
        tabs = [ctx.tab() for _ in range(n)]
        for tab in tabs:
            tab.open()
        t = 0.0
        while t < slice_:
            step = min(15.0, slice_ - t)
            ctx.clock.to(t + step)
            for i, tab in enumerate(tabs):
                tab.beat(played=(i * slice_ + t, i * slice_ + t + step))
            t += step

    return script


def sessions_staggered(n):
    """N tabs opened 20/N s apart, each beating once after the longest window (20 s),
    each claiming its whole slice of the video."""

    def script(ctx):
        gap = 20.0 / n
        tabs = [ctx.tab() for _ in range(n)]
        for i, tab in enumerate(tabs):
            ctx.clock.to(i * gap)
            tab.open()
        for i, tab in enumerate(tabs):
            ctx.clock.to(20 + i * gap)
            tab.beat(played=(i * D / n, (i + 1) * D / n))

    return script


def idle_resumed(ctx):
    tab = ctx.tab()
    tab.open()
    ticks(ctx, tab, start_t=0, start_media=0, n=2)
    ctx.clock.to(30 + 720)  # 12 minutes without a beat
    tab.beat(played=(30, 600))  # "I played all of it meanwhile": one 20 s window
    ctx.clock.to(765)
    tab.beat(played=(60, 75))


def hidden_tab(ctx):
    tab = ctx.tab()
    tab.open()
    ticks(ctx, tab, start_t=0, start_media=0, n=2)
    ticks(ctx, tab, start_t=30, start_media=30, n=4, visible=False)
    ctx.clock.to(105)
    tab.beat(played=(90, 105), event="show")


def not_playing(ctx):
    tab = ctx.tab()
    tab.open()
    ticks(ctx, tab, start_t=0, start_media=0, n=10, playing=False)


def locked_lesson(ctx):
    course = make_course(enforce_order=True)
    make_reading_lesson(course, minutes=1)
    second = make_video_lesson(course, duration=D)
    tab = ctx.tab(second)
    tab.open(expect=404)
    ctx.clock.to(15)
    tab.beat(played=(0, 15), expect=404)
    return second


def mid_session(change, status):
    def script(ctx):
        tab = ctx.tab()
        tab.open()
        ticks(ctx, tab, start_t=0, start_media=0, n=2)
        change(ctx)
        for t in (45, 60):
            ctx.clock.to(t)
            answer = tab.beat(played=(t - 15, t), expect=status)
            assert answer["detail"]

    return script


def unpublish(ctx):
    ctx.video.unpublish()


def deactivate(ctx):
    ctx.alice.is_active = False
    ctx.alice.save(update_fields=["is_active"])


def move_audience(ctx):
    course = ctx.world.course
    course.audience_everyone = False
    course.save()
    course.audience_units.set([ctx.world.org.west_branch])


@dataclass(frozen=True)
class Case:
    script: object
    wall: float  # wall-clock seconds the scenario takes in real play
    coverage: float  # media seconds credited on the attacked video
    engaged: float  # engaged seconds credited to the member, all lessons together
    completed: bool = False


CASES = {
    "honest 1x": Case(honest, 600, 600, 600, True),
    "2x playback": Case(double_speed, 300, 450, 300),
    "seek to the end": Case(seek_to_the_end, 4, 4, 4),
    "one beat claiming the whole video": Case(one_beat_claims_the_whole_video, 600, 30, 20),
    "first beat claiming the whole video": Case(first_beat_claims_the_whole_video, 0, 0, 0),
    "replay (same beats resent 10x)": Case(replay, 40, 30, 30),
    "same seq with another body": Case(same_seq_another_body, 35, 15, 15),
    "out of order": Case(out_of_order, 45, 15 + 1.5 + 15, 20 + 1 + 14),
    "two tabs on one lesson": Case(two_tabs_one_lesson, 60, 15 + 3 * 12 + 3 * 10.5, 60),
    "two tabs on two lessons": Case(two_tabs_two_lessons, 60, 60, 60),
    "2 sessions claiming slices, lockstep": Case(sessions_in_lockstep(2), 300, 300, 300),
    "20 sessions claiming slices, lockstep": Case(sessions_in_lockstep(20), 30, 30, 30),
    "200 sessions claiming slices, lockstep": Case(sessions_in_lockstep(200), 3, 3, 3),
    "2 sessions claiming slices, staggered": Case(sessions_staggered(2), 30, 30 + 15, 30),
    "20 sessions claiming slices, staggered": Case(sessions_staggered(20), 39, 30 + 19 * 1.5, 39),
    "200 sessions claiming slices, staggered": Case(
        sessions_staggered(200), 39.9, 3 + 199 * 0.15, 39.9
    ),
    "idle session resumed after 12 min": Case(idle_resumed, 765, 30 + 30 + 15, 30 + 20 + 15),
    "hidden tab": Case(hidden_tab, 105, 45, 45),
    "playing: false beats": Case(not_playing, 150, 0, 0),
    "locked lesson (enforce_order)": Case(locked_lesson, 15, 0, 0),
    "lesson unpublished mid-session": Case(mid_session(unpublish, 404), 60, 30, 30),
    "member deactivated mid-session": Case(mid_session(deactivate, 403), 60, 30, 30),
    "audience moved mid-session": Case(mid_session(move_audience, 404), 60, 30, 30),
}


@pytest.mark.parametrize("name", list(CASES))
def test_attack_table(attack, name):
    case = CASES[name]
    lesson = case.script(attack) or attack.video
    alice = attack.alice

    assert attack.clock.t == pytest.approx(case.wall, abs=1e-6)
    summary = WatchSummary.objects.filter(user=alice, lesson=lesson).first()
    coverage = summary.coverage_seconds if summary else 0.0
    completed = bool(summary and summary.completed_at)
    engaged = WatchSummary.objects.filter(user=alice).aggregate(s=Sum("engaged_seconds"))["s"]
    assert coverage == pytest.approx(case.coverage, abs=1e-3)
    assert (engaged or 0.0) == pytest.approx(case.engaged, abs=1e-3)
    assert completed is case.completed
    done = LessonProgress.objects.filter(
        user=alice, lesson=lesson, state=LessonProgress.State.DONE
    ).exists()
    assert done is case.completed
    # the rules themselves: one budget per member
    assert coverage <= RATE * (engaged or 0.0) + 1e-6
    assert (engaged or 0.0) <= case.wall + 1e-6
    # the per-beat log explains the summaries, the member's day and the replay agrees
    logged = WatchBeat.objects.filter(user=alice).aggregate(s=Sum("engaged_seconds"))["s"]
    assert (logged or 0.0) == pytest.approx(case.engaged, abs=1e-3)
    claim = WatchClaim.objects.filter(user=alice).first()
    assert (claim.day_seconds if claim else 0.0) == pytest.approx(case.engaged, abs=1e-3)
    assert watch_log_replay(user=alice) == []


# --- the fastest path to "completed" ---------------------------------------------


@pytest.mark.parametrize("sessions", [1, 4])
def test_fastest_path_to_completed_takes_at_least_095_d_over_rate(attack, sessions):
    """The strongest attacker we can write: ``sessions`` tabs opened 20/N s apart, each
    beating exactly every 20 s (the longest window), each beat claiming the next 30 media
    seconds (1.5 × 20) beyond what the server has credited so far."""
    gap = 20.0 / sessions
    tabs = [attack.tab() for _ in range(sessions)]
    for i, tab in enumerate(tabs):
        attack.clock.to(i * gap)
        tab.open()
    cursor, completed_at, k = 0.0, None, 0
    while completed_at is None:
        k += 1
        assert k <= 10_000
        i = (k - 1) % sessions
        attack.clock.to((i * gap) + 20.0 * ((k - 1) // sessions + 1))
        answer = tabs[i].beat(played=(cursor, min(D, cursor + 30.0)))
        cursor = answer["coverage"]
        if answer["completed"]:
            completed_at = attack.clock.t
    assert completed_at >= 0.95 * D / RATE
    # and in fact not before D ÷ 1.5 (engaged must reach it), which this attacker meets
    assert completed_at == pytest.approx(D / RATE, abs=1e-3)
    summary = WatchSummary.objects.get(user=attack.alice, lesson=attack.video)
    assert summary.engaged_seconds == pytest.approx(D / RATE, abs=1e-3)
    assert summary.coverage_seconds >= 0.95 * D
    assert watch_log_replay(user=attack.alice) == []


# --- refused requests ---------------------------------------------------------------


def _nested(depth):
    return "[" * depth + "]" * depth


@pytest.mark.parametrize(
    "raw",
    [
        _nested(1024),  # 2 KB of nested arrays
        '{"token": ' + _nested(1000) + "}",
        "[1, 2]",
        "[]",
        "42",
        "3.5",
        '"a string"',
        "null",
        "true",
        "not json",
        "{" * 2048,
        "x" * 5000,  # larger than any beat
    ],
)
def test_body_that_is_not_a_beat_object_is_400(world, raw):
    with time_machine.travel(T0, tick=False):
        response = post(raw, raw=True)
    assert response.status_code == 400, response.content
    assert response.json()["detail"]
    assert not WatchSession.objects.exists()


@pytest.mark.parametrize("raw", ["", "{}"])
def test_empty_body_or_object_is_a_beat_without_a_token_403(world, raw):
    # DRF hands an empty body to the view as {}: no token, so refused as unauthenticated
    with time_machine.travel(T0, tick=False):
        response = post(raw, raw=True)
    assert response.status_code == 403
    assert not WatchSession.objects.exists()


def test_nested_arrays_in_a_field_of_a_valid_beat_is_400(world):
    with time_machine.travel(T0, tick=False):
        body = Tab(world.alice, world.video).body(seq=0)
        body["session"] = json.loads(_nested(200))
        response = post(body)
    assert response.status_code == 400
    assert not WatchSession.objects.exists()


def _forged(ctx):
    token = beat_token_for(user_id=ctx.alice.pk, lesson_id=ctx.video.pk)
    return token[:-2] + ("AA" if not token.endswith("AA") else "BB")


TOKENS = {
    "forged signature": _forged,
    "not a token": lambda ctx: "nonsense",
    "no token": lambda ctx: None,
    "a number": lambda ctx: 7,
    "another member's token": lambda ctx: beat_token_for(
        user_id=ctx.world.bob.pk, lesson_id=ctx.video.pk
    ),
    "another lesson's token": lambda ctx: beat_token_for(
        user_id=ctx.alice.pk, lesson_id=ctx.world.reading.pk
    ),
}


@pytest.mark.parametrize("name", list(TOKENS))
def test_bad_token_mid_session_is_403_and_credits_nothing(attack, name):
    """Alice's tab is open; a beat for her session with any other token is refused."""
    tab = attack.tab()
    tab.open()
    attack.clock.to(15)
    tab.beat(played=(0, 15))
    attack.clock.to(30)
    body = tab.body(seq=2, played=(15, 30))
    body["token"] = TOKENS[name](attack)
    if body["token"] is None:
        body.pop("token")
    response = post(body)
    assert response.status_code == 403, response.content
    assert response.json()["detail"]
    assert WatchBeat.objects.count() == 2
    summary = WatchSummary.objects.get(user=attack.alice)
    assert (summary.coverage_seconds, summary.engaged_seconds) == (15, 15)
    assert not WatchSummary.objects.filter(user=attack.world.bob).exists()


def test_borrowed_session_of_another_member_is_403(attack):
    alice_tab = attack.tab()
    alice_tab.open()
    attack.clock.to(15)
    alice_tab.beat(played=(0, 15))
    # Bob, with his own valid token, sends beats for Alice's session id
    bob_tab = Tab(attack.world.bob, attack.video, session=alice_tab.session)
    attack.clock.to(30)
    bob_tab.beat(seq=2, played=(15, 30), expect=403)
    bob_tab.beat(seq=1, played=(0, 15), expect=403)
    assert WatchBeat.objects.count() == 2
    assert not WatchSummary.objects.filter(user=attack.world.bob).exists()
    assert WatchSummary.objects.get(user=attack.alice).engaged_seconds == 15
    # and Alice's session goes on unharmed
    attack.clock.to(45)
    assert alice_tab.beat(played=(15, 45))["engaged_seconds"] == 15 + 20


def test_borrowed_session_for_another_lesson_is_400(attack):
    tab = attack.tab()
    tab.open()
    other = Tab(attack.alice, attack.world.reading, session=tab.session)
    attack.clock.to(15)
    other.beat(seq=1, playing=False, expect=400)
    assert WatchBeat.objects.count() == 1
