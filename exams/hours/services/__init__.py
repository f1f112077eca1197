"""Writes of study hours, one module per concern; import them from here."""

from .attendance import (
    AttendanceImportRow,
    attendance_import,
    attendance_record,
    attendance_remove,
    study_session_create,
)
from .ledger import (
    RecomputeReport,
    ledger_credit_attendance_change,
    ledger_credit_course_completion,
    ledger_recompute,
)

__all__ = [
    "AttendanceImportRow",
    "RecomputeReport",
    "attendance_import",
    "attendance_record",
    "attendance_remove",
    "ledger_credit_attendance_change",
    "ledger_credit_course_completion",
    "ledger_recompute",
    "study_session_create",
]
