"""The watch log's statements for one steady-state beat, written as SQL.

Why SQL here and nowhere else: a beat is the platform's most frequent request, and
through the ORM its seven watch-log statements cost several times the database's own
work in Python (compiling each query). ``bench/heartbeats.py`` measured the ORM path at
0.15 of the trivial endpoint's throughput against a floor of 0.6 (bench/README.md). The
statements are plain SQL that runs on SQLite and PostgreSQL alike (only PostgreSQL gets
``FOR UPDATE`` and ``::jsonb``; SQLite runs one writing transaction at a time anyway), so
the whole test suite exercises them on both; ``beat_write`` sends its four writes as one
statement on PostgreSQL (the suite's PostgreSQL run exercises it). Opening a session (a
page's first beat) stays in the ORM.

Every function runs inside the caller's transaction.
"""

from __future__ import annotations

import json
import uuid as uuid_module
from dataclasses import dataclass
from datetime import date, datetime

from django.db import connection
from django.utils.dateparse import parse_date

from cms.prepared_statements import fetched_datetime, prepared_cursor

from .models import WatchBeat, WatchClaim, WatchSession, WatchSummary


@dataclass
class Claim:
    """The member's claim row (``WatchClaim``), locked."""

    user_id: int
    claimed: list
    day: date | None
    day_seconds: float


@dataclass
class SessionState:
    """A watch session with its summary, as a beat needs them."""

    pk: int
    user_id: int
    lesson_id: int
    summary_id: int
    duration: float
    is_reading: bool
    estimated_seconds: float
    last_beat_at: datetime
    last_seq: int
    beats: int
    intervals: list
    coverage_seconds: float
    engaged_seconds: float
    last_position: float
    completed_at: datetime | None
    replayed: bool  # the beat's (session, seq) is already stored


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _table(model) -> str:
    return _q(model._meta.db_table)


def _postgresql() -> bool:
    return connection.vendor == "postgresql"


def _json_param() -> str:
    return "%s::jsonb" if _postgresql() else "%s"


def _from_json(value) -> list:
    return json.loads(value) if isinstance(value, str | bytes) else value


def _date(value) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return parse_date(value)


def _uuid(value: uuid_module.UUID):
    return WatchSession._meta.get_field("uuid").get_db_prep_value(value, connection)


def claim_lock(user_id: int) -> Claim:
    """The member's claim row, locked until the transaction ends (made on their first
    beat ever): every beat of a member waits here for the one before it."""
    select = (
        f"SELECT {_q('claimed')}, {_q('day')}, {_q('day_seconds')} "
        f"FROM {_table(WatchClaim)} WHERE {_q('user_id')} = %s"
    ) + (" FOR UPDATE" if _postgresql() else "")
    with prepared_cursor() as cursor:
        cursor.execute(select, [user_id])
        row = cursor.fetchone()
        if row is None:
            cursor.execute(
                f"INSERT INTO {_table(WatchClaim)} "
                f"({_q('user_id')}, {_q('claimed')}, {_q('day_seconds')}) "
                f"VALUES (%s, {_json_param()}, 0) ON CONFLICT ({_q('user_id')}) DO NOTHING",
                [user_id, "[]"],
            )
            cursor.execute(select, [user_id])
            row = cursor.fetchone()
    return Claim(user_id, _from_json(row[0]), _date(row[1]), float(row[2]))


def session_read(*, session_uuid: uuid_module.UUID, seq: int) -> SessionState | None:
    """The session and its summary, and whether ``seq`` is already stored (after the
    claim lock, so that every beat of the member committed before is seen)."""
    s, m, b = _table(WatchSession), _table(WatchSummary), _table(WatchBeat)
    sql = (
        "SELECT s.id, s.user_id, s.lesson_id, s.summary_id, s.duration, s.is_reading, "
        "s.estimated_seconds, s.last_beat_at, s.last_seq, s.beats, m.intervals, "
        "m.coverage_seconds, m.engaged_seconds, m.last_position, m.completed_at, "
        f"EXISTS (SELECT 1 FROM {b} x WHERE x.session_id = s.id AND x.seq = %s) "
        f"FROM {s} s JOIN {m} m ON m.id = s.summary_id WHERE s.uuid = %s"
    )
    with prepared_cursor() as cursor:
        cursor.execute(sql, [seq, _uuid(session_uuid)])
        row = cursor.fetchone()
    if row is None:
        return None
    return SessionState(
        pk=row[0],
        user_id=row[1],
        lesson_id=row[2],
        summary_id=row[3],
        duration=float(row[4]),
        is_reading=bool(row[5]),
        estimated_seconds=float(row[6]),
        last_beat_at=fetched_datetime(row[7]),
        last_seq=row[8],
        beats=row[9],
        intervals=_from_json(row[10]),
        coverage_seconds=float(row[11]),
        engaged_seconds=float(row[12]),
        last_position=float(row[13]),
        completed_at=fetched_datetime(row[14]),
        replayed=bool(row[15]),
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


def _beat_insert_sql() -> str:
    columns = ", ".join(_q(name) for name in BEAT_COLUMNS)
    placeholders = ", ".join(["%s"] * len(BEAT_COLUMNS))
    return (
        f"INSERT INTO {_table(WatchBeat)} ({columns}) VALUES ({placeholders}) RETURNING {_q('id')}"
    )


def _beat_params(values: dict) -> list:
    params = [values[name] for name in BEAT_COLUMNS]
    params[BEAT_COLUMNS.index("received_at")] = connection.ops.adapt_datetimefield_value(
        values["received_at"]
    )
    return params


def _updates(
    *,
    session: SessionState,
    claim: Claim,
    when: datetime,
    seq: int,
    intervals: list,
    coverage_seconds: float,
    engaged_seconds: float,
    last_position: float,
    completed_at: datetime | None,
) -> list[tuple[str, list]]:
    """The session, its summary and the member's claim after a beat: three updates."""
    at = connection.ops.adapt_datetimefield_value
    return [
        (
            f"UPDATE {_table(WatchSession)} SET {_q('last_beat_at')} = %s, "
            f"{_q('last_seq')} = %s, {_q('beats')} = %s WHERE {_q('id')} = %s",
            [at(when), max(session.last_seq, seq), session.beats + 1, session.pk],
        ),
        (
            f"UPDATE {_table(WatchSummary)} SET {_q('intervals')} = {_json_param()}, "
            f"{_q('coverage_seconds')} = %s, {_q('engaged_seconds')} = %s, "
            f"{_q('last_position')} = %s, {_q('completed_at')} = %s, {_q('updated_at')} = %s "
            f"WHERE {_q('id')} = %s",
            [
                json.dumps(intervals),
                coverage_seconds,
                engaged_seconds,
                last_position,
                at(completed_at),
                at(when),
                session.summary_id,
            ],
        ),
        (
            f"UPDATE {_table(WatchClaim)} SET {_q('claimed')} = {_json_param()}, "
            f"{_q('day')} = %s, {_q('day_seconds')} = %s WHERE {_q('user_id')} = %s",
            [
                json.dumps(claim.claimed),
                connection.ops.adapt_datefield_value(claim.day),
                claim.day_seconds,
                claim.user_id,
            ],
        ),
    ]


def beat_write(*, beat: dict, **after) -> int:
    """Store a beat (``BEAT_COLUMNS``) and the session, summary and claim after it
    (``_updates``' keywords); the beat's id. A stored (session, seq) raises
    ``IntegrityError`` (the database's unique constraint) and writes nothing.

    On PostgreSQL the four writes travel as one statement (the updates as data-modifying
    CTEs of the insert): a crediting beat's round trips are most of its time
    (bench/README.md, "heartbeats"). SQLite runs them one by one, in process.
    """
    updates = _updates(**after)
    with prepared_cursor() as cursor:
        if _postgresql():
            ctes = ", ".join(f"u{i} AS ({sql})" for i, (sql, _params) in enumerate(updates))
            params = [p for _sql, update_params in updates for p in update_params]
            cursor.execute(f"WITH {ctes} {_beat_insert_sql()}", params + _beat_params(beat))
            return cursor.fetchone()[0]
        cursor.execute(_beat_insert_sql(), _beat_params(beat))
        beat_id = cursor.fetchone()[0]
        for sql, params in updates:
            cursor.execute(sql, params)
        return beat_id
