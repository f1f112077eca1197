"""Fuzzing the member importer (cms/importing): CSV and XLSX, UTF-8 and GB18030, headers
in English or Chinese.

``member_import_parse`` never raises: an unreadable file is a ``file_errors`` entry, a bad
row a row error, each with a message. ``member_import_write`` refuses any bad row with
``ImportRefused`` and then writes nothing.
"""

import csv
import io

import pytest
from django.contrib.auth import get_user_model
from django.utils import translation
from hypothesis import event, given, settings
from hypothesis import strategies as st
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from cms.importing import ImportRefused, member_import_parse, member_import_write
from cms.models import MemberProfile
from tests.cms.import_files import HEADER_EN, HEADER_ZH, csv_bytes, member_rows, xlsx_bytes

from . import FUZZ_HEALTH, files_from, zip_member_mutated

User = get_user_model()

ROWS = [
    *member_rows(2, "BR-A", prefix="fz"),
    ["李雷", "李雷", "BR-B", "学员", "li@example.org", "13800138000"],
    ["han", "韩梅梅", "EAST", "manager", "", "+86 138-0013-8001"],
]
CSV_SEEDS = [
    csv_bytes(ROWS, header=header, encoding=encoding)
    for header in (HEADER_EN, HEADER_ZH)
    for encoding in ("utf-8", "utf-8-sig", "gb18030")
]
XLSX_SEEDS = [xlsx_bytes(ROWS, header=HEADER_EN), xlsx_bytes(ROWS, header=HEADER_ZH)]
NAMES = st.sampled_from(["members.csv", "members.xlsx", "members.txt", "members", "m.xls"])


def _stored() -> tuple[int, int, int]:
    return (
        User.objects.count(),
        MemberProfile.objects.count(),
        User.groups.through.objects.count(),
    )


def _check(content: bytes, filename: str) -> None:
    report = member_import_parse(content=content, filename=filename, user=None)
    problems = report.file_errors + [p for row in report.rows for p in row.errors]
    assert all(p.code and str(p.message).strip() for p in problems)
    if report.file_errors:
        event("file refused")
        return
    before = _stored()
    try:
        result = member_import_write(rows=report.rows, user=None)
    except ImportRefused as refused:
        event("rows refused")
        assert str(refused).strip()
        assert _stored() == before
    else:
        event("stored")
        assert result.created == len(report.rows)
        assert _stored()[0] == before[0] + result.created


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@settings(max_examples=600, deadline=None, suppress_health_check=FUZZ_HEALTH)
@given(content=files_from(CSV_SEEDS), filename=NAMES)
def test_csv_files_never_crash_and_a_refusal_stores_nothing(org, content, filename):
    _check(content, filename)


@settings(max_examples=300, deadline=None, suppress_health_check=FUZZ_HEALTH)
@given(
    content=st.one_of(files_from(XLSX_SEEDS), zip_member_mutated(XLSX_SEEDS)),
    filename=st.sampled_from(["members.xlsx", "members.csv", "members"]),
)
def test_xlsx_files_never_crash_and_a_refusal_stores_nothing(org, content, filename):
    _check(content, filename)


CELL = st.one_of(
    st.text(max_size=20),
    st.sampled_from(["BR-A", "EAST", "member", "学员", "manager", "a@example.org", "13800138000"]),
    st.sampled_from(["=1+1", "@SUM(A1)", " ", "\u200b", "x" * 151, "a b", "NULL", "0"]),
)


PLAUSIBLE = {
    0: st.from_regex(r"[a-z][a-z0-9_.]{2,12}", fullmatch=True),
    1: st.text(min_size=1, max_size=12).map(str.strip).filter(bool),
    2: st.sampled_from(["BR-A", "BR-B", "EAST", "WEST", "br-a", "NOPE"]),
    3: st.sampled_from(["member", "学员", "Trainers", "manager", "", "boss"]),
    4: st.one_of(st.just(""), st.emails()),
    5: st.sampled_from(["", "13800138000", "+86 138-0013-8001", "12"]),
}


def _plausible_row(header: list[str]) -> st.SearchStrategy[list[str]]:
    """A row that is often valid: each column's value fits the column it is under."""
    positions = [
        (HEADER_EN.index(title) if title in HEADER_EN else HEADER_ZH.index(title))
        if title in HEADER_EN or title in HEADER_ZH
        else None
        for title in header
    ]
    return st.tuples(
        *(PLAUSIBLE[p] if p is not None else st.text(max_size=5) for p in positions)
    ).map(list)


@st.composite
def tables(draw) -> tuple[bytes, str]:
    """Well-formed files with any cells: the header's columns shuffled, dropped or
    doubled, rows of any text, as CSV in a random encoding or as XLSX."""
    header = list(draw(st.sampled_from([HEADER_EN, HEADER_ZH])))
    cut = draw(st.one_of(st.just(len(header)), st.integers(2, len(header))))
    header = draw(st.permutations(header))[:cut]
    if draw(st.integers(0, 4)) == 0:
        header.append(draw(st.sampled_from([*HEADER_EN, *HEADER_ZH, "备注"])))
    rows = draw(
        st.lists(
            st.one_of(st.lists(CELL, max_size=len(header) + 1), _plausible_row(header)),
            max_size=5,
        )
    )
    if draw(st.booleans()):
        encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "gb18030"]))
        out = io.StringIO(newline="")
        csv.writer(out).writerows([header, *rows])
        return out.getvalue().encode(encoding, errors="replace"), "members.csv"
    clean = [[ILLEGAL_CHARACTERS_RE.sub("", cell) for cell in row] for row in rows]
    return xlsx_bytes(clean, header=header), "members.xlsx"


@settings(max_examples=400, deadline=None, suppress_health_check=FUZZ_HEALTH)
@given(table=tables())
def test_any_cells_never_crash_and_a_refusal_stores_nothing(org, table):
    _check(*table)
