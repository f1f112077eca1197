"""Report tables written as CSV or XLSX, streaming, in constant memory.

A file holds exactly the columns and rows of ``tables`` (the same builders the screens
use), so an export can never disagree with a report. The members table is written in
batches of whole units (``REPORTS_EXPORT_CHUNK_MEMBERS`` members at most, unless one unit
has more), each batch one ``figures.member_figures`` call: a fixed handful of queries per
batch, and memory that does not grow with the subtree.

XLSX (``xlsx_stream``; see there why not openpyxl): header in row 1 (no title row: the
title is in the file's properties and name), frozen, with filters; hours are numbers
formatted ``0.00``, percentages are true percentages (0.182 shown as 18.2 %), counts are
plain integers, and yes/no columns are words in the requester's language. CSV: UTF-8
with a byte-order mark (Excel then reads Chinese), the same header, percentages as in the
screens (18.2).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import BinaryIO

from django.conf import settings
from django.db.models import Count, QuerySet
from django.utils.text import slugify
from django.utils.translation import gettext

from cms.models import MemberProfile, Unit

from .figures import User, member_figures, members_of_unit, report_units_for
from .filters import ReportFilters
from .models import ExportFormat
from .tables import (
    BOOL,
    HOURS,
    INT,
    MEMBER_COLUMNS,
    PERCENT,
    REPORTS,
    TEXT,
    BadReportRequest,
    Column,
    filters_from,
    member_rows,
    report_table,
    unit_from,
)
from .xlsx_stream import GENERAL, HOURS_FORMAT, PERCENT_FORMAT, XlsxStreamWriter

Progress = Callable[[int], None]

CONTENT_TYPES = {
    ExportFormat.CSV: "text/csv; charset=utf-8",
    ExportFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}

# Text a spreadsheet would take for a formula (CSV) — written with a leading quote.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def export_format(value: str) -> ExportFormat:
    """The format named by ``value``; ``BadReportRequest`` otherwise."""
    try:
        return ExportFormat(value)
    except ValueError:
        raise BadReportRequest(gettext("Choose CSV or XLSX as the export format.")) from None


# --- sheets ----------------------------------------------------------------------------


def _yes_no() -> Callable[[object], str]:
    """Yes/no in the active language (looked up once per file, not once per cell)."""
    words = {True: gettext("Yes"), False: gettext("No")}
    return lambda value: "" if value is None else words[bool(value)]


def _csv_text(value) -> str:
    if value is None:
        return ""
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


class _CsvSheet:
    def __init__(self, *, out: BinaryIO, columns: list[Column]) -> None:
        self.text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="", write_through=True)
        self.writer = csv.writer(self.text)
        self.writer.writerow([str(c.label) for c in columns])
        by_kind = {
            BOOL: _yes_no(),
            HOURS: lambda v: "" if v is None else f"{v:.2f}",
            PERCENT: lambda v: "" if v is None else f"{v:.1f}",
            INT: lambda v: "" if v is None else str(v),
        }
        self.cells = [by_kind.get(c.kind, _csv_text) for c in columns]
        self.rows = 0

    def add(self, values: list) -> None:
        self.writer.writerow([cell(v) for cell, v in zip(self.cells, values, strict=True)])
        self.rows += 1

    def close(self) -> None:
        self.text.flush()
        self.text.detach()  # leave ``out`` open for the caller


class _XlsxSheet:
    def __init__(self, *, out: BinaryIO, columns: list[Column], title: str) -> None:
        yes_no = _yes_no()
        by_kind = {
            HOURS: lambda v: None if v is None else float(v),
            PERCENT: lambda v: None if v is None else round(float(v) / 100, 4),
            BOOL: yes_no,
            INT: lambda v: v,
        }
        self.cells = [by_kind.get(c.kind, _text_or_none) for c in columns]
        self.writer = XlsxStreamWriter(
            out,
            header=[str(c.label) for c in columns],
            widths=[
                40 if c.key == "unit_path" else (22 if c.kind == TEXT else 14) for c in columns
            ],
            styles=[
                {HOURS: HOURS_FORMAT, PERCENT: PERCENT_FORMAT}.get(c.kind, GENERAL) for c in columns
            ],
            title=title,
        )

    @property
    def rows(self) -> int:
        return self.writer.rows

    def add(self, values: list) -> None:
        self.writer.add([cell(v) for cell, v in zip(self.cells, values, strict=True)])

    def close(self) -> None:
        self.writer.close()


def _text_or_none(value) -> str | None:
    return None if value is None else str(value)


def _sheet(*, fmt: ExportFormat, out: BinaryIO, columns: list[Column], title: str):
    if fmt == ExportFormat.CSV:
        return _CsvSheet(out=out, columns=columns)
    return _XlsxSheet(out=out, columns=columns, title=title)


def table_write(
    *,
    columns: list[Column],
    rows: Iterable[list],
    title: str,
    fmt: ExportFormat,
    out: BinaryIO,
) -> int:
    """Write a report table to ``out`` (a binary file); returns the number of rows."""
    sheet = _sheet(fmt=fmt, out=out, columns=columns, title=title)
    for values in rows:
        sheet.add(values)
    sheet.close()
    return sheet.rows


# --- the members table, in batches -----------------------------------------------------


def _member_batches(*, members: QuerySet[MemberProfile], size: int) -> list[tuple[str, str, int]]:
    """Runs of consecutive units (by path) with at most ``size`` of ``members`` together
    (a bigger unit alone): (first path, last path, members)."""
    counts = members.values_list("unit__path").annotate(n=Count("pk")).order_by("unit__path")
    batches: list[tuple[str, str, int]] = []
    first = last = None
    total = 0
    for path, n in counts:
        if first is not None and total + n > size:
            batches.append((first, last, total))
            first, total = None, 0
        if first is None:
            first = path
        last, total = path, total + n
    if first is not None:
        batches.append((first, last, total))
    return batches


def members_title(*, unit: Unit, filters: ReportFilters) -> str:
    return gettext("Members: %(unit)s, %(year)s") % {"unit": unit.name, "year": filters.year}


def members_write(
    *,
    user: User,
    unit: Unit,
    filters: ReportFilters,
    fmt: ExportFormat,
    out: BinaryIO,
    behind: bool = False,
    own: bool = False,
    progress: Progress | None = None,
    today: date | None = None,
) -> int:
    """The "members" report of ``unit``'s subtree (as ``tables.members_table``: ``own``,
    only the unit's own members; ``behind``, only those short of the target) written to
    ``out``; returns the number of rows. ``Unit.DoesNotExist`` if the unit is not in the
    user's scope now."""
    if not report_units_for(user=user).filter(pk=unit.pk).exists():
        raise Unit.DoesNotExist
    base = MemberProfile.objects.filter(unit=unit) if own else members_of_unit(unit=unit)
    batches = _member_batches(members=base, size=settings.REPORTS_EXPORT_CHUNK_MEMBERS)
    expected = sum(n for _first, _last, n in batches) or 1
    sheet = _sheet(
        fmt=fmt, out=out, columns=MEMBER_COLUMNS, title=members_title(unit=unit, filters=filters)
    )
    done = 0
    for first, last, n in batches:
        members = base.filter(unit__path__gte=first, unit__path__lte=last)
        rows = member_figures(members=members, filters=filters, today=today)
        if behind:
            rows = [r for r in rows if not r.met_target]
        for values in member_rows(rows):
            sheet.add(values)
        done += n
        if progress:
            progress(min(99, done * 100 // expected))
    sheet.close()
    return sheet.rows


def members_xlsx_write(
    *,
    user: User,
    unit: Unit,
    filters: ReportFilters,
    out: BinaryIO,
    progress: Progress | None = None,
) -> int:
    """Every member of ``unit``'s subtree as an XLSX file written to ``out`` (a path's
    open binary file or a BytesIO), in constant memory; returns the number of rows.
    ``user`` must have the unit in scope (a manager of it or above, or a superuser)."""
    return members_write(
        user=user, unit=unit, filters=filters, fmt=ExportFormat.XLSX, out=out, progress=progress
    )


# --- any registered report ---------------------------------------------------------------


@dataclass(frozen=True)
class ExportPlan:
    """What an export request is about, checked: for choosing direct or background."""

    report: str
    unit: Unit
    filters: ReportFilters
    fmt: ExportFormat
    members: int

    @property
    def in_background(self) -> bool:
        return self.members > settings.REPORTS_EXPORT_ASYNC_MEMBERS

    def filename(self) -> str:
        code = slugify(self.unit.code) or str(self.unit.pk)
        return f"{slugify(self.report) or 'report'}-{code}-{self.filters.year}.{self.fmt.value}"


def export_plan(*, user: User, report: str, params: Mapping[str, str], fmt: str) -> ExportPlan:
    """Check an export request before running it: ``BadReportRequest`` for an unknown
    report or format or bad filters, ``Unit.DoesNotExist`` for a unit out of scope. The
    report's own parameters (a course, a quiz) are checked when it is built."""
    if report not in REPORTS:
        raise BadReportRequest(gettext("Unknown report."))
    checked_format = export_format(fmt)
    unit = unit_from(user, params)
    filters = filters_from(params)
    return ExportPlan(
        report=report,
        unit=unit,
        filters=filters,
        fmt=checked_format,
        members=members_of_unit(unit=unit).count(),
    )


def export_write(
    *,
    user: User,
    report: str,
    params: Mapping[str, str],
    fmt: str,
    out: BinaryIO,
    progress: Progress | None = None,
) -> tuple[str, int]:
    """Build the report as ``user`` may see it now and write it to ``out``; returns the
    title and the number of rows. Raises as ``export_plan`` and ``tables.report_table``."""
    plan = export_plan(user=user, report=report, params=params, fmt=fmt)
    if report == "members":
        title = members_title(unit=plan.unit, filters=plan.filters)
        rows = members_write(
            user=user,
            unit=plan.unit,
            filters=plan.filters,
            fmt=plan.fmt,
            out=out,
            behind=params.get("behind") == "1",
            own=params.get("own") == "1",
            progress=progress,
        )
        return title, rows
    table = report_table(name=report, user=user, params=params)
    if progress:
        progress(50)
    rows = table_write(
        columns=table.columns, rows=table.rows, title=table.title, fmt=plan.fmt, out=out
    )
    return table.title, rows
