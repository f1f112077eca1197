"""Replay of the raw watch log: what every beat should have been credited.

The heartbeat service stores, with each raw beat, what it credited. This replays the raw
fields alone (server receive times, flags, intervals, in the order they were credited)
through the same arithmetic and reports any beat whose stored credit differs — so the
credited figures, and the ledger built from them, can be audited from the log.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser

from .. import conf, crediting
from ..models import WatchBeat, WatchSession


@dataclass(frozen=True)
class BeatDifference:
    beat_id: int
    stored: tuple[float | None, float | None, float]
    replayed: tuple[float | None, float | None, float]


def watch_log_replay(*, user: AbstractBaseUser) -> list[BeatDifference]:
    """Differences between stored and replayed credit for all of ``user``'s beats."""
    rules = conf.beat_rules()
    sessions = {s.pk: s for s in WatchSession.objects.filter(user=user)}
    state = {
        pk: crediting.SessionState(started_at=s.started_at.timestamp(), last_beat_at=None)
        for pk, s in sessions.items()
    }
    engaged_by_summary: dict[int, float] = defaultdict(float)
    claimed: list = []
    differences = []
    for beat in WatchBeat.objects.filter(user=user).order_by("received_at", "pk"):
        session = sessions[beat.session_id]
        t = beat.received_at.timestamp()
        credit, claimed, engaged = crediting.beat_outcome(
            state=state[session.pk],
            now=t,
            played_from=beat.from_seconds,
            played_to=beat.to_seconds,
            duration=session.duration,
            playing=beat.playing,
            visible=beat.visible,
            reading=session.is_reading,
            estimated_seconds=session.estimated_seconds,
            engaged_so_far=engaged_by_summary[session.summary_id],
            claimed=claimed,
            rules=rules,
        )
        engaged_by_summary[session.summary_id] += engaged
        state[session.pk] = crediting.SessionState(
            started_at=state[session.pk].started_at,
            last_beat_at=t,
            media_claimed=credit.media_claimed,
        )
        cov = credit.coverage_interval
        replayed = (cov[0] if cov else None, cov[1] if cov else None, engaged)
        stored = (beat.credited_from, beat.credited_to, beat.engaged_seconds)
        if replayed != stored:
            differences.append(BeatDifference(beat.pk, stored, replayed))
    return differences
