"""The heartbeat service: one beat in, the watch log and the ledger updated, figures out.

The hot path of the platform, at most two database round trips per beat on PostgreSQL:

1. READ (one query): the session with its summary and the member's ``WatchClaim`` row
   (the wall-clock seconds already credited, and a ``version``), and whether (session,
   seq) is already stored — a replay is answered from here and writes nothing.
   Skipped when this process wrote the session's previous beat and the new beat's seq is
   above it: the state it wrote is remembered (``session_state_cache``), and the WRITE's
   version check proves it still current.
2. WRITE (one statement, atomic by itself): bump the claim's version *if it is still the
   version read* — optimistic concurrency on one row per member — and only then insert
   the beat (unique (session, seq)) and update session and summary (data-modifying CTEs),
   and append the beat's study-hour ledger entry when it moves the day's hours (keyed by
   the new beat's id: atomic with the beat, no third round trip or second transaction).
   If another beat of the same member (a second tab or device) committed in between, the
   version moved, nothing is written, and the beat is computed again from a fresh read.
   So a member's beats are credited one at a time, in an order where their server times
   increase, across sessions, devices and server processes — "one place at a time" holds.

Elsewhere (SQLite, tests) the same write runs as a few statements in one transaction.
The full scope check (``lesson_visible_to``) runs once, when a session is created; later
beats of the session only check that the session is the member's.
"""

from __future__ import annotations

import json
import uuid as uuid_module
from contextlib import nullcontext
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, connection, models, transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import conf, crediting
from ..models import StudyHourEntry, WatchBeat, WatchClaim, WatchSession, WatchSummary
from .ledger import engaged_entry_for_beat, rules_current
from .session_state_cache import SessionStateCache


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


def _result(summary: Any, **extra: Any) -> HeartbeatResult:
    return HeartbeatResult(
        coverage=summary.coverage_seconds,
        coverage_ratio=summary.coverage_ratio,
        engaged_seconds=summary.engaged_seconds,
        completed=summary.completed_at is not None,
        resume_position=summary.last_position,
        **extra,
    )


class _Conflict(Exception):
    """Another beat of the member was credited since our read; compute again."""


def _lesson_duration(lesson) -> float:
    """The duration of the lesson's (first) lecture video, 0 without one.

    Same choice as ``LessonPage.lecture_video``, read from the body's raw data: one small
    query instead of parsing the whole StreamField.
    """
    from media_pipeline.models import LectureVideo

    for block in lesson.body.raw_data:
        if block.get("type") == "lecture_video":
            video_id = (block.get("value") or {}).get("video")
            if video_id is None:
                continue
            duration = (
                LectureVideo.objects.filter(pk=video_id).values_list("duration", flat=True).first()
            )
            if duration is not None:
                return float(duration or 0)
    return 0.0


def _member(user: AbstractBaseUser | int) -> AbstractBaseUser:
    """The member object; loaded (and checked to be active) when only the id is known —
    the beat-token path, which reads no user row for a steady-state beat."""
    if not isinstance(user, int):
        return user
    from django.contrib.auth import get_user_model

    # with the unit, which the scope check needs next
    member = (
        get_user_model()
        ._default_manager.select_related("profile__unit")
        .filter(pk=user, is_active=True)
        .first()
    )
    if member is None:
        raise HeartbeatRefused(_("This beat token is not valid."), status=403)
    return member


def _session_open(
    *, user: AbstractBaseUser | int, lesson_id: int, beat: BeatInput, now: datetime
) -> _SessionState:
    """The one full scope check of a session, and its creation (with the member's claim
    row on their first beat ever). Returns the new session's state, as ``_read`` would.

    No transaction of its own: a claim or summary row created by an attempt that fails
    later is the row the next attempt uses. The claim is read before the summary, so a
    beat of another tab committed in between leaves the claim's version behind and the
    write refuses (and the beat is computed again from a fresh read).
    """
    from courses.models import LessonPage
    from courses.selectors import lesson_visible_to

    user = _member(user)
    lesson = LessonPage.objects.filter(pk=lesson_id).first()
    if lesson is None:
        raise HeartbeatRefused(_("There is no such lesson."), status=400)
    if not lesson_visible_to(user=user, lesson=lesson):
        raise HeartbeatRefused(_("This lesson is not open to you."), status=404)
    duration = _lesson_duration(lesson)
    claim, _created = WatchClaim.objects.get_or_create(user=user)
    summary, _created = WatchSummary.objects.get_or_create(
        user=user, lesson=lesson, defaults={"duration": duration}
    )
    # Inside a caller's transaction, a savepoint: a duplicate (two first beats of the page
    # racing) must leave that transaction usable for the next attempt.
    savepoint = transaction.atomic() if connection.in_atomic_block else nullcontext()
    with savepoint:
        session = WatchSession.objects.create(
            uuid=beat.session,
            user=user,
            claim_id=user.pk,
            lesson=lesson,
            summary=summary,
            duration=duration,
            is_reading=lesson.is_reading_lesson,
            estimated_seconds=float(lesson.estimated_minutes or 0) * 60,
            started_at=now,
            last_beat_at=now,
            last_seq=beat.seq,
        )
    # (The lesson page's view records the lesson as started; the player's beats follow.)
    return _state_of(session, summary, claim, replayed=False)


@dataclass
class _SummaryState:
    pk: int
    duration: float
    intervals: list
    coverage_seconds: float
    engaged_seconds: float
    last_position: float
    completed_at: datetime | None

    @property
    def coverage_ratio(self) -> float:
        return WatchSummary.coverage_ratio.fget(self)  # type: ignore[union-attr]


@dataclass
class _ClaimState:
    claimed: list
    day: Any
    day_seconds: float
    version: int


@dataclass
class _SessionState:
    pk: int
    user_id: int
    lesson_id: int
    duration: float
    is_reading: bool
    estimated_seconds: float
    started_at: datetime
    last_beat_at: datetime
    last_seq: int
    media_claimed: float
    beats: int
    summary: _SummaryState
    claim: _ClaimState
    replayed: bool


def _copy_state(state: _SessionState) -> _SessionState:
    # _record reassigns fields of these three objects; the lists inside are never changed.
    return replace(state, summary=replace(state.summary), claim=replace(state.claim))


# The state each session had after this process last wrote it: the next beat of the
# session skips the read (see session_state_cache for why that stays exact).
_STATES = SessionStateCache(size=conf.state_cache_size, copy=_copy_state)


_READ_SQL: str | None = None


def _read_sql() -> str:
    global _READ_SQL
    if _READ_SQL is None:
        qn = connection.ops.quote_name
        s, m, c, b = (
            qn(WatchSession._meta.db_table),
            qn(WatchSummary._meta.db_table),
            qn(WatchClaim._meta.db_table),
            qn(WatchBeat._meta.db_table),
        )
        _READ_SQL = (
            "SELECT s.id, s.user_id, s.lesson_id, s.duration, s.is_reading, "
            "s.estimated_seconds, s.started_at, s.last_beat_at, s.last_seq, s.media_claimed, "
            "s.beats, m.id, m.duration, m.intervals, m.coverage_seconds, m.engaged_seconds, "
            "m.last_position, m.completed_at, c.claimed, c.day, c.day_seconds, c.version, "
            f"EXISTS (SELECT 1 FROM {b} x WHERE x.session_id = s.id AND x.seq = %s) "
            f"FROM {s} s JOIN {m} m ON m.id = s.summary_id JOIN {c} c ON c.user_id = s.claim_id "
            "WHERE s.uuid = %s"
        )
    return _READ_SQL


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str | bytes) else value


def _read(*, session_uuid: uuid_module.UUID, seq: int, lock: bool = False) -> _SessionState | None:
    """The session, its summary, the member's claim and whether the beat is a replay;
    with ``lock`` (PostgreSQL, in a transaction), the claim row is locked until commit."""
    if connection.vendor == "postgresql":
        # Hand-written: this query runs for every beat, and compiling it through the ORM
        # costs more CPU than the database spends answering it.
        with connection.cursor() as cursor:
            cursor.execute(_read_sql() + (" FOR UPDATE OF c" if lock else ""), [seq, session_uuid])
            row = cursor.fetchone()
        if row is None:
            return None
        summary, claim = _SummaryState(*row[11:18]), _ClaimState(*row[18:22])
        # Django has psycopg hand JSON over as text (JSONField parses it).
        summary.intervals = _json(summary.intervals)
        claim.claimed = _json(claim.claimed)
        return _SessionState(*row[:11], summary=summary, claim=claim, replayed=row[22])
    session = (
        WatchSession.objects.select_related("summary", "claim")
        .annotate(replayed=Exists(WatchBeat.objects.filter(session_id=OuterRef("pk"), seq=seq)))
        .filter(uuid=session_uuid)
        .first()
    )
    if session is None:
        return None
    return _state_of(session, session.summary, session.claim, replayed=session.replayed)


def _state_of(
    session: WatchSession, summary: WatchSummary, claim: WatchClaim, *, replayed: bool
) -> _SessionState:
    return _SessionState(
        pk=session.pk,
        user_id=session.user_id,
        lesson_id=session.lesson_id,
        duration=session.duration,
        is_reading=session.is_reading,
        estimated_seconds=session.estimated_seconds,
        started_at=session.started_at,
        last_beat_at=session.last_beat_at,
        last_seq=session.last_seq,
        media_claimed=session.media_claimed,
        beats=session.beats,
        summary=_SummaryState(
            summary.pk,
            summary.duration,
            summary.intervals,
            summary.coverage_seconds,
            summary.engaged_seconds,
            summary.last_position,
            summary.completed_at,
        ),
        claim=_ClaimState(claim.claimed, claim.day, claim.day_seconds, claim.version),
        replayed=replayed,
    )


LEDGER_COLUMNS = (
    "user_id",
    "date",
    "year",
    "hours",
    "source",
    "lesson_id",
    "rule_code",
    "rule_params",
    "note",
    "created_at",
)

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

    beat_values: dict[str, Any]
    session_id: int
    session_fields: dict[str, Any]
    summary_id: int
    summary_fields: dict[str, Any]
    user_id: int
    claim_version: int
    claim_fields: dict[str, Any]
    # PostgreSQL: the beat's ledger entry (``LEDGER_COLUMNS``), inserted by the same
    # statement, keyed by the new beat's id — atomic with the beat, no extra transaction.
    ledger: dict[str, Any] | None = None


def _write(w: _Writes) -> int | None:
    """Apply a beat if the member's claim is still at ``claim_version``.

    Returns the new beat's id; None when the beat was already stored. Raises
    ``_Conflict`` when another beat of the member was credited since the read.
    """
    if connection.vendor == "postgresql":
        return _write_postgresql(w)
    try:
        with transaction.atomic():
            moved = WatchClaim.objects.filter(pk=w.user_id, version=w.claim_version).update(
                **w.claim_fields, version=F("version") + 1
            )
            if not moved:
                raise _Conflict
            try:
                with transaction.atomic():
                    beat = WatchBeat.objects.create(**w.beat_values)
            except IntegrityError:
                raise _Replayed from None
            WatchSession.objects.filter(pk=w.session_id).update(
                **w.session_fields, beats=F("beats") + 1
            )
            WatchSummary.objects.filter(pk=w.summary_id).update(**w.summary_fields)
            return beat.pk
    except _Replayed:
        return None


class _Replayed(Exception):
    pass


_WRITE_SQL: dict[tuple, str] = {}


def _assignments(model, names: tuple[str, ...]) -> str:
    qn = connection.ops.quote_name
    parts = []
    for name in names:
        field = model._meta.get_field(name)
        cast = "::jsonb" if isinstance(field, models.JSONField) else ""
        parts.append(f"{qn(field.column)} = %s{cast}")
    return ", ".join(parts)


def _selects(model, names) -> str:
    return ", ".join(
        f"%s::{model._meta.get_field(n.removesuffix('_id')).db_type(connection)}" for n in names
    )


def _write_sql(key: tuple) -> str:
    claim_names, summary_names, session_names, ledger = key
    qn = connection.ops.quote_name
    selects = _selects(WatchBeat, BEAT_COLUMNS)
    entry = ""
    if ledger:
        entry = (
            f"e AS (INSERT INTO {qn(StudyHourEntry._meta.db_table)} "
            f"({', '.join(qn(c) for c in LEDGER_COLUMNS)}, {qn('key')}, {qn('beat_id')}) "
            f"SELECT {_selects(StudyHourEntry, LEDGER_COLUMNS)}, 'beat:' || b.{qn('id')}, "
            f"b.{qn('id')} FROM b), "
        )
    return (
        f"WITH c AS (UPDATE {qn(WatchClaim._meta.db_table)} SET "
        f"{_assignments(WatchClaim, claim_names)}, {qn('version')} = {qn('version')} + 1 "
        f"WHERE {qn('user_id')} = %s AND {qn('version')} = %s RETURNING 1), "
        f"b AS (INSERT INTO {qn(WatchBeat._meta.db_table)} "
        f"({', '.join(qn(c) for c in BEAT_COLUMNS)}) SELECT {selects} "
        f"WHERE EXISTS (SELECT 1 FROM c) "
        f"ON CONFLICT ({qn('session_id')}, {qn('seq')}) DO NOTHING RETURNING {qn('id')}), "
        f"m AS (UPDATE {qn(WatchSummary._meta.db_table)} SET "
        f"{_assignments(WatchSummary, summary_names)} "
        f"WHERE {qn('id')} = %s AND EXISTS (SELECT 1 FROM b)), "
        f"s AS (UPDATE {qn(WatchSession._meta.db_table)} SET "
        f"{_assignments(WatchSession, session_names)}, {qn('beats')} = {qn('beats')} + 1 "
        f"WHERE {qn('id')} = %s AND EXISTS (SELECT 1 FROM b)), "
        f"{entry}"
        f"z AS (SELECT 1) "
        f"SELECT (SELECT count(*) FROM c), (SELECT {qn('id')} FROM b)"
    )


def _param(value: Any) -> Any:
    return json.dumps(value) if isinstance(value, list | dict) else value


def _write_postgresql(w: _Writes) -> int | None:
    key = (
        tuple(w.claim_fields),
        tuple(w.summary_fields),
        tuple(w.session_fields),
        w.ledger is not None,
    )
    sql = _WRITE_SQL.get(key)
    if sql is None:
        sql = _WRITE_SQL[key] = _write_sql(key)
    params = [
        *map(_param, w.claim_fields.values()),
        w.user_id,
        w.claim_version,
        *(w.beat_values[n] for n in BEAT_COLUMNS),
        *map(_param, w.summary_fields.values()),
        w.summary_id,
        *map(_param, w.session_fields.values()),
        w.session_id,
    ]
    if w.ledger is not None:
        params += [_param(w.ledger[n]) for n in LEDGER_COLUMNS]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        moved, beat_id = cursor.fetchone()
    if not moved:
        raise _Conflict
    # moved but not inserted: the beat was stored by a transaction that did not move the
    # claim — impossible, as every beat moves it; answered as a replay all the same.
    return beat_id


def _beat_time(beat: BeatInput, now: datetime | None) -> datetime:
    if now is not None:
        return now
    if conf.trust_client_time() and beat.client_time is not None:
        return datetime.fromtimestamp(beat.client_time / 1000, tz=UTC)
    return timezone.now()


MAX_ATTEMPTS = 20
# Optimistic attempts before a beat locks its member's claim row for its read and write.
OPTIMISTIC_ATTEMPTS = 3


def heartbeat_record(
    *,
    user: AbstractBaseUser | int,
    lesson_id: int,
    payload: dict[str, Any] | BeatInput,
    now: datetime | None = None,
) -> HeartbeatResult:
    """Record one beat of ``user`` for lesson ``lesson_id`` and credit what it earns.

    ``user`` is the member, or only their id (the beat-token path: the token already
    proved who sent the beat, so no user row is read unless a session is opened — where
    the member must still exist and be active — or a lesson is completed).

    ``payload`` is a validated beat; ``now`` is the server time of the beat (tests pass
    it; by default the clock is read after the member's state is read, on each attempt,
    so that a member's beats are credited in the order of their server times).

    Raises ``HeartbeatRefused`` (400 unknown lesson or a session of another lesson, 403 a
    session of another member, 404 a lesson the member may not see).
    """
    beat = payload if isinstance(payload, BeatInput) else BeatInput.from_payload(payload)
    for attempt in range(MAX_ATTEMPTS):
        try:
            if attempt < OPTIMISTIC_ATTEMPTS or connection.vendor != "postgresql":
                return _record(user=user, lesson_id=lesson_id, beat=beat, now=now)
            # Lost the race again and again: another tab or device of the member writes
            # faster (say, from the state its process remembers, in one round trip).
            # Holding the member's claim row from the read to the write makes this
            # beat's turn come; the other one waits, then finds the version moved.
            with transaction.atomic():
                return _record(user=user, lesson_id=lesson_id, beat=beat, now=now, lock=True)
        except (_Conflict, IntegrityError):
            # Another beat of this member was credited meanwhile, or two first beats
            # raced to create the same rows: nothing was written; read and go again.
            _STATES.forget(beat.session)
            continue
    raise HeartbeatRefused(_("Too many simultaneous beats; try again."), status=409)


def _record(
    *,
    user: AbstractBaseUser | int,
    lesson_id: int,
    beat: BeatInput,
    now: datetime | None,
    lock: bool = False,
) -> HeartbeatResult:
    rules = conf.beat_rules()
    uid = user if isinstance(user, int) else user.pk
    # Remembered states are committed ones (put on commit, below); inside a transaction
    # the database may hold newer, uncommitted rows of this member: read.
    remembered = lock is False and not connection.in_atomic_block
    session = _STATES.get(beat.session) if remembered else None
    if lock:
        # A statement of its own, before the read: the read's snapshot then holds every
        # beat of the member committed before the lock, and none can commit until ours.
        # (``FOR UPDATE OF`` the claim in the read itself would refresh only the claim
        # row after a wait, not the summary read with it.)
        list(WatchClaim.objects.select_for_update().filter(pk=uid).values_list("pk"))
    if session is None or beat.seq <= session.last_seq:
        # Nothing remembered, or the beat may be a replay or late: only the database
        # knows whether this seq is stored.
        session = _read(session_uuid=beat.session, seq=beat.seq)
    if session is None:
        session = _session_open(
            user=user, lesson_id=lesson_id, beat=beat, now=_beat_time(beat, now)
        )
    if session.user_id != uid:
        raise HeartbeatRefused(_("This watch session belongs to someone else."), status=403)
    if session.lesson_id != lesson_id:
        raise HeartbeatRefused(_("This watch session is for another lesson."), status=400)
    summary = session.summary
    if session.replayed:  # a replayed beat: nothing credited, current figures answered
        return _result(summary, duplicate=True)
    claim = session.claim
    now = _beat_time(beat, now)
    t = now.timestamp()
    previous = session.last_beat_at.timestamp() if session.beats else None

    state = crediting.SessionState(
        started_at=session.started_at.timestamp(),
        last_beat_at=previous,
        media_claimed=session.media_claimed,
    )
    credit, claimed, engaged = crediting.beat_outcome(
        state=state,
        now=t,
        played_from=beat.from_seconds,
        played_to=beat.to_seconds,
        duration=session.duration,
        playing=beat.playing,
        visible=beat.visible,
        reading=session.is_reading,
        estimated_seconds=session.estimated_seconds,
        engaged_so_far=summary.engaged_seconds,
        claimed=claim.claimed,
        rules=rules,
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
    coverage = credit.coverage_interval
    ledger = None
    if connection.vendor == "postgresql" and day_after > day_before:
        entry = engaged_entry_for_beat(
            rules=rules_current(),
            user_id=uid,
            beat_id=0,  # the statement keys it by the new beat's id
            lesson_id=session.lesson_id,
            day=day,
            seconds_before=day_before,
            seconds_after=day_after,
        )
        if entry is not None:
            entry.created_at = timezone.now()
            ledger = {n: getattr(entry, n) for n in LEDGER_COLUMNS}
    beat_id = _write(
        _Writes(
            beat_values={
                "session_id": session.pk,
                "user_id": uid,
                "seq": beat.seq,
                "from_seconds": beat.from_seconds,
                "to_seconds": beat.to_seconds,
                "rate": beat.rate,
                "event": beat.event,
                "playing": beat.playing,
                "visible": beat.visible,
                "position": beat.position,
                "client_time": beat.client_time,
                "received_at": now,
                "credited_from": coverage[0] if coverage else None,
                "credited_to": coverage[1] if coverage else None,
                "engaged_seconds": engaged,
            },
            session_id=session.pk,
            session_fields={
                "last_beat_at": now,
                "last_seq": max(session.last_seq, beat.seq),
                "media_claimed": credit.media_claimed,
            },
            summary_id=summary.pk,
            summary_fields=summary_fields,
            user_id=uid,
            claim_version=claim.version,
            claim_fields={
                "claimed": [list(i) for i in claimed],
                "day": day,
                "day_seconds": day_after,
            },
            ledger=ledger,
        )
    )
    if beat_id is None:  # stored meanwhile by a replay of this very beat
        return _result(_read(session_uuid=beat.session, seq=beat.seq).summary, duplicate=True)
    # Remembered once committed: at once in autocommit, never if rolled back.
    _remember_on_commit(
        beat.session,
        replace(
            session,
            last_beat_at=now,
            last_seq=max(session.last_seq, beat.seq),
            media_claimed=credit.media_claimed,
            beats=session.beats + 1,
            summary=replace(summary, duration=session.duration),
            claim=_ClaimState(
                claimed=[list(i) for i in claimed],
                day=day,
                day_seconds=day_after,
                version=claim.version + 1,
            ),
            replayed=False,
        ),
    )

    if engaged > 0 or newly_complete:
        _after_credit(
            user=user,
            beat_id=beat_id,
            lesson_id=session.lesson_id,
            day=day,
            seconds_before=day_before,
            seconds_after=day_after,
            newly_complete=newly_complete,
            when=now,
            ledger_written=ledger is not None,
        )
    return _result(summary, credited_coverage=gained_coverage, credited_engaged=engaged)


def _remember_on_commit(key: uuid_module.UUID, state: _SessionState) -> None:
    transaction.on_commit(lambda: _STATES.put(key, state))


def _after_credit(
    *,
    user: AbstractBaseUser | int,
    beat_id: int,
    lesson_id: int,
    day,
    seconds_before: float,
    seconds_after: float,
    newly_complete: bool,
    when: datetime,
    ledger_written: bool = False,
) -> None:
    """The ledger's lesson-time entry (keyed by the beat: once; on PostgreSQL already
    written with the beat) and lesson completion."""
    if seconds_after > seconds_before and not ledger_written:
        entry = engaged_entry_for_beat(
            rules=rules_current(),
            user_id=user if isinstance(user, int) else user.pk,
            beat_id=beat_id,
            lesson_id=lesson_id,
            day=day,
            seconds_before=seconds_before,
            seconds_after=seconds_after,
        )
        if entry is not None:
            try:
                with transaction.atomic():
                    entry.save()
            except IntegrityError:  # pragma: no cover - keyed by the beat: only once
                pass
    if newly_complete:
        _lesson_complete(user=user, lesson_id=lesson_id, when=when)


def _lesson_complete(*, user: AbstractBaseUser | int, lesson_id: int, when: datetime) -> None:
    """Hand completion to courses (which records course completion and, through the
    ledger hook in ``course_completion_evaluate``, credits the course's hours once)."""
    from courses.models import LessonPage
    from courses.services import lesson_complete

    if isinstance(user, int):
        from django.contrib.auth import get_user_model

        user = get_user_model()._default_manager.get(pk=user)
    lesson_complete(user=user, lesson=LessonPage.objects.get(pk=lesson_id), when=when)
