"""The heartbeat's statements are planned once per connection on PostgreSQL."""

import pytest
from django.db import connection

from cms.prepared_statements import prepared_cursor


@pytest.mark.django_db
def test_a_prepared_cursor_runs_plain_statements_on_every_database():
    with prepared_cursor() as cursor:
        cursor.execute("SELECT %s + %s", [2, 3])
        assert cursor.fetchone()[0] == 5


@pytest.mark.django_db
def test_postgresql_prepares_a_statement_after_the_threshold_and_the_orm_never():
    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are a PostgreSQL feature")
    threshold = connection.settings_dict["OPTIONS"]["prepare_threshold"]
    marker = "SELECT %s::int AS prepared_statement_probe"

    # when a statement runs through the prepared cursor more often than the threshold,
    # and an ORM query just as often
    for _ in range(threshold + 2):
        with prepared_cursor() as cursor:
            cursor.execute(marker, [1])
        list(connection.introspection.django_table_names()[:1])
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 AS orm_cursor_probe")

    # then PostgreSQL holds the first prepared on this connection, and not the second
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [row[0] for row in cursor.fetchall()]
    assert any("prepared_statement_probe" in sql for sql in prepared)
    assert not any("orm_cursor_probe" in sql for sql in prepared)
