"""The heartbeat service: one beat in, the watch log and the ledger updated, figures out.

The hot path of the platform. Per beat, in one short transaction: lock the member's
``WatchClaim`` row (SELECT … FOR UPDATE: every beat of one member is serialised, across
sessions, tabs, devices and server processes), read the session with its summary (one
query), insert the beat (``INSERT … ON CONFLICT DO NOTHING RETURNING``: a replay inserts
nothing and credits nothing), then three small UPDATEs (session, summary, claim). The full
scope check (``lesson_visible_to``) runs once, when a session is created; later beats of
the session only check that the session is the member's.
"""

from __future__ import annotations

import json
import uuid as uuid_module
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, connection, models, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import conf, crediting
from ..models import WatchBeat, WatchClaim, WatchSession, WatchSummary
from .ledger import engaged_entry_for_beat, rules_current


class HeartbeatRefused(Exception):
    """The beat is refused; ``status`` is the HTTP status the API answers with."""

    def __init__(self, detail: str, *, status: int) -> None:
        super().__init__(detail)
        self.detail = detail
        self.status = status


@dataclass(frozen=True)
class HeartbeatResult:
    coverage: float
    coverage_ratio: float
    engaged_seconds: float
    completed: bool
    resume_position: float
    duplicate: bool = False
    credited_coverage: float = 0.0
    credited_engaged: float = 0.0


@dataclass(frozen=True)
class BeatInput:
    """A validated beat (see ``exams.serializers.HeartbeatInputSerializer``)."""

    session: uuid_module.UUID
    seq: int
    event: str
    playing: bool
    visible: bool
    from_seconds: float | None = None
    to_seconds: float | None = None
    rate: float = 1.0
    position: float | None = None
    client_time: int | None = None

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> BeatInput:
        return cls(
            session=payload["session"],
            seq=payload["seq"],
            event=payload["event"],
            playing=payload["playing"],
            visible=payload["visible"],
            from_seconds=payload.get("from"),
            to_seconds=payload.get("to"),
            rate=payload.get("rate", 1.0),
            position=payload.get("position"),
            client_time=payload.get("client_time"),
        )


def _result(summary: WatchSummary, **extra: Any) -> HeartbeatResult:
    return HeartbeatResult(
        coverage=summary.coverage_seconds,
        coverage_ratio=summary.coverage_ratio,
        engaged_seconds=summary.engaged_seconds,
        completed=summary.completed_at is not None,
        resume_position=summary.last_position,
        **extra,
    )


def _lock_claim(*, user_id: int) -> WatchClaim:
    claim = WatchClaim.objects.select_for_update().filter(user_id=user_id).first()
    if claim is None:
        # First beat ever: create the row (a concurrent first beat makes this raise
        # IntegrityError; the caller retries and then finds the row).
        WatchClaim.objects.create(user_id=user_id)
        claim = WatchClaim.objects.select_for_update().get(user_id=user_id)
    return claim


def _session_open(
    *, user: AbstractBaseUser, lesson_id: int, beat: BeatInput, now: datetime
) -> WatchSession:
    """The one full scope check of a session, and its creation."""
    from courses.models import LessonPage
    from courses.selectors import lesson_visible_to

    lesson = LessonPage.objects.filter(pk=lesson_id).first()
    if lesson is None:
        raise HeartbeatRefused(_("There is no such lesson."), status=400)
    if not lesson_visible_to(user=user, lesson=lesson):
        raise HeartbeatRefused(_("This lesson is not open to you."), status=404)
    video = lesson.lecture_video
    duration = float(getattr(video, "duration", 0) or 0) if video is not None else 0.0
    reading = video is None
    summary, _created = WatchSummary.objects.get_or_create(
        user=user, lesson=lesson, defaults={"duration": duration}
    )
    summary.duration = duration  # written with the beat's summary update
    session = WatchSession.objects.create(
        uuid=beat.session,
        user=user,
        lesson=lesson,
        summary=summary,
        duration=duration,
        is_reading=reading,
        estimated_seconds=float(lesson.estimated_minutes or 0) * 60,
        started_at=now,
        last_beat_at=now,
        last_seq=beat.seq,
    )
    # (The lesson page's view records the lesson as started; the player's beats follow.)
    return session


BEAT_COLUMNS = (
    "session_id",
    "user_id",
    "seq",
    "from_seconds",
    "to_seconds",
    "rate",
    "event",
    "playing",
    "visible",
    "position",
    "client_time",
    "received_at",
    "credited_from",
    "credited_to",
    "engaged_seconds",
)


@dataclass
class _Writes:
    """Everything one credited beat writes (see ``_write``)."""

    beat_values: list[Any]
    session_id: int
    session_fields: dict[str, Any]
    summary_id: int
    summary_fields: dict[str, Any]
    user_id: int
    claim_fields: dict[str, Any]


def _write(w: _Writes) -> int | None:
    """Insert the beat and, only if it was new, update session, summary and claim.

    Returns the beat's id, or None when (session, seq) was already there (a replay).
    On PostgreSQL this is ONE statement (data-modifying CTEs); elsewhere four.
    """
    qn = connection.ops.quote_name
    insert = (
        f"INSERT INTO {qn(WatchBeat._meta.db_table)} ({', '.join(qn(c) for c in BEAT_COLUMNS)}) "
        f"VALUES ({', '.join(['%s'] * len(BEAT_COLUMNS))}) "
        f"ON CONFLICT ({qn('session_id')}, {qn('seq')}) DO NOTHING RETURNING {qn('id')}"
    )
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(insert, w.beat_values)
            row = cursor.fetchone()
        if row is None:
            return None
        WatchSession.objects.filter(pk=w.session_id).update(
            **w.session_fields, beats=F("beats") + 1
        )
        WatchSummary.objects.filter(pk=w.summary_id).update(**w.summary_fields)
        WatchClaim.objects.filter(pk=w.user_id).update(**w.claim_fields)
        return row[0]

    params: list[Any] = list(w.beat_values)

    def assignments(model, fields: dict[str, Any]) -> str:
        parts = []
        for name, value in fields.items():
            field = model._meta.get_field(name)
            if isinstance(field, models.JSONField):
                parts.append(f"{qn(field.column)} = %s::jsonb")
                params.append(json.dumps(value))
            else:
                parts.append(f"{qn(field.column)} = %s")
                params.append(field.get_db_prep_save(value, connection))
        return ", ".join(parts)

    summary_set = assignments(WatchSummary, w.summary_fields)
    params.append(w.summary_id)
    session_set = assignments(WatchSession, w.session_fields)
    params.append(w.session_id)
    claim_set = assignments(WatchClaim, w.claim_fields)
    params.append(w.user_id)
    sql = (
        f"WITH b AS ({insert}), "
        f"m AS (UPDATE {qn(WatchSummary._meta.db_table)} SET {summary_set} "
        f"WHERE {qn('id')} = %s AND EXISTS (SELECT 1 FROM b)), "
        f"s AS (UPDATE {qn(WatchSession._meta.db_table)} SET {session_set}, "
        f"{qn('beats')} = {qn('beats')} + 1 WHERE {qn('id')} = %s AND EXISTS (SELECT 1 FROM b)), "
        f"c AS (UPDATE {qn(WatchClaim._meta.db_table)} SET {claim_set} "
        f"WHERE {qn('user_id')} = %s AND EXISTS (SELECT 1 FROM b)) "
        f"SELECT {qn('id')} FROM b"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return row[0] if row else None


def _beat_time(beat: BeatInput, now: datetime | None) -> datetime:
    if now is not None:
        return now
    if conf.trust_client_time() and beat.client_time is not None:
        return datetime.fromtimestamp(beat.client_time / 1000, tz=UTC)
    return timezone.now()


def heartbeat_record(
    *,
    user: AbstractBaseUser,
    lesson_id: int,
    payload: dict[str, Any] | BeatInput,
    now: datetime | None = None,
) -> HeartbeatResult:
    """Record one beat of ``user`` for lesson ``lesson_id`` and credit what it earns.

    ``payload`` is a validated beat; ``now`` is the server time of the beat (tests pass
    it; by default the clock is read once the member's lock is held, so that a member's
    beats have increasing server times in the order they are credited).

    Raises ``HeartbeatRefused`` (400 unknown lesson or a session of another lesson, 403 a
    session of another member, 404 a lesson the member may not see).
    """
    beat = payload if isinstance(payload, BeatInput) else BeatInput.from_payload(payload)
    for attempt in range(3):
        try:
            return _record(user=user, lesson_id=lesson_id, beat=beat, now=now)
        except IntegrityError:
            # Two first beats raced to create the member's claim row or the same
            # session/summary; the transaction was rolled back, so simply go again.
            if attempt == 2:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


@transaction.atomic
def _record(
    *, user: AbstractBaseUser, lesson_id: int, beat: BeatInput, now: datetime | None
) -> HeartbeatResult:
    rules = conf.beat_rules()
    claim = _lock_claim(user_id=user.pk)
    now = _beat_time(beat, now)
    t = now.timestamp()

    session = WatchSession.objects.select_related("summary").filter(uuid=beat.session).first()
    if session is None:
        session = _session_open(user=user, lesson_id=lesson_id, beat=beat, now=now)
        previous = None
    else:
        if session.user_id != user.pk:
            raise HeartbeatRefused(_("This watch session belongs to someone else."), status=403)
        if session.lesson_id != lesson_id:
            raise HeartbeatRefused(_("This watch session is for another lesson."), status=400)
        previous = session.last_beat_at.timestamp()
    summary = session.summary

    interval = None
    if beat.from_seconds is not None and beat.to_seconds is not None:
        interval = (beat.from_seconds, beat.to_seconds)
    state = crediting.SessionState(
        started_at=session.started_at.timestamp(),
        last_beat_at=previous,
        media_claimed=session.media_claimed,
    )
    credit = crediting.beat_credit(
        state=state,
        now=t,
        interval=interval,
        duration=session.duration,
        playing=beat.playing,
        visible=beat.visible,
        reading=session.is_reading,
        rules=rules,
    )
    claimed, engaged = crediting.claim(
        claimed=claim.claimed, window=credit.engaged_window, now=t, horizon=2 * rules.max_gap
    )
    if session.is_reading:
        engaged = crediting.reading_cap(
            engaged_so_far=summary.engaged_seconds,
            gained=engaged,
            estimated_seconds=session.estimated_seconds,
        )

    # Summary: union of coverage, engaged time, position, completion.
    gained_coverage = 0.0
    if credit.coverage_interval is not None:
        intervals, gained_coverage = crediting.add(summary.intervals, credit.coverage_interval)
        summary.intervals = [list(i) for i in intervals]
        summary.coverage_seconds = crediting.total(intervals)
    summary.engaged_seconds += engaged
    if beat.position is not None:
        high = session.duration if session.duration > 0 else beat.position
        summary.last_position = min(max(0.0, beat.position), high)
    newly_complete = summary.completed_at is None and crediting.is_complete(
        coverage=summary.coverage_seconds,
        duration=session.duration,
        engaged=summary.engaged_seconds,
        reading=session.is_reading,
        estimated_seconds=session.estimated_seconds,
        threshold=conf.completion_threshold(),
    )
    if newly_complete:
        summary.completed_at = now
    summary_fields = {
        "duration": session.duration,
        "engaged_seconds": summary.engaged_seconds,
        "last_position": summary.last_position,
        "completed_at": summary.completed_at,
        "updated_at": now,
    }
    if gained_coverage:
        summary_fields["intervals"] = summary.intervals
        summary_fields["coverage_seconds"] = summary.coverage_seconds

    day = timezone.localdate(now)
    day_before = claim.day_seconds if claim.day == day else 0.0
    day_after = day_before + engaged
    beat_id = _write(
        _Writes(
            beat_values=[
                session.pk,
                user.pk,
                beat.seq,
                beat.from_seconds,
                beat.to_seconds,
                beat.rate,
                beat.event,
                beat.playing,
                beat.visible,
                beat.position,
                beat.client_time,
                WatchBeat._meta.get_field("received_at").get_db_prep_value(now, connection),
                credit.coverage_interval[0] if credit.coverage_interval else None,
                credit.coverage_interval[1] if credit.coverage_interval else None,
                engaged,
            ],
            session_id=session.pk,
            session_fields={
                "last_beat_at": now,
                "last_seq": max(session.last_seq, beat.seq),
                "media_claimed": credit.media_claimed,
            },
            summary_id=summary.pk,
            summary_fields=summary_fields,
            user_id=user.pk,
            claim_fields={
                "claimed": [list(i) for i in claimed],
                "day": day,
                "day_seconds": day_after,
            },
        )
    )
    if beat_id is None:  # a replayed beat: nothing credited, current figures answered
        summary.refresh_from_db()
        return _result(summary, duplicate=True)

    if engaged > 0:
        entry = engaged_entry_for_beat(
            rules=rules_current(),
            user_id=user.pk,
            beat_id=beat_id,
            lesson_id=session.lesson_id,
            day=day,
            seconds_before=day_before,
            seconds_after=day_after,
        )
        if entry is not None:
            entry.save()

    if newly_complete:
        _lesson_complete(user=user, lesson_id=session.lesson_id, when=now)

    return _result(summary, credited_coverage=gained_coverage, credited_engaged=engaged)


def _lesson_complete(*, user: AbstractBaseUser, lesson_id: int, when: datetime) -> None:
    """Hand completion to courses (which records course completion and, through the
    ledger hook in ``course_completion_evaluate``, credits the course's hours once)."""
    from courses.models import LessonPage
    from courses.services import lesson_complete

    lesson_complete(user=user, lesson=LessonPage.objects.get(pk=lesson_id), when=when)
