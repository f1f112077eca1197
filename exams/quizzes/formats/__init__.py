"""The question file formats, by name, and how a file's format is recognised.

Each format is a module with ``parse(data: bytes) -> ParseResult`` and
``export(questions) -> bytes`` (see ``base``). ``detect_format`` looks at the content
first (a workbook, XML, Aiken's ``ANSWER:`` lines, GIFT's braces, a CSV of the Excel
template) and only then at the file name's extension; ``parse_any`` parses with the given
or detected format and raises a translated ``FormatError`` listing the supported formats
when there is none.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import PurePath
from types import ModuleType

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import aiken, gift, moodlexml, xlsx
from .base import FormatError, ParseResult, decode_text

FORMATS: dict[str, ModuleType] = {
    "gift": gift,
    "moodlexml": moodlexml,
    "aiken": aiken,
    "xlsx": xlsx,
}

#: What to call each format on screens and in messages.
FORMAT_LABELS = {
    "gift": gettext_lazy("GIFT (Moodle)"),
    "moodlexml": gettext_lazy("Moodle XML"),
    "aiken": gettext_lazy("Aiken"),
    "xlsx": gettext_lazy("Excel template (.xlsx, or .csv)"),
}

#: File extension and content type of each format's export.
EXPORT_FILES = {
    "gift": (".gift.txt", "text/plain; charset=utf-8"),
    "moodlexml": (".xml", "application/xml"),
    "aiken": (".aiken.txt", "text/plain; charset=utf-8"),
    "xlsx": (".xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
}

_EXTENSIONS = {
    ".gift": "gift",
    ".xml": "moodlexml",
    ".aiken": "aiken",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".csv": "xlsx",
    ".xls": "xlsx",  # refused by the xlsx parser with a message saying to save as .xlsx
}
_AIKEN_ANSWER = re.compile(r"^[ \t]*ANSWER[ \t]*[:：][ \t]*[A-Za-z][ \t]*$", re.MULTILINE)
_GIFT_BLOCK = re.compile(r"\{[^{}]*\}")
_XML_START = re.compile(r"^\s*(<\?xml|<!--|<!DOCTYPE|<quiz\b)", re.IGNORECASE)


def _from_zip(data: bytes) -> str | None:
    try:
        names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return "xlsx"  # a damaged workbook: the xlsx parser says so clearly
    return "xlsx" if any(name.startswith("xl/") for name in names) else None


def _from_text(text: str) -> str | None:
    head = text[:4096]
    if _XML_START.match(head) or "<quiz>" in head or "<quiz " in head:
        return "moodlexml"
    if xlsx.looks_like_template_csv(text):
        return "xlsx"
    aiken_answers = len(_AIKEN_ANSWER.findall(text))
    gift_blocks = len(_GIFT_BLOCK.findall(text))
    if aiken_answers and aiken_answers >= gift_blocks:
        return "aiken"
    if gift_blocks or "$CATEGORY:" in text:
        return "gift"
    return None


def detect_format(filename: str, data: bytes) -> str | None:
    """The format of a file, from its content first and its name second; None if it is
    none of ours."""
    if data.startswith(b"PK\x03\x04") or data.startswith(b"PK\x05\x06"):
        return _from_zip(data)
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        return "xlsx"  # an old .xls: the xlsx parser explains what to do
    found = None
    try:
        text = decode_text(data)
    except FormatError:
        text = None
    if text is not None:
        found = _from_text(text)
    if found is None:
        found = _EXTENSIONS.get(PurePath(filename or "").suffix.lower())
    return found


def _supported() -> str:
    return ", ".join(f"{FORMAT_LABELS[name]} ({name})" for name in FORMATS)


def parse_any(filename: str, data: bytes, fmt: str | None = None) -> tuple[str, ParseResult]:
    """``(format, result)`` for ``data``, in ``fmt`` or the detected format. Raises a
    translated ``FormatError`` for an empty file, an unknown format, or a file that is not
    of its format."""
    if not data or not data.strip():
        raise FormatError(_("The file is empty."))
    if fmt:
        if fmt not in FORMATS:
            raise FormatError(
                _("Unknown format “%(format)s”. Supported formats: %(formats)s.")
                % {"format": fmt, "formats": _supported()}
            )
    else:
        fmt = detect_format(filename, data)
        if fmt is None:
            raise FormatError(
                _(
                    "The format of “%(name)s” could not be recognised. "
                    "Supported formats: %(formats)s."
                )
                % {"name": filename, "formats": _supported()}
            )
    return fmt, FORMATS[fmt].parse(data)
