"""An autosave's two statements, written as SQL.

Why SQL here: the autosave is the busiest quiz request (every answer of every member),
and through the ORM compiling its locked read and its conditional update was most of
its cost; ``bench/exam_day.py`` measured the ORM path at 0.44 of the trivial endpoint's
throughput against a floor of 0.5 (bench/README.md, "exam day"). The statements are plain
SQL that runs on SQLite and PostgreSQL alike (only PostgreSQL gets ``FOR UPDATE`` and
``::jsonb``), through ``cms.prepared_statements`` so that PostgreSQL plans them once per
connection; the whole test suite exercises them on both databases.

Every function runs inside the caller's transaction.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from django.db import connection

from cms.prepared_statements import fetched_datetime, prepared_cursor

from .models import Attempt, AttemptQuestion, QuizLessonPage


@dataclass(frozen=True)
class SaveState:
    """What an autosave needs of the member's attempt (its row locked) and its quiz."""

    pk: int
    state: str
    deadline: datetime | None
    current_page: int
    closes_at: datetime | None
    sequential: bool


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _postgresql() -> bool:
    return connection.vendor == "postgresql"


def attempt_lock_for_save(*, attempt_id: int, user_id: int) -> SaveState | None:
    """The member's attempt, its row locked until the transaction ends (the quiz's rows
    are not), or None when it is not theirs or does not exist."""
    attempt, quiz = _q(Attempt._meta.db_table), _q(QuizLessonPage._meta.db_table)
    quiz_pk = _q(QuizLessonPage._meta.pk.column)
    sql = (
        "SELECT a.id, a.state, a.deadline, a.current_page, q.closes_at, q.navigation "
        f"FROM {attempt} a JOIN {quiz} q ON q.{quiz_pk} = a.quiz_id "
        "WHERE a.id = %s AND a.user_id = %s"
    ) + (" FOR UPDATE OF a" if _postgresql() else "")
    with prepared_cursor() as cursor:
        cursor.execute(sql, [attempt_id, user_id])
        row = cursor.fetchone()
    if row is None:
        return None
    return SaveState(
        pk=row[0],
        state=row[1],
        deadline=fetched_datetime(row[2]),
        current_page=row[3],
        closes_at=fetched_datetime(row[4]),
        sequential=row[5] == "sequential",
    )


def response_store(
    *, attempt_id: int, position: int, response: dict, seq: int, now: datetime, min_page: int
) -> bool:
    """Store a response at ``position`` if ``seq`` is above the stored one and the
    question's page is not before ``min_page``; whether it was stored."""
    table = _q(AttemptQuestion._meta.db_table)
    json_param = "%s::jsonb" if _postgresql() else "%s"
    sql = (
        f"UPDATE {table} SET response = {json_param}, response_seq = %s, saved_at = %s "
        "WHERE attempt_id = %s AND position = %s AND response_seq < %s AND page >= %s"
    )
    params = [
        json.dumps(response),
        seq,
        connection.ops.adapt_datetimefield_value(now),
        attempt_id,
        position,
        seq,
        min_page,
    ]
    with prepared_cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount == 1
