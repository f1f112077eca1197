"""The pure interval and credit arithmetic (no database)."""

import math
import random
from decimal import Decimal

import pytest

from exams import crediting as c

RULES = c.BeatRules(interval=15, grace=5, max_rate=1.5)


@pytest.mark.parametrize(
    ("given", "expected"),
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
def test_merge(given, expected):
    assert c.merge(given) == expected


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


def state(started=0.0, last=None, claimed=0.0):
    return c.SessionState(started_at=started, last_beat_at=last, media_claimed=claimed)


def credit(st, now, interval, *, duration=600, playing=True, visible=True, reading=False):
    return c.beat_credit(
        state=st,
        now=now,
        interval=interval,
        duration=duration,
        playing=playing,
        visible=visible,
        reading=reading,
        rules=RULES,
    )


def test_first_beat_opens_the_session_and_credits_nothing():
    got = credit(state(started=100), 100, (0, 15))
    assert got.coverage_interval is None
    assert got.engaged_window is None


def test_normal_beat():
    got = credit(state(started=0, last=0), 15, (0, 15))
    assert got.coverage_interval == (0, 15)
    assert got.engaged_window == (0, 15)
    assert got.media_claimed == 15


def test_fast_interval_trimmed_to_max_rate():
    got = credit(state(started=0, last=0), 15, (0, 30))
    assert got.coverage_interval == (0, 22.5)


def test_session_budget_carries_over_out_of_order():
    # seq 2 ([15, 30]) arrived first at t=30, seq 1 ([0, 15]) at t=31
    first = credit(state(started=0, last=0), 30, (15, 30))
    assert first.coverage_interval == (15, 30)
    late = credit(state(started=0, last=30, claimed=first.media_claimed), 31, (0, 15))
    assert late.coverage_interval == (0, 15)


def test_engaged_gap_capped():
    got = credit(state(started=0, last=0), 600, None)
    assert got.engaged_window == (580, 600)


@pytest.mark.parametrize(
    ("playing", "visible", "reading", "engaged"),
    [
        (True, True, False, True),
        (False, True, False, False),
        (True, False, False, False),
        (False, True, True, True),
        (False, False, True, False),
    ],
)
def test_engaged_only_playing_and_visible(playing, visible, reading, engaged):
    got = credit(state(last=0), 15, None, playing=playing, visible=visible, reading=reading)
    assert (got.engaged_window is not None) is engaged


def test_hidden_interval_covers_nothing():
    assert credit(state(last=0), 15, (0, 15), visible=False).coverage_interval is None


def test_claim_counts_each_wall_clock_second_once():
    claimed, gained = c.claim(claimed=[], window=(0, 15), now=15, horizon=40)
    assert gained == 15
    claimed, gained = c.claim(claimed=claimed, window=(7, 22), now=22, horizon=40)
    assert gained == 7
    claimed, gained = c.claim(claimed=claimed, window=(10, 20), now=23, horizon=40)
    assert gained == 0
    claimed, gained = c.claim(claimed=claimed, window=None, now=100, horizon=40)
    assert claimed == [] and gained == 0


def test_claim_fills_holes_exactly():
    claimed, _ = c.claim(claimed=[(0, 5), (20, 25)], window=None, now=25, horizon=40)
    claimed, gained = c.claim(claimed=claimed, window=(10, 30), now=30, horizon=40)
    assert gained == 15  # [10, 20] and [25, 30]


def test_reading_cap():
    assert c.reading_cap(engaged_so_far=0, gained=15, estimated_seconds=300) == 15
    assert c.reading_cap(engaged_so_far=590, gained=15, estimated_seconds=300) == 10
    assert c.reading_cap(engaged_so_far=600, gained=15, estimated_seconds=300) == 0
    assert c.reading_cap(engaged_so_far=0, gained=15, estimated_seconds=0) == 0


@pytest.mark.parametrize(("coverage", "expected"), [(569.99, False), (570.0, True), (600.0, True)])
def test_completion_threshold(coverage, expected):
    assert (
        c.is_complete(
            coverage=coverage,
            duration=600,
            engaged=0,
            reading=False,
            estimated_seconds=0,
            threshold=0.95,
        )
        is expected
    )


def test_reading_completion():
    kw = {"coverage": 0, "duration": 0, "reading": True, "threshold": 0.95}
    assert c.is_complete(engaged=300, estimated_seconds=300, **kw)
    assert not c.is_complete(engaged=299, estimated_seconds=300, **kw)


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
    assert c.engaged_hours(seconds=seconds, minutes_per_hour=mph, daily_cap=cap) == expected


def test_is_finite():
    assert c.is_finite(1.0, None, 3)
    assert not c.is_finite(math.nan)
    assert not c.is_finite(math.inf)
