"""Backup and restore as docs/operations.md tells an operator to do them: a pg_dump of the
database restored into a fresh one gives the same ledger totals and the same audit replay
(``manage.py check_ledger``), run as a separate process against the restored database."""

import io
import json
import os
import subprocess
import sys
import uuid
from datetime import date
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from wagtail.models import Site

from cms import roles
from exams.hours.models import StudyHourRules
from exams.hours.services import attendance_record, attendance_remove, study_session_create

from ..conftest import send_beat

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("pg_dump and pg_restore: run with DATABASE_URL=postgres://…")


def _pg(command: str, *args: str) -> subprocess.CompletedProcess:
    db = connection.settings_dict
    base = ["-h", db.get("HOST") or "127.0.0.1", "-p", str(db.get("PORT") or 5432)]
    base += ["-U", db.get("USER") or "postgres"]
    return subprocess.run([command, *base, *args], check=True, capture_output=True, text=True)


def _watch(user, lesson, seconds: int):
    session = uuid.uuid4()
    send_beat(user, lesson, session=session, seq=0, t=0, playing=False, event="play")
    for i in range(1, seconds // 15 + 1):
        send_beat(user, lesson, session=session, seq=i, t=15 * i, played=(15 * (i - 1), 15 * i))


def test_a_restored_dump_has_the_same_ledger_and_replay(world, org, member_factory, tmp_path):
    rules = StudyHourRules.for_site(Site.objects.get(is_default_site=True))
    rules.credit_engaged_time = True
    rules.save()
    _watch(world.alice, world.video, 300)
    _watch(world.bob, world.video, 120)
    manager = member_factory(org.east, roles.MANAGERS, username="restore_manager")
    session = study_session_create(
        unit=org.east,
        topic="Backup drill",
        date=date(2026, 3, 2),
        duration_minutes=90,
        by=manager,
    )
    attendance_record(session=session, users=[world.alice, world.bob], by=manager)
    attendance_remove(session=session, user=world.bob, by=manager, reason="left early")

    before = io.StringIO()
    call_command("check_ledger", stdout=before)
    expected = json.loads(before.getvalue())
    assert expected["replayed_members"] == 2 and expected["replay_differences"] == {}
    assert set(expected["live_by_source"]) == {"lesson_time", "attended_session", "correction"}

    dump = tmp_path / "backup.dump"
    source = connection.settings_dict["NAME"]
    restored = f"{source}_restored"
    _pg("pg_dump", "-Fc", "-f", str(dump), source)
    _pg("psql", "-d", "postgres", "-c", f'DROP DATABASE IF EXISTS "{restored}"')
    _pg("psql", "-d", "postgres", "-c", f'CREATE DATABASE "{restored}"')
    try:
        _pg("pg_restore", "--no-owner", "-d", restored, str(dump))
        db = connection.settings_dict
        url = (
            f"postgres://{db.get('USER') or 'postgres'}@{db.get('HOST') or '127.0.0.1'}:"
            f"{db.get('PORT') or 5432}/{restored}"
        )
        after = subprocess.run(
            [sys.executable, "manage.py", "check_ledger"],
            cwd=ROOT,
            env={**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "cms.settings.test"},
            check=True,
            capture_output=True,
            text=True,
        )
    finally:
        _pg("psql", "-d", "postgres", "-c", f'DROP DATABASE IF EXISTS "{restored}"')
    assert json.loads(after.stdout) == expected
