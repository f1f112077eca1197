"""Pure arithmetic and rules of the watch log: intervals, coverage, engaged time.

No Django imports: everything here is a function of plain numbers, so the heartbeat
service, the audit's replay and the bench's independent truth check all use (or can be
checked against) the same few lines, and they are tested exhaustively on their own.

Times are float seconds. Wall-clock times are seconds since the epoch (server clock).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

Interval = tuple[float, float]


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
    """The figures that decide a beat's credit (``exams.tracking.conf``, passed in)."""

    interval: float = 15.0
    grace: float = 5.0
    max_rate: float = 1.5
    completion_threshold: float = 0.95
    # Engaged time a lesson may earn, as a multiple of its duration (video) or of its
    # estimated time (reading): staying on a lesson forever earns nothing more.
    engaged_cap_factor: float = 2.0

    @property
    def max_gap(self) -> float:
        return self.interval + self.grace

    @property
    def horizon(self) -> float:
        """How far back a later window can reach: older claims can be forgotten."""
        return 2 * self.max_gap


@dataclass(frozen=True)
class Lesson:
    """What crediting needs to know of a lesson (stored with the watch session)."""

    duration: float  # media seconds; 0 for a reading lesson
    reading: bool
    estimated_seconds: float


@dataclass(frozen=True)
class Beat:
    """A beat as the server saw it: its server time and the client's claims."""

    now: float
    played: Interval | None  # media interval the client says it played since its last beat
    playing: bool
    visible: bool


@dataclass(frozen=True)
class Outcome:
    """Everything one beat changes, computed from what the server saw."""

    window: Interval | None  # wall-clock window the beat claimed (None: nothing)
    claimed: list[Interval]  # the member's claimed wall-clock set after the beat
    engaged: float  # engaged seconds credited to the lesson
    coverage: Interval | None  # media interval credited (clamped and trimmed)
    intervals: list[Interval]  # the lesson's covered media intervals after the beat
    coverage_seconds: float
    engaged_seconds: float  # the lesson's engaged seconds after the beat
    completes: bool  # the beat completes the lesson


def beat_window(*, last_beat_at: float | None, beat: Beat, rules: BeatRules) -> Interval | None:
    """The wall-clock window a beat claims: from the session's previous beat to now, at
    most ``interval + grace`` long, while the member is active on the page (video:
    playing and visible; reading: visible). The first beat of a session opens it and
    claims nothing; an idle session claims no more than any other beat.
    """
    if last_beat_at is None or beat.now <= last_beat_at or not beat.visible:
        return None
    return (max(last_beat_at, beat.now - rules.max_gap), beat.now)


def engaged_room(*, lesson: Lesson, engaged_so_far: float, rules: BeatRules) -> float:
    """Engaged seconds the lesson may still earn (its cap less what it has)."""
    base = lesson.estimated_seconds if lesson.reading else lesson.duration
    return max(0.0, rules.engaged_cap_factor * base - engaged_so_far)


def is_complete(*, lesson: Lesson, coverage: float, engaged: float, rules: BeatRules) -> bool:
    """Reading: engaged ≥ the estimated time. Video: coverage ≥ threshold × duration *and*
    engaged ≥ duration ÷ max rate — the least wall-clock time that could have covered it."""
    if lesson.reading:
        return lesson.estimated_seconds > 0 and engaged >= lesson.estimated_seconds - 1e-9
    if lesson.duration <= 0:
        return False
    return (
        coverage >= rules.completion_threshold * lesson.duration - 1e-9
        and engaged >= lesson.duration / rules.max_rate - 1e-9
    )


def beat_outcome(
    *,
    beat: Beat,
    last_beat_at: float | None,
    lesson: Lesson,
    intervals: Sequence[Sequence[float]],
    engaged_so_far: float,
    claimed: Sequence[Sequence[float]],
    rules: BeatRules,
) -> Outcome:
    """One beat through all of the rules; the heartbeat service stores what this returns
    and the audit replays it. One budget per member:

    1. The beat claims its window (``beat_window``) for the member; only the part of it
       no other beat of the member (any tab, device or lesson) claimed is new — "one
       place at a time". A reading lesson's window counts while visible; a video's only
       while playing and visible.
    2. Engaged seconds: that new part, within the lesson's cap (``engaged_room``).
    3. Coverage: the played interval, clamped to the media, trimmed from its end to
       ``max_rate`` × the engaged seconds just credited. So across all of a member's
       sessions, the media seconds credited in any stretch of time are at most
       ``max_rate`` × the wall-clock seconds credited to them.
    """
    active = beat.visible and (lesson.reading or beat.playing)
    window = beat_window(last_beat_at=last_beat_at, beat=beat, rules=rules) if active else None
    kept = [(float(a), float(b)) for a, b in claimed if b >= beat.now - rules.horizon]
    gained = 0.0
    if window is not None:
        kept, gained = add(kept, window)
    else:
        kept = merge(kept)
    engaged = min(gained, engaged_room(lesson=lesson, engaged_so_far=engaged_so_far, rules=rules))
    coverage = None
    merged = merge(intervals)
    covered = sum(b - a for a, b in merged)
    if beat.played is not None and not lesson.reading and engaged > 0 and lesson.duration > 0:
        clamped = clamp(beat.played, 0.0, float(lesson.duration))
        coverage = trim_to(clamped, engaged * rules.max_rate) if clamped else None
        if coverage is not None:
            merged, _gained = add(merged, coverage)
            covered = sum(b - a for a, b in merged)
    engaged_after = engaged_so_far + engaged
    return Outcome(
        window=window,
        claimed=kept,
        engaged=engaged,
        coverage=coverage,
        intervals=merged,
        coverage_seconds=covered,
        engaged_seconds=engaged_after,
        completes=is_complete(lesson=lesson, coverage=covered, engaged=engaged_after, rules=rules),
    )
