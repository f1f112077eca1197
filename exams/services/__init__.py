"""Writes of the exams app, one module per concern; import them from here."""

from .attendance import (
    AttendanceImportRow,
    attendance_import,
    attendance_record,
    attendance_remove,
    study_session_create,
)
from .heartbeat import HeartbeatRefused, HeartbeatResult, heartbeat_record
from .ledger import (
    RecomputeReport,
    ledger_credit_attendance_change,
    ledger_credit_course_completion,
    ledger_recompute,
    rules_current,
)
from .preferences import preferences_update

__all__ = [
    "AttendanceImportRow",
    "HeartbeatRefused",
    "HeartbeatResult",
    "RecomputeReport",
    "attendance_import",
    "attendance_record",
    "attendance_remove",
    "heartbeat_record",
    "ledger_credit_attendance_change",
    "ledger_credit_course_completion",
    "ledger_recompute",
    "preferences_update",
    "rules_current",
    "study_session_create",
]
