"""Fuzzing the attendance list import (exams/hours/services/attendance.py): a CSV or XLSX
list of usernames, UTF-8 or GB18030, with or without a header.

``attendance_import`` returns one row per username (recorded, or an error saying why) or
refuses the whole file with ``ValidationError`` and a message; a refused file records
nobody and credits nothing.
"""

import io
import zipfile
from datetime import date

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.utils import translation
from hypothesis import event, example, given, settings
from hypothesis import strategies as st

from cms import roles
from exams.hours.models import Attendance, AttendanceChange, StudyHourEntry
from exams.hours.services import attendance_import, study_session_create
from tests.cms.import_files import xlsx_bytes

from . import FUZZ_HEALTH, files_from, zip_member_mutated

USERNAMES = ["alice", "bob", "李雷", "nobody", "east_manager"]
CSV_SEEDS = [
    "\n".join(["username", *USERNAMES]).encode("utf-8"),
    "\r\n".join(["用户名", *USERNAMES]).encode("gb18030"),
    "\n".join(USERNAMES).encode("utf-8-sig"),
    "\n".join(f"{name},{name} full name,BR-A" for name in USERNAMES).encode("utf-8"),
]
XLSX_SEEDS = [
    xlsx_bytes([[name] for name in USERNAMES], header=["username"]),
    xlsx_bytes([[name, 3] for name in USERNAMES], header=None),
]


def _sheet_truncated(workbook: bytes) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(workbook))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as rebuilt:
        for name in source.namelist():
            content = source.read(name)
            rebuilt.writestr(name, content[:-20] if name.startswith("xl/worksheets/") else content)
    return out.getvalue()


BROKEN_SHEET = _sheet_truncated(XLSX_SEEDS[0])
CSV_NAMES = st.sampled_from(["list.csv", "list.txt", "LIST.CSV", "list.xlsx", "list.pdf"])


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def study_session(org, member_factory):
    manager = member_factory(org.east, role=roles.MANAGERS, username="east_manager")
    manager.user_permissions.add(Permission.objects.get(codename="access_admin"))
    for name in ("alice", "bob", "李雷"):
        member_factory(org.branch_a, username=name)
    return study_session_create(
        unit=org.east, topic="Fuzz", date=date(2026, 4, 1), duration_minutes=45, by=manager
    )


def _stored() -> tuple[int, int, int]:
    return (
        Attendance.objects.count(),
        AttendanceChange.objects.count(),
        StudyHourEntry.objects.count(),
    )


def _check(session, content: bytes, filename: str) -> None:
    before = _stored()
    try:
        rows = attendance_import(
            session=session, content=content, filename=filename, by=session.created_by
        )
    except ValidationError as refused:
        event("refused")
        assert refused.messages and all(m.strip() for m in refused.messages)
        assert _stored() == before
        return
    event("answered")
    assert rows
    assert all(row.recorded or row.error.strip() for row in rows)
    if not any(row.recorded for row in rows):
        assert _stored() == before


@settings(max_examples=400, deadline=None, suppress_health_check=FUZZ_HEALTH)
@given(content=files_from(CSV_SEEDS), filename=CSV_NAMES)
# Found by this test: a lone carriage return (old Mac line ends, a stray \r) made the csv
# module raise instead of ending the line; a field over its 128 KB limit raised too.
@example(content=b"\rusername\nalice\nbob", filename="list.csv")
@example(content=b"username\r" + b"a" * 200_000, filename="list.csv")
# and on PostgreSQL, a NUL byte in a name reached the query: DataError, a 500.
@example(content=b"\x00username\nalice", filename="list.csv")
def test_csv_lists_never_crash_and_a_refusal_records_nobody(study_session, content, filename):
    _check(study_session, content, filename)


@settings(max_examples=250, deadline=None, suppress_health_check=FUZZ_HEALTH)
@given(content=st.one_of(files_from(XLSX_SEEDS), zip_member_mutated(XLSX_SEEDS)))
# Found by this test: a workbook whose sheet XML is broken opens (read-only workbooks
# parse sheets lazily) and then failed while its rows were read.
@example(content=BROKEN_SHEET)
def test_xlsx_lists_never_crash_and_a_refusal_records_nobody(study_session, content):
    _check(study_session, content, "list.xlsx")
