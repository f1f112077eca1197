"""Statements that PostgreSQL plans once per connection, for the few that run on every
heartbeat (``courses.credit_access`` and ``exams.tracking.store``).

Django's psycopg cursors bind parameters on the client and never prepare, so PostgreSQL
parses and plans every statement each time. For a beat that planning was most of the
database's work (the credit check alone plans in about 0.5 ms and runs in 0.1 ms);
bench/README.md ("heartbeats") has the measured ratio. A cursor from here binds on the
server, and psycopg prepares a statement once it has run ``prepare_threshold`` times on
a connection (``DATABASES["default"]["OPTIONS"]``; the ORM's client-binding cursors are
not affected by it). On any other database it is Django's ordinary cursor.

Behind a connection pooler that cannot keep prepared statements (PgBouncer in
transaction mode before 1.21), set ``DB_PREPARED_STATEMENTS=0``.
"""

from __future__ import annotations

from datetime import UTC, datetime

from django.db import connection
from django.db.backends.utils import CursorWrapper
from django.utils import timezone
from django.utils.dateparse import parse_datetime


def prepared_cursor() -> CursorWrapper:
    """A cursor of the default connection whose statements PostgreSQL may prepare."""
    options = connection.settings_dict.get("OPTIONS", {})
    if connection.vendor != "postgresql" or options.get("prepare_threshold") is None:
        return connection.cursor()
    from django.db.backends.postgresql.base import ServerBindingCursor

    connection.ensure_connection()
    with connection.wrap_database_errors:
        raw = ServerBindingCursor(connection.connection)
    connection.validate_thread_sharing()
    if connection.queries_logged:
        return connection.make_debug_cursor(raw)
    return connection.make_cursor(raw)


def fetched_datetime(value) -> datetime | None:
    """A datetime column as a raw cursor returns it: aware from PostgreSQL; naive in UTC,
    or text, from SQLite."""
    if value is None:
        return None
    if not isinstance(value, datetime):
        value = parse_datetime(value)
    return value if timezone.is_aware(value) else value.replace(tzinfo=UTC)
