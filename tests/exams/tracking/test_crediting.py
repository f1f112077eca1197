"""The pure rules of the watch log (``exams.tracking.crediting``): no database.

Each rule has a test that fails without it, and hypothesis checks the member-wide
properties over arbitrary beat sequences across sessions and lessons.
"""

import math
import random
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from exams.hours.rules import engaged_hours
from exams.tracking import crediting as c

RULES = c.BeatRules(interval=15, grace=5, max_rate=1.5, completion_threshold=0.95)
VIDEO = c.Lesson(duration=600.0, reading=False, estimated_seconds=0.0)
READING = c.Lesson(duration=0.0, reading=True, estimated_seconds=300.0)


# --- interval arithmetic ---------------------------------------------------------


@pytest.mark.parametrize(
    ("given_", "expected"),
    [
        ([], []),
        ([(0, 5)], [(0, 5)]),
        ([(5, 9), (0, 5)], [(0, 9)]),
        ([(0, 5), (6, 9)], [(0, 5), (6, 9)]),
        ([(0, 10), (2, 3)], [(0, 10)]),
        ([(3, 3), (5, 4)], []),
        ([(0, 4), (2, 8), (7, 9), (20, 21)], [(0, 9), (20, 21)]),
    ],
)
def test_merge(given_, expected):
    assert c.merge(given_) == expected


def test_merge_matches_a_brute_force_union():
    rng = random.Random(7)
    for _ in range(300):
        items = []
        for _ in range(rng.randint(0, 8)):
            a = rng.randint(0, 50)
            items.append((a, a + rng.randint(0, 10)))
        covered = {x for a, b in items for x in range(a, b)}
        assert c.total(items) == len(covered)
        merged = c.merge(items)
        assert all(b1 < a2 for (_, b1), (a2, _) in zip(merged, merged[1:], strict=False))


@pytest.mark.parametrize(
    ("interval", "covered", "expected"),
    [
        ((0, 10), [], [(0, 10)]),
        ((0, 10), [(0, 10)], []),
        ((0, 10), [(2, 4), (6, 7)], [(0, 2), (4, 6), (7, 10)]),
        ((5, 10), [(0, 6), (9, 20)], [(6, 9)]),
        ((5, 5), [], []),
    ],
)
def test_uncovered(interval, covered, expected):
    assert c.uncovered(interval, covered) == expected


def test_add_reports_the_gain():
    assert c.add([(0, 10)], (5, 15)) == ([(0, 15)], 5)
    assert c.add([(0, 10)], (2, 3)) == ([(0, 10)], 0)


@pytest.mark.parametrize(
    ("interval", "expected"),
    [((-5, 10), (0, 10)), ((590, 620), (590, 600)), ((700, 800), None), ((0, 600), (0, 600))],
)
def test_clamp(interval, expected):
    assert c.clamp(interval, 0, 600) == expected


def test_trim_from_the_end():
    assert c.trim_to((10, 50), 15) == (10, 25)
    assert c.trim_to((10, 20), 15) == (10, 20)
    assert c.trim_to((10, 20), 0) is None


def test_is_finite():
    assert c.is_finite(1.0, None, 3)
    assert not c.is_finite(math.nan)
    assert not c.is_finite(math.inf)


def test_rules_figures():
    assert RULES.max_gap == 20
    assert RULES.horizon == 40


# --- one beat ----------------------------------------------------------------------


def outcome(
    now,
    last,
    played=None,
    *,
    playing=True,
    visible=True,
    lesson=VIDEO,
    intervals=(),
    engaged=0.0,
    claimed=(),
    rules=RULES,
):
    return c.beat_outcome(
        beat=c.Beat(now=now, played=played, playing=playing, visible=visible),
        last_beat_at=last,
        lesson=lesson,
        intervals=list(intervals),
        engaged_so_far=engaged,
        claimed=list(claimed),
        rules=rules,
    )


def test_normal_beat():
    got = outcome(1015, 1000, (0, 15))
    assert got.window == (1000, 1015)
    assert got.engaged == 15
    assert got.coverage == (0, 15)
    assert got.intervals == [(0, 15)]
    assert got.coverage_seconds == 15
    assert got.engaged_seconds == 15
    assert got.claimed == [(1000, 1015)]
    assert not got.completes


def test_first_beat_of_a_session_credits_nothing_exactly():
    got = outcome(1000, None, (0, 600), claimed=[(900, 990)])
    assert got.window is None and got.coverage is None
    assert got.engaged == 0 and got.coverage_seconds == 0 and got.engaged_seconds == 0
    assert got.claimed == [(900, 990)]  # the member's claims, unchanged
    assert not got.completes


def test_first_beat_keeps_recent_claims_and_prunes_old_ones():
    got = outcome(1000, None, claimed=[(900, 950), (970, 990)])
    assert got.claimed == [(970, 990)]


@pytest.mark.parametrize("idle", [20, 21, 60, 720, 86_400])
def test_window_is_at_most_interval_plus_grace(idle):
    window = c.beat_window(
        last_beat_at=1000,
        beat=c.Beat(now=1000 + idle, played=None, playing=True, visible=True),
        rules=RULES,
    )
    assert window == (1000 + idle - 20, 1000 + idle)


def test_window_is_the_gap_when_shorter():
    beat = c.Beat(now=1007, played=None, playing=True, visible=True)
    assert c.beat_window(last_beat_at=1000, beat=beat, rules=RULES) == (1000, 1007)


@pytest.mark.parametrize("now", [999, 1000])
def test_no_window_for_a_beat_not_after_the_previous(now):
    got = outcome(now, 1000, (0, 15))
    assert got.window is None and got.engaged == 0 and got.coverage is None


def test_idle_session_does_not_accrue():
    """12 minutes idle, then one beat claiming the whole video: the beat's allowance
    comes from its 20 s window, not from the session's age."""
    got = outcome(1000 + 720, 1000, (0, 600))
    assert got.engaged == 20
    assert got.coverage == (0, 30)
    assert got.coverage_seconds == 30


@pytest.mark.parametrize(
    ("playing", "visible", "lesson", "engaged", "coverage"),
    [
        (True, True, VIDEO, 15, 15),
        (False, True, VIDEO, 0, 0),
        (True, False, VIDEO, 0, 0),
        (False, False, VIDEO, 0, 0),
        (False, True, READING, 15, 0),  # reading: visible is enough, never coverage
        (True, True, READING, 15, 0),
        (False, False, READING, 0, 0),
    ],
)
def test_credit_needs_playing_and_visible(playing, visible, lesson, engaged, coverage):
    got = outcome(1015, 1000, (0, 15), playing=playing, visible=visible, lesson=lesson)
    assert got.engaged == engaged
    assert got.coverage_seconds == coverage
    if not engaged:
        assert got.window is None and got.claimed == []


def test_fast_interval_trimmed_to_max_rate_from_its_end():
    got = outcome(1015, 1000, (0, 30))
    assert got.coverage == (0, 22.5)


def test_coverage_clamped_to_the_media():
    got = outcome(1020, 1000, (590, 610))
    assert got.coverage == (590, 600)
    assert outcome(1020, 1000, (700, 800)).coverage is None


def test_coverage_already_covered_adds_nothing_but_engaged_counts():
    got = outcome(1015, 1000, (0, 15), intervals=[(0, 100)], engaged=100)
    assert got.engaged == 15 and got.coverage_seconds == 100


def test_member_wide_budget_across_sessions():
    """Tab A credited [1000, 1015]; tab B's beat at 1015 (its session opened at 1005)
    earns only wall-clock seconds nobody claimed: none, so no coverage either."""
    a = outcome(1015, 1000, (0, 15))
    b = outcome(1015, 1005, (100, 110), claimed=a.claimed)
    assert b.window == (1005, 1015)
    assert b.engaged == 0 and b.coverage is None
    # without the member's claimed set it would have earned 10 s and 10 media seconds
    assert outcome(1015, 1005, (100, 110)).engaged == 10


def test_member_wide_budget_across_lessons():
    video = outcome(1015, 1000, (0, 15))
    reading = outcome(1020, 1000, lesson=READING, claimed=video.claimed)
    assert reading.engaged == 5
    assert reading.claimed == [(1000, 1020)]


def test_member_wide_budget_fills_holes_exactly():
    got = outcome(1030, 1010, (0, 30), claimed=[(1000, 1015), (1020, 1025)])
    assert got.engaged == 10  # [1015, 1020] and [1025, 1030]
    assert got.coverage == (0, 15)  # 1.5 × 10
    assert got.claimed == [(1000, 1030)]


def test_claims_older_than_the_horizon_are_pruned():
    got = outcome(1100, 1085, (0, 15), claimed=[(1000, 1059), (1060, 1070)])
    assert got.claimed == [(1060, 1070), (1085, 1100)]


def test_pruning_never_forgets_a_claim_a_later_window_could_reach():
    # a claim ending exactly at now - horizon is kept; a window starts ≥ now - max_gap
    got = outcome(1100, None, claimed=[(1050, 1060)])
    assert got.claimed == [(1050, 1060)]


def test_engaged_capped_at_twice_the_duration():
    got = outcome(1015, 1000, (0, 15), engaged=1195)
    assert got.engaged == 5
    assert got.coverage == (0, 7.5)  # coverage follows the engaged seconds credited
    assert got.engaged_seconds == 1200
    capped = outcome(1015, 1000, (0, 15), engaged=1200)
    assert capped.engaged == 0 and capped.coverage is None


def test_reading_engaged_capped_at_twice_the_estimate():
    assert c.engaged_room(lesson=READING, engaged_so_far=590, rules=RULES) == 10
    assert c.engaged_room(lesson=READING, engaged_so_far=600, rules=RULES) == 0
    assert c.engaged_room(lesson=READING, engaged_so_far=700, rules=RULES) == 0
    got = outcome(1015, 1000, lesson=READING, engaged=590)
    assert got.engaged == 10


def test_video_without_duration_earns_nothing():
    no_video = c.Lesson(duration=0.0, reading=False, estimated_seconds=0.0)
    got = outcome(1015, 1000, (0, 15), lesson=no_video)
    assert got.engaged == 0 and got.coverage is None and not got.completes


@pytest.mark.parametrize(
    ("coverage", "engaged", "expected"),
    [
        (569.99, 400, False),  # coverage below 95 %
        (570.0, 399.99, False),  # covered, but not watched long enough (600 ÷ 1.5)
        (570.0, 400, True),
        (600.0, 1200, True),
        (600.0, 0, False),
    ],
)
def test_completion_needs_coverage_and_engaged_time(coverage, engaged, expected):
    assert c.is_complete(lesson=VIDEO, coverage=coverage, engaged=engaged, rules=RULES) is expected


@pytest.mark.parametrize(
    ("estimated", "engaged", "expected"),
    [(300, 300, True), (300, 299, False), (300, 0, False), (0, 0, False), (0, 50, False)],
)
def test_reading_completion_is_engaged_time(estimated, engaged, expected):
    lesson = c.Lesson(duration=0.0, reading=True, estimated_seconds=estimated)
    assert c.is_complete(lesson=lesson, coverage=600, engaged=engaged, rules=RULES) is expected


def test_the_beat_reaching_both_bounds_completes():
    got = outcome(1020, 1000, (570, 600), intervals=[(0, 570)], engaged=380)
    assert got.engaged == 20 and got.coverage == (570, 600)
    assert got.coverage_seconds == 600 and got.engaged_seconds == 400
    assert got.completes


@pytest.mark.parametrize(
    ("seconds", "mph", "cap", "expected"),
    [
        (2700, 45, None, Decimal("1.00")),
        (2699, 45, None, Decimal("0.99")),
        (27, 45, None, Decimal("0.01")),
        (26.9, 45, None, Decimal("0.00")),
        (3600 * 10, 60, Decimal("4"), Decimal("4.00")),
        (0, 45, None, Decimal("0.00")),
    ],
)
def test_engaged_hours(seconds, mph, cap, expected):
    assert engaged_hours(seconds=seconds, minutes_per_hour=mph, daily_cap=cap) == expected


# --- properties over any sequence of beats ----------------------------------------

LESSONS = [
    VIDEO,
    c.Lesson(duration=90.0, reading=False, estimated_seconds=0.0),
    c.Lesson(duration=0.0, reading=True, estimated_seconds=60.0),
]

beat_steps = st.lists(
    st.tuples(
        st.integers(0, 7),  # session
        st.sampled_from([0, 0, 0.25, 1, 5, 7.5, 15, 19.999, 20, 20.001, 30, 60, 720]),  # dt
        st.booleans(),  # playing
        st.booleans(),  # visible
        st.floats(-50, 700, allow_nan=False),  # played from
        st.floats(0, 700, allow_nan=False),  # played length
        st.booleans(),  # any played interval at all
    ),
    min_size=1,
    max_size=80,
)


def simulate(steps, rules=RULES):
    """The member's beats as the service runs them (sessions 0–7 on the lessons above)."""
    now = 1_000_000.0
    last = {}
    intervals = {i: [] for i in range(len(LESSONS))}
    engaged = dict.fromkeys(range(len(LESSONS)), 0.0)
    claimed = []
    log = []
    for session, dt, playing, visible, start, length, has_played in steps:
        now += dt
        lesson_index = session % len(LESSONS)
        played = (start, start + length) if has_played else None
        got = c.beat_outcome(
            beat=c.Beat(now=now, played=played, playing=playing, visible=visible),
            last_beat_at=last.get(session),
            lesson=LESSONS[lesson_index],
            intervals=intervals[lesson_index],
            engaged_so_far=engaged[lesson_index],
            claimed=claimed,
            rules=rules,
        )
        gained_coverage = got.coverage_seconds - c.total(intervals[lesson_index])
        log.append(
            {
                "now": now,
                "session": session,
                "lesson": lesson_index,
                "first": session not in last,
                "last": last.get(session),
                "outcome": got,
                "gained_coverage": gained_coverage,
            }
        )
        last[session] = now
        intervals[lesson_index] = got.intervals
        engaged[lesson_index] = got.engaged_seconds
        claimed = got.claimed
    return log, intervals, engaged


@settings(max_examples=300, deadline=None)
@given(beat_steps)
def test_property_member_wide_budget(steps):
    log, intervals, engaged = simulate(steps)
    start = log[0]["now"]
    span = log[-1]["now"] - start
    total_engaged = sum(engaged.values())
    total_coverage = sum(c.total(i) for i in intervals.values())
    # media credited ≤ 1.5 × wall-clock credited, in total and beat by beat
    assert total_coverage <= RULES.max_rate * total_engaged + 1e-6
    for entry in log:
        assert entry["gained_coverage"] <= RULES.max_rate * entry["outcome"].engaged + 1e-6
    # engaged ≤ the wall-clock span of the member's beats
    assert total_engaged <= span + 1e-6
    # in any stretch of time (a, b]: the beats received then earn at most b − a + max_gap
    # (their windows lie in [a − max_gap, b] and never overlap), and their coverage at
    # most 1.5 × what they earned
    times = sorted({e["now"] for e in log})
    for i, a in enumerate(times):
        for b in times[i:]:
            inside = [e for e in log if a < e["now"] <= b]
            earned = sum(e["outcome"].engaged for e in inside)
            covered = sum(e["gained_coverage"] for e in inside)
            assert earned <= (b - a) + RULES.max_gap + 1e-6
            assert covered <= RULES.max_rate * earned + 1e-6


@settings(max_examples=300, deadline=None)
@given(beat_steps)
def test_property_windows_first_beats_caps_and_completion(steps):
    log, intervals, engaged = simulate(steps)
    first_beat_at = log[0]["now"]
    for entry in log:
        got = entry["outcome"]
        if entry["first"]:
            assert got.window is None and got.engaged == 0 and got.coverage is None
        if got.window is not None:
            a, b = got.window
            assert b == entry["now"] and a >= entry["last"]
            assert b - a <= RULES.max_gap + 1e-9
        assert got.engaged <= RULES.max_gap + 1e-9  # idle never accrues
        lesson = LESSONS[entry["lesson"]]
        if lesson.reading:
            assert got.coverage is None
        if got.completes:
            if lesson.reading:
                assert got.engaged_seconds >= lesson.estimated_seconds - 1e-9
            else:
                assert got.coverage_seconds >= 0.95 * lesson.duration - 1e-6
                assert got.engaged_seconds >= lesson.duration / RULES.max_rate - 1e-6
                # the fastest path: at least D ÷ 1.5 of wall-clock time since the first beat
                assert entry["now"] - first_beat_at >= lesson.duration / RULES.max_rate - 1e-6
    for index, lesson in enumerate(LESSONS):
        base = lesson.estimated_seconds if lesson.reading else lesson.duration
        assert engaged[index] <= RULES.engaged_cap_factor * base + 1e-9
        assert all(0 <= a < b <= max(lesson.duration, 0) for a, b in intervals[index])


@settings(max_examples=300, deadline=None)
@given(beat_steps)
def test_property_pruning_loses_nothing(steps):
    """With increasing server times, the pruned claimed set credits exactly what the full
    history of the member's windows would."""
    log, _intervals, _engaged = simulate(steps)
    history = []
    for entry in log:
        got = entry["outcome"]
        if got.window is None:
            assert got.engaged == 0
            continue
        fresh = sum(b - a for a, b in c.uncovered(got.window, history))
        history = c.merge([*history, got.window])
        room_before = got.engaged_seconds - got.engaged
        lesson = LESSONS[entry["lesson"]]
        room = c.engaged_room(lesson=lesson, engaged_so_far=room_before, rules=RULES)
        assert got.engaged == pytest.approx(min(fresh, room), abs=1e-6)
