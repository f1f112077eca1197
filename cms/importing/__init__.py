"""Bulk import of members from CSV and XLSX files.

``member_import_parse`` reads and validates a file into a report;
``member_import_write`` writes the rows of a report in one transaction.
"""

from .rows import ImportReport, ImportResult, ImportRow, Problem
from .services import ImportRefused, member_import_parse, member_import_write

__all__ = [
    "ImportRefused",
    "ImportReport",
    "ImportResult",
    "ImportRow",
    "Problem",
    "member_import_parse",
    "member_import_write",
]
