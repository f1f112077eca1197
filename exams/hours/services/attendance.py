"""Centralised study sessions and their attendance (credited once, corrections kept).

Nobody records their own attendance. A manager may record or remove the attendance of
members of their unit subtree (``cms.selectors``), never their own: a manager who
attended is recorded by a second manager of their unit or by a manager of a unit above
(whose subtree includes them). The refusal holds for ticking, removing and importing,
for superusers too. Every addition and removal is written to the audit log.

A session's credit is not typed: it is derived from its duration under the rules in force
when it is scheduled (``Rules.session_credit``), with the rules' ceiling.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from cms.models import Unit
from cms.selectors import members_visible_to, units_visible_to

from ..models import Attendance, AttendanceChange, StudyHourEntry, StudySession
from ..rules import rules_current
from .audit import ACTION_ATTENDANCE_ADDED, ACTION_ATTENDANCE_REMOVED, hours_log
from .ledger import ledger_credit_attendance_change


def study_session_create(
    *,
    unit: Unit,
    topic: str,
    date: date,
    duration_minutes: int,
    by: AbstractBaseUser,
) -> StudySession:
    """A study session of a unit the manager ``by`` may see; its credit is derived from
    ``duration_minutes`` by the current rules (``Rules.session_credit``)."""
    if not units_visible_to(user=by).filter(pk=unit.pk).exists():
        raise PermissionDenied(_("You may not create study sessions for this unit."))
    session = StudySession(
        unit=unit,
        topic=topic,
        date=date,
        duration_minutes=duration_minutes,
        credit_hours=rules_current().session_credit(duration_minutes=duration_minutes),
        created_by=by,
    )
    session.full_clean()
    session.save()
    return session


def session_eligible_members(*, session: StudySession, by: AbstractBaseUser):
    """Members ``by`` may see who belong to the session's unit subtree."""
    return members_visible_to(user=by).filter(unit__path__startswith=session.unit.path)


def _check_manager(*, session: StudySession, by: AbstractBaseUser) -> None:
    if not units_visible_to(user=by).filter(pk=session.unit_id).exists():
        raise PermissionDenied(_("You may not record attendance for this study session."))


def own_attendance_refusal() -> str:
    return _(
        "You cannot record or remove your own attendance: another manager of your unit, "
        "or of a unit above it, records it."
    )


def _check_not_self(*, users: Iterable[AbstractBaseUser], by: AbstractBaseUser) -> None:
    if any(u.pk == by.pk for u in users):
        raise ValidationError(own_attendance_refusal(), code="own_attendance")


def _log_change(*, change: AttendanceChange, entry: StudyHourEntry | None) -> None:
    added = change.action == AttendanceChange.Action.ADDED
    hours_log(
        instance=change.session,
        action=ACTION_ATTENDANCE_ADDED if added else ACTION_ATTENDANCE_REMOVED,
        by=change.by,
        data={
            "member_id": change.user_id,
            "member": change.user.get_username(),
            "session_id": change.session_id,
            "change_id": change.pk,
            "hours": str(entry.hours if entry is not None else 0),
            "reason": change.reason,
        },
    )


@transaction.atomic
def attendance_record(
    *,
    session: StudySession,
    users: Iterable[AbstractBaseUser],
    by: AbstractBaseUser,
    reason: str = "",
) -> list[Attendance]:
    """Record these members as present. Idempotent: a member already present is left as
    is (and credited nothing more). Returns the attendances created now."""
    _check_manager(session=session, by=by)
    users = list(users)
    _check_not_self(users=users, by=by)
    allowed = set(
        session_eligible_members(session=session, by=by)
        .filter(user__in=[u.pk for u in users])
        .values_list("user_id", flat=True)
    )
    outside = [u for u in users if u.pk not in allowed]
    if outside:
        raise ValidationError(
            _("Not a member of this session's unit: %(names)s")
            % {"names": ", ".join(u.get_username() for u in outside)}
        )
    present = set(
        Attendance.objects.filter(session=session, user__in=[u.pk for u in users]).values_list(
            "user_id", flat=True
        )
    )
    created = []
    for user in users:
        if user.pk in present:
            continue
        present.add(user.pk)
        try:
            with transaction.atomic():
                change = AttendanceChange.objects.create(
                    session=session,
                    user=user,
                    action=AttendanceChange.Action.ADDED,
                    by=by,
                    reason=reason[:200],
                )
                created.append(Attendance.objects.create(session=session, user=user, change=change))
        except IntegrityError:
            continue  # recorded concurrently by someone else: already present
        change.session = session
        _log_change(change=change, entry=ledger_credit_attendance_change(change=change))
    return created


@transaction.atomic
def attendance_remove(
    *, session: StudySession, user: AbstractBaseUser, by: AbstractBaseUser, reason: str = ""
) -> AttendanceChange | None:
    """Remove a member from a session: the history keeps the removal and the ledger gets a
    negative correction. Removing someone absent changes nothing."""
    _check_manager(session=session, by=by)
    _check_not_self(users=[user], by=by)
    attendance = Attendance.objects.select_for_update().filter(session=session, user=user).first()
    if attendance is None:
        return None
    attendance.delete()
    change = AttendanceChange.objects.create(
        session=session,
        user=user,
        action=AttendanceChange.Action.REMOVED,
        by=by,
        reason=reason[:200],
    )
    _log_change(change=change, entry=ledger_credit_attendance_change(change=change))
    return change


@dataclass
class AttendanceImportRow:
    line: int
    username: str
    error: str = ""
    recorded: bool = False


def _read_usernames(*, content: bytes, filename: str) -> list[tuple[int, str]]:
    """(line number, username) pairs from a CSV or XLSX list (first column)."""
    name = filename.lower()
    rows: list[tuple[int, str]] = []
    if name.endswith(".xlsx"):
        from openpyxl import load_workbook

        try:
            workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds for a bad file
            raise ValidationError(_("This is not a readable XLSX file.")) from exc
        try:
            # Read-only sheets are parsed while iterating: a damaged sheet fails here.
            for number, values in enumerate(workbook.active.iter_rows(values_only=True), 1):
                value = values[0] if values else None
                rows.append((number, "" if value is None else str(value).strip()))
        except Exception as exc:
            raise ValidationError(_("This is not a readable XLSX file.")) from exc
        finally:
            workbook.close()
    elif name.endswith((".csv", ".txt")):
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            try:
                text = content.decode("gb18030")
            except UnicodeDecodeError as exc:
                raise ValidationError(_("The file is neither UTF-8 nor GB18030 text.")) from exc
        if "\x00" in text:  # not text, and no database column takes it
            raise ValidationError(_("This is not a readable CSV file."))
        try:
            # newline="": a lone carriage return ends a line instead of breaking the reader.
            for number, values in enumerate(csv.reader(io.StringIO(text, newline="")), 1):
                rows.append((number, values[0].strip() if values else ""))
        except csv.Error as exc:  # a field over the csv module's limit, a stray quote
            raise ValidationError(_("This is not a readable CSV file.")) from exc
    else:
        raise ValidationError(_("Upload a .csv or .xlsx file."))
    if rows and rows[0][1].lower() in {"username", "user", "用户名"}:
        rows = rows[1:]
    return [(n, u) for n, u in rows if u]


@transaction.atomic
def attendance_import(
    *, session: StudySession, content: bytes, filename: str, by: AbstractBaseUser
) -> list[AttendanceImportRow]:
    """Record attendance from a list of usernames; each bad row says why, good rows are
    recorded (idempotently)."""
    _check_manager(session=session, by=by)
    wanted = _read_usernames(content=content, filename=filename)
    if not wanted:
        raise ValidationError(_("The file lists no usernames."))
    names = {u for _n, u in wanted}
    # Only members the manager may see are looked up: a name outside their units gets the
    # same answer whether or not it exists elsewhere.
    visible = {
        m.user.get_username(): m
        for m in members_visible_to(user=by)
        .filter(user__username__in=names)
        .select_related("user", "unit")
    }
    in_session = set(
        session_eligible_members(session=session, by=by)
        .filter(user__username__in=names)
        .values_list("user__username", flat=True)
    )
    report: list[AttendanceImportRow] = []
    good = []
    for line, username in wanted:
        row = AttendanceImportRow(line=line, username=username)
        if username not in visible:
            row.error = _("Not found in your units.")
        elif username not in in_session:
            row.error = _("Not a member of this session's unit.")
        elif visible[username].user_id == by.pk:
            row.error = own_attendance_refusal()
        else:
            row.recorded = True
            good.append(visible[username].user)
        report.append(row)
    unique_good = list({u.pk: u for u in good}.values())
    if unique_good:
        attendance_record(session=session, users=unique_good, by=by)
    return report
