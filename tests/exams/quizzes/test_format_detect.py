"""``exams.quizzes.formats``: the registry, format detection (content first, then the
file name) and ``parse_any``."""

from pathlib import Path

import pytest

from exams.quizzes import spec as qspec
from exams.quizzes.formats import FORMATS, detect_format, parse_any, xlsx
from exams.quizzes.formats.base import FormatError, ParsedQuestion
from tests.exams.quizzes.conftest import spec_for

DEMO = Path(__file__).resolve().parents[3] / "exams/quizzes/demo_files"
AIKEN = "火警电话是？\nA. 119\nB. 110\nANSWER: A\n"
GIFT = "::fire::火警电话是？{=119 ~110}\n"
CSV = "题型 type,题目 question,选项A option A,选项B option B,答案 answer\n单选,Q?,x,y,A\n"


def test_every_format_parses_and_exports():
    assert sorted(FORMATS) == ["aiken", "gift", "moodlexml", "xlsx"]
    for module in FORMATS.values():
        assert callable(module.parse) and callable(module.export)


@pytest.mark.parametrize(
    "filename, data, expected",
    [
        ("bank.txt", (DEMO / "sample.gift.txt").read_bytes(), "gift"),
        ("bank.txt", (DEMO / "sample.aiken.txt").read_bytes(), "aiken"),
        ("bank.txt", (DEMO / "sample.moodle.xml").read_bytes(), "moodlexml"),
        ("upload", xlsx.template(), "xlsx"),
        ("upload", CSV.encode("gb18030"), "xlsx"),
        ("upload", AIKEN.encode(), "aiken"),
        ("upload", GIFT.encode("gb18030"), "gift"),
        ("upload", b"<quiz><question type='essay'/></quiz>", "moodlexml"),
        # the content wins over a misleading name
        ("bank.gift", (DEMO / "sample.moodle.xml").read_bytes(), "moodlexml"),
        ("bank.xml", AIKEN.encode(), "aiken"),
        ("bank.txt", xlsx.template(), "xlsx"),
    ],
)
def test_the_format_is_recognised_from_the_content(filename, data, expected):
    assert detect_format(filename, data) == expected


@pytest.mark.parametrize(
    "filename, expected",
    [("a.gift", "gift"), ("A.XML", "moodlexml"), ("a.xlsx", "xlsx"), ("a.csv", "xlsx"),
     ("a.aiken", "aiken"), ("a.txt", None), ("a.docx", None), ("", None)],
)  # fmt: skip
def test_the_extension_decides_when_the_content_does_not(filename, expected):
    assert detect_format(filename, b"nothing recognisable here") == expected


def test_a_damaged_workbook_is_still_taken_for_a_workbook_so_its_parser_explains():
    assert detect_format("x", xlsx.template()[:500]) == "xlsx"


def test_parse_any_detects_and_parses():
    fmt, result = parse_any("bank.txt", AIKEN.encode())
    assert fmt == "aiken"
    assert [q.spec.qtype for q in result.questions] == [qspec.SINGLE]


def test_parse_any_with_a_given_format_uses_it():
    data = xlsx.export([ParsedQuestion(spec=spec_for(qspec.ORDERING))])
    fmt, result = parse_any("whatever.bin", data, fmt="xlsx")
    assert fmt == "xlsx"
    assert [q.spec.qtype for q in result.questions] == [qspec.ORDERING]


def test_a_file_given_the_wrong_format_is_refused_by_that_format():
    with pytest.raises(FormatError):
        parse_any("bank.xml", (DEMO / "sample.gift.txt").read_bytes(), fmt="moodlexml")


@pytest.mark.parametrize(
    "filename, data, fmt",
    [
        ("notes.txt", "今天开会，带上安全帽。".encode(), None),
        ("image.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", None),
        ("bank.txt", AIKEN.encode(), "qti"),
    ],
)
def test_an_unknown_format_is_refused_with_the_supported_formats_listed(filename, data, fmt):
    with pytest.raises(FormatError) as error:
        parse_any(filename, data, fmt=fmt)
    message = str(error.value)
    for name in FORMATS:
        assert name in message


@pytest.mark.parametrize("data", [b"", b"  \n "])
def test_an_empty_file_is_refused(data):
    with pytest.raises(FormatError):
        parse_any("bank.gift", data)
