"""Pure arithmetic of the watch log: intervals, coverage, engaged time, hours.

No Django imports: everything here is a function of plain numbers, so the heartbeat
service, the ledger recomputation and the bench's independent truth check all use (or
can be checked against) the same few lines, and they are tested exhaustively on their own.

Times are float seconds. Wall-clock times are seconds since the epoch (server clock).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

Interval = tuple[float, float]

HOURS_QUANTUM = Decimal("0.01")


def merge(intervals: Iterable[Sequence[float]]) -> list[Interval]:
    """Sorted, disjoint union of ``intervals``; empty and inverted ones are dropped.

    Touching intervals ([0, 5] and [5, 9]) merge into one.
    """
    items = sorted((float(a), float(b)) for a, b in intervals if b > a)
    merged: list[Interval] = []
    for a, b in items:
        if merged and a <= merged[-1][1]:
            if b > merged[-1][1]:
                merged[-1] = (merged[-1][0], b)
        else:
            merged.append((a, b))
    return merged


def total(intervals: Iterable[Sequence[float]]) -> float:
    """Length of the union of ``intervals``."""
    return sum(b - a for a, b in merge(intervals))


def clamp(interval: Sequence[float], low: float, high: float) -> Interval | None:
    """``interval`` cut to ``[low, high]``; None when nothing is left."""
    a, b = max(float(interval[0]), low), min(float(interval[1]), high)
    return (a, b) if b > a else None


def uncovered(interval: Sequence[float], covered: Iterable[Sequence[float]]) -> list[Interval]:
    """The parts of ``interval`` that no interval of ``covered`` overlaps."""
    a, b = float(interval[0]), float(interval[1])
    if b <= a:
        return []
    gaps: list[Interval] = []
    cursor = a
    for ca, cb in merge(covered):
        if cb <= cursor:
            continue
        if ca >= b:
            break
        if ca > cursor:
            gaps.append((cursor, min(ca, b)))
        cursor = max(cursor, cb)
        if cursor >= b:
            break
    if cursor < b:
        gaps.append((cursor, b))
    return gaps


def add(
    covered: Iterable[Sequence[float]], interval: Sequence[float]
) -> tuple[list[Interval], float]:
    """``covered`` ∪ ``interval`` and the length this adds."""
    gained = sum(y - x for x, y in uncovered(interval, covered))
    return merge([*covered, interval]), gained


def trim_to(interval: Sequence[float], allowance: float) -> Interval | None:
    """``interval`` shortened from its end to at most ``allowance`` seconds."""
    a, b = float(interval[0]), float(interval[1])
    if allowance <= 0 or b <= a:
        return None
    return (a, min(b, a + allowance))


def is_finite(*values: float | None) -> bool:
    return all(v is None or (isinstance(v, int | float) and math.isfinite(v)) for v in values)


@dataclass(frozen=True)
class BeatRules:
    """The figures that decide a beat's credit (from Django settings, passed in)."""

    interval: float = 15.0
    grace: float = 5.0
    max_rate: float = 1.5

    @property
    def max_gap(self) -> float:
        return self.interval + self.grace


@dataclass(frozen=True)
class SessionState:
    """What the server remembers of one watch session between two beats."""

    started_at: float  # server time of the first beat received
    last_beat_at: float | None  # server time of the previous beat received (None: first)
    media_claimed: float = 0.0  # media seconds credited in this session so far (after trims)


@dataclass(frozen=True)
class BeatCredit:
    coverage_interval: Interval | None  # the media interval credited (clamped and trimmed)
    media_claimed: float  # the session's new media_claimed
    engaged_window: Interval | None  # wall-clock window this beat may claim for engaged time


def beat_credit(
    *,
    state: SessionState,
    now: float,
    interval: Sequence[float] | None,
    duration: float,
    playing: bool,
    visible: bool,
    reading: bool,
    rules: BeatRules,
) -> BeatCredit:
    """What one beat earns, before the member-wide "one place at a time" rule.

    Coverage: the played interval, only while visible, clamped to ``[0, duration]`` and
    trimmed from its end so that the session never credits more media seconds than
    (server seconds since the session's first beat) × ``max_rate``. For beats in order
    this is exactly "no longer than (seconds since the previous beat) × max_rate"; for
    beats out of order or sent in a burst after being offline, it credits what the
    elapsed wall-clock time can explain and nothing more.

    Engaged time: the wall-clock window from the previous beat received in this session
    to now, at most ``interval + grace`` long, when the member was playing and the tab
    visible (reading lessons: visible). The first beat of a session opens it and earns
    no engaged time.
    """
    coverage = None
    media_claimed = state.media_claimed
    if interval is not None and visible and not reading and duration > 0:
        clamped = clamp(interval, 0.0, float(duration))
        if clamped is not None:
            elapsed = max(0.0, now - state.started_at)
            allowance = elapsed * rules.max_rate - state.media_claimed
            coverage = trim_to(clamped, allowance)
            if coverage is not None:
                media_claimed += coverage[1] - coverage[0]
    window = None
    active = visible and (reading or playing)
    if active and state.last_beat_at is not None and now > state.last_beat_at:
        gap = min(now - state.last_beat_at, rules.max_gap)
        window = (now - gap, now)
    return BeatCredit(coverage, media_claimed, window)


def claim(
    *, claimed: Sequence[Sequence[float]], window: Interval | None, now: float, horizon: float
) -> tuple[list[Interval], float]:
    """Claim the wall-clock ``window`` for a member: "one place at a time".

    ``claimed`` are the member's already credited wall-clock intervals. Returns the new
    claimed set, pruned of everything that ended before ``now - horizon`` (no later
    window can reach back that far), and the seconds newly credited.
    """
    kept = [(a, b) for a, b in claimed if b >= now - horizon]
    if window is None:
        return merge(kept), 0.0
    merged, gained = add(kept, window)
    return merged, gained


def reading_cap(*, engaged_so_far: float, gained: float, estimated_seconds: float) -> float:
    """Engaged seconds a reading lesson may still earn: at most 2× its estimated time."""
    if estimated_seconds <= 0:
        return 0.0
    room = max(0.0, 2 * estimated_seconds - engaged_so_far)
    return min(gained, room)


def beat_outcome(
    *,
    state: SessionState,
    now: float,
    played_from: float | None,
    played_to: float | None,
    duration: float,
    playing: bool,
    visible: bool,
    reading: bool,
    estimated_seconds: float,
    engaged_so_far: float,
    claimed: Sequence[Sequence[float]],
    rules: BeatRules,
) -> tuple[BeatCredit, list[Interval], float]:
    """One beat through all of the arithmetic, as the service credits it and the audit
    replays it: its credit, the member's claimed wall-clock set after it, and the engaged
    seconds it earns (one place at a time; for a reading lesson, within its cap)."""
    interval = None
    if played_from is not None and played_to is not None:
        interval = (played_from, played_to)
    credit = beat_credit(
        state=state,
        now=now,
        interval=interval,
        duration=duration,
        playing=playing,
        visible=visible,
        reading=reading,
        rules=rules,
    )
    claimed_after, engaged = claim(
        claimed=claimed, window=credit.engaged_window, now=now, horizon=2 * rules.max_gap
    )
    if reading:
        engaged = reading_cap(
            engaged_so_far=engaged_so_far, gained=engaged, estimated_seconds=estimated_seconds
        )
    return credit, claimed_after, engaged


def is_complete(
    *,
    coverage: float,
    duration: float,
    engaged: float,
    reading: bool,
    estimated_seconds: float,
    threshold: float,
) -> bool:
    """Video lessons: coverage ≥ threshold × duration. Reading: engaged ≥ estimated time."""
    if reading:
        return estimated_seconds > 0 and engaged >= estimated_seconds
    return duration > 0 and coverage >= threshold * duration - 1e-9


def engaged_hours(
    *, seconds: float, minutes_per_hour: int, daily_cap: Decimal | None = None
) -> Decimal:
    """Study hours for a day's engaged seconds, rounded down to 0.01 h, capped per day."""
    if minutes_per_hour <= 0 or seconds <= 0:
        return Decimal("0.00")
    # Work in whole milliseconds so that float noise never moves a rounding boundary.
    millis = Decimal(round(seconds * 1000))
    hours = (millis / Decimal(minutes_per_hour * 60 * 1000)).quantize(
        HOURS_QUANTUM, rounding=ROUND_DOWN
    )
    if daily_cap is not None and hours > daily_cap:
        hours = daily_cap.quantize(HOURS_QUANTUM, rounding=ROUND_DOWN)
    return hours
