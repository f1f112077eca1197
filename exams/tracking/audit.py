"""Replay of the raw watch log: what every beat should have been credited.

The heartbeat service stores, with each raw beat, what it credited. This replays the raw
fields alone (server receive times, flags, intervals, in the order they were credited)
through the same rules (``crediting.beat_outcome``) and reports any beat whose stored
credit differs — so the credited figures, and the ledger built from them, can be audited
from the log.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser

from . import crediting
from .conf import tracking_settings
from .models import WatchBeat, WatchSession


@dataclass(frozen=True)
class BeatDifference:
    beat_id: int
    stored: tuple[float | None, float | None, float]
    replayed: tuple[float | None, float | None, float]


def watch_log_replay(*, user: AbstractBaseUser) -> list[BeatDifference]:
    """Differences between stored and replayed credit for all of ``user``'s beats."""
    rules = tracking_settings().beat_rules()
    sessions = {s.pk: s for s in WatchSession.objects.filter(user=user)}
    last_beat_at: dict[int, float | None] = defaultdict(lambda: None)
    intervals: dict[int, list] = defaultdict(list)
    engaged: dict[int, float] = defaultdict(float)
    claimed: list = []
    differences = []
    for beat in WatchBeat.objects.filter(user=user).order_by("received_at", "pk"):
        session = sessions[beat.session_id]
        played = None
        if beat.from_seconds is not None and beat.to_seconds is not None:
            played = (beat.from_seconds, beat.to_seconds)
        outcome = crediting.beat_outcome(
            beat=crediting.Beat(
                now=beat.received_at.timestamp(),
                played=played,
                playing=beat.playing,
                visible=beat.visible,
            ),
            last_beat_at=last_beat_at[session.pk],
            lesson=crediting.Lesson(
                duration=session.duration,
                reading=session.is_reading,
                estimated_seconds=session.estimated_seconds,
            ),
            intervals=intervals[session.summary_id],
            engaged_so_far=engaged[session.summary_id],
            claimed=claimed,
            rules=rules,
        )
        last_beat_at[session.pk] = beat.received_at.timestamp()
        intervals[session.summary_id] = outcome.intervals
        engaged[session.summary_id] = outcome.engaged_seconds
        claimed = outcome.claimed
        cov = outcome.coverage
        replayed = (cov[0] if cov else None, cov[1] if cov else None, outcome.engaged)
        stored = (beat.credited_from, beat.credited_to, beat.engaged_seconds)
        if replayed != stored:
            differences.append(BeatDifference(beat.pk, stored, replayed))
    return differences
