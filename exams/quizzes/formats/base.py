"""What every question format's parser returns, and the text decoding they share.

A parser is a pure function ``parse(data: bytes) -> ParseResult``: it never touches the
database, never raises for bad content (each bad question becomes a ``ParseProblem`` with
its line or row), and raises ``FormatError`` only when the file as a whole is not of its
format (not XML, not a workbook, not text). An exporter is
``export(questions: Sequence[ParsedQuestion]) -> bytes``; parsing an export gives the same
specs back.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _

from ..spec import QuestionSpec


class FormatError(ValueError):
    """The file is not in the format it claims (message translated, for the trainer)."""


@dataclass(frozen=True)
class ParsedQuestion:
    spec: QuestionSpec
    category: tuple[str, ...] = ()  # category path from the file, top first; () = none given
    line: int | None = None  # line (text formats) or row (spreadsheets) where it starts


@dataclass(frozen=True)
class ParseProblem:
    line: int | None
    message: str  # translated
    qtype: str = ""  # for an unsupported type: its name in the file


@dataclass
class ParseResult:
    questions: list[ParsedQuestion] = field(default_factory=list)
    problems: list[ParseProblem] = field(default_factory=list)
    #: Question types in the file that the platform does not support, with their count;
    #: such questions are listed among ``problems`` and skipped whole.
    unsupported: dict[str, int] = field(default_factory=dict)


def decode_text(data: bytes) -> str:
    """UTF-8 (with or without BOM, also UTF-16 with BOM) or, failing that, GB18030 — the
    encoding of text files saved by Chinese Windows and Excel. Raises ``FormatError``
    for binary data."""
    if data.startswith(codecs.BOM_UTF16_LE) or data.startswith(codecs.BOM_UTF16_BE):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            pass
        else:
            if "\x00" in text:
                raise FormatError(_("This is not a text file."))
            return text
    # Anywhere in the file, not only at its start: no database text column takes a NUL.
    if b"\x00" in data:
        raise FormatError(_("This is not a text file."))
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return text.replace("\r\n", "\n").replace("\r", "\n")
    raise FormatError(_("The file's text encoding is not UTF-8 or GB18030."))


# --- helpers the formats share -------------------------------------------------------

ONE = Decimal(1)
#: Grades are kept to seven places, as Moodle keeps them.
PLACES = Decimal("0.0000001")
#: No mark, value or tolerance in a file is larger than this.
LARGEST = Decimal(10) ** 15


def tidy(number: Decimal) -> Decimal:
    """``number`` without trailing zeros and never in exponent form ("30", "0.5")."""
    if number == number.to_integral_value():
        return number.quantize(ONE)
    return number.normalize()


def snap_to_one(fractions: list[Decimal]) -> list[Decimal]:
    """Positive fractions that add up to 100% within Moodle's rounding, made exact."""
    positives = [i for i, f in enumerate(fractions) if f > 0]
    total = sum((fractions[i] for i in positives), Decimal(0))
    if positives and total != ONE and abs(total - ONE) <= Decimal("0.0001"):
        fractions = list(fractions)
        last = positives[-1]
        fractions[last] = tidy(fractions[last] + ONE - total)
    return fractions


def split_unescaped(text: str, separators: str) -> list[str]:
    """``text`` split at the ``separators`` characters that no backslash escapes; the
    escapes are kept (``unescape`` removes them)."""
    parts, current, i = [], [], 0
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text):
            current.append(text[i : i + 2])
            i += 2
            continue
        if char in separators:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
        i += 1
    parts.append("".join(current))
    return parts


def unescape(text: str) -> str:
    """``text`` with each backslash escape replaced by the character it escapes."""
    return re.sub(r"\\(.)", r"\1", text, flags=re.DOTALL)
