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

from django.db import connection
from django.db.backends.utils import CursorWrapper


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
