"""Turn the bytes of an uploaded file into a table of text cells.

Every way a file can be unreadable ends in ``ImportFileError`` with a translated message,
never in another exception.
"""

import csv
import datetime
import io
import re
from collections.abc import Iterable, Iterator
from decimal import Decimal
from pathlib import PurePath
from typing import Any

from django.utils.translation import gettext as _

from .rows import Problem

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the old binary .xls
CSV_ENCODINGS = ("utf-8-sig", "gb18030")
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f\ufffd]")

MAX_BLANK_RUN = 1000
Table = list[tuple[int, list[str]]]  # (row number as the user sees it, cells)


class ImportFileError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.problem = Problem(code, message)


def table_read(*, content: bytes, filename: str, max_rows: int) -> Table:
    """The non-blank rows of the file, header first, at most ``max_rows`` below it."""
    if not content.strip(b" \t\r\n\xef\xbb\xbf"):
        raise ImportFileError("empty_file", _("The file is empty."))
    suffix = PurePath(filename or "").suffix.lower()
    if content.startswith(OLE_MAGIC):
        raise ImportFileError(
            "old_excel",
            _("Old Excel files (.xls) are not supported. Save the file as .xlsx or .csv."),
        )
    if content.startswith(ZIP_MAGIC) or suffix == ".xlsx":
        rows = _xlsx_rows(content)
    elif suffix in {".csv", ".txt", ""}:
        rows = _csv_rows(content)
    else:
        raise ImportFileError("unsupported_type", _("Only CSV and XLSX files can be imported."))
    table: Table = []
    blank_run = 0
    for number, cells in rows:
        if not any(cells):
            blank_run += 1
            if blank_run > MAX_BLANK_RUN:
                break  # formatting that reaches row 1,048,576 is not data
            continue
        blank_run = 0
        table.append((number, cells))
        if len(table) > max_rows + 1:
            raise ImportFileError(
                "too_many_rows",
                _("The file has more than %(max)d rows. Split it into smaller files.")
                % {"max": max_rows},
            )
    if not table:
        raise ImportFileError("empty_file", _("The file is empty."))
    return table


def _csv_rows(content: bytes) -> Iterable[tuple[int, list[str]]]:
    text = _decode(content)
    first_line = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        rows = list(reader)
    except csv.Error as error:
        raise ImportFileError(
            "not_csv", _("The file is not a readable CSV file (%(error)s).") % {"error": error}
        ) from error
    return ((number, [cell.strip() for cell in row]) for number, row in enumerate(rows, 1))


def _decode(content: bytes) -> str:
    not_text = ImportFileError(
        "not_csv",
        _(
            "The file is not a CSV text file. Upload a CSV saved as UTF-8 or GB18030, "
            "or an XLSX workbook."
        ),
    )
    if b"\x00" in content:
        raise not_text
    for encoding in CSV_ENCODINGS:
        try:
            text = content.decode(encoding)
        except UnicodeDecodeError:
            continue
        if _CONTROL_CHARS.search(text):
            raise not_text
        return text
    raise not_text


def _xlsx_rows(content: bytes) -> Iterator[tuple[int, list[str]]]:
    from openpyxl import load_workbook

    broken = ImportFileError(
        "not_xlsx", _("The file is not a valid XLSX workbook; it may be damaged.")
    )
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds of error on a broken workbook
        raise broken from error
    try:
        if not workbook.worksheets:
            raise ImportFileError("empty_file", _("The file is empty."))
        rows = workbook.worksheets[0].iter_rows(values_only=True)
        for number, values in enumerate(rows, 1):
            yield number, [_cell_text(value) for value in values]
    except ImportFileError:
        raise
    except Exception as error:
        raise broken from error
    finally:
        workbook.close()


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a phone number typed into a number cell
    if isinstance(value, Decimal | int | float):
        return str(value)
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    return str(value).strip()
