"""The two steps of a member import: read and check a file, then write its rows."""

from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from cms.models import MemberProfile
from cms.services import roles_ensure
from cms.signals import members_joined_units

from .columns import FIELD_LABELS, FIELDS, HEADER_TO_FIELD, REQUIRED_FIELDS, header_key
from .readers import ImportFileError, Table, table_read
from .rows import ImportReport, ImportResult, ImportRow, Problem
from .validation import rows_validate

DEFAULT_MAX_ROWS = 20_000
BATCH_SIZE = 1000


class ImportRefused(Exception):
    """Raised by ``member_import_write`` when bad rows stop the import; carries the report."""

    def __init__(self, report: ImportReport) -> None:
        super().__init__(_("The import was refused: some rows have errors."))
        self.report = report


def member_import_max_rows() -> int:
    return int(getattr(settings, "MEMBER_IMPORT_MAX_ROWS", DEFAULT_MAX_ROWS))


def member_import_parse(
    *, content: bytes, filename: str, user: AbstractBaseUser | None
) -> ImportReport:
    """Read a CSV or XLSX file and check every row; writes nothing.

    ``user`` is the person importing (rows outside their units are refused); ``None``
    imports anywhere.
    """
    try:
        table = table_read(content=content, filename=filename, max_rows=member_import_max_rows())
        rows = _rows_from_table(table)
    except ImportFileError as error:
        return ImportReport(file_errors=[error.problem])
    if not rows:
        return ImportReport(
            file_errors=[Problem("no_rows", _("The file has a header row but no members."))]
        )
    rows_validate(rows=rows, user=user)
    return ImportReport(rows=rows)


def _rows_from_table(table: Table) -> list[ImportRow]:
    header = table[0][1]
    positions: dict[str, int] = {}
    unknown: list[str] = []
    for index, title in enumerate(header):
        if not title:
            continue
        field = HEADER_TO_FIELD.get(header_key(title))
        if field is None:
            unknown.append(title)
        elif field in positions:
            raise ImportFileError(
                "duplicate_column",
                _("The column “%(column)s” appears twice.") % {"column": title},
            )
        else:
            positions[field] = index
    missing = [str(FIELD_LABELS[name]) for name in REQUIRED_FIELDS if name not in positions]
    if missing or unknown:
        raise ImportFileError("bad_columns", _columns_message(missing, unknown))
    return [
        ImportRow(
            line=number,
            **{
                field: (cells[index] if index < len(cells) else "")
                for field, index in positions.items()
            },
        )
        for number, cells in table[1:]
    ]


def _columns_message(missing: list[str], unknown: list[str]) -> str:
    parts = []
    if missing:
        parts.append(_("Missing columns: %(columns)s.") % {"columns": ", ".join(missing)})
    if unknown:
        parts.append(_("Unknown columns: %(columns)s.") % {"columns": ", ".join(unknown)})
    expected = ", ".join(str(FIELD_LABELS[name]) for name in FIELDS)
    parts.append(
        _(
            "Expected the columns %(expected)s (or 用户名, 姓名, 单位代码, 角色, 邮箱, 手机); "
            "role, e-mail and phone may be left out."
        )
        % {"expected": expected}
    )
    return " ".join(parts)


def member_import_write(
    *,
    rows: list[ImportRow],
    user: AbstractBaseUser | None,
    only_valid: bool = False,
    progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """Create the users, profiles and roles of ``rows`` in one transaction.

    The rows are checked again first (the database may have changed since the preview).
    With any bad row nothing is written and ``ImportRefused`` is raised, unless
    ``only_valid`` is set: then the good rows are written and the bad ones skipped.
    Imported users get an unusable password and set their own through password reset.
    ``progress`` is called with the number of rows written after each batch.
    """
    report = ImportReport(rows=rows)
    try:
        with transaction.atomic():
            rows_validate(rows=rows, user=user)
            if report.invalid_rows and not only_valid:
                raise ImportRefused(report)
            good = report.valid_rows
            user_ids = _write(good, progress)
            _enrol(user_ids)
    except IntegrityError as error:
        # Someone created one of these usernames between the check and the write.
        report.file_errors.append(
            Problem("conflict", _("The members changed meanwhile; check the file again."))
        )
        raise ImportRefused(report) from error
    return ImportResult(created=len(good), skipped=len(rows) - len(good))


def _write(rows: list[ImportRow], progress: Callable[[int], None] | None) -> list[int]:
    User = get_user_model()
    groups = roles_ensure()
    user_ids: list[int] = []
    for batch in _batches(rows):
        users = [
            User(
                username=row.username,
                email=User.objects.normalize_email(row.email),
                first_name=row.full_name[:150],
                password=make_password(None),
            )
            for row in batch
        ]
        User.objects.bulk_create(users)
        ids = dict(
            User.objects.filter(username__in=[row.username for row in batch]).values_list(
                "username", "pk"
            )
        )
        MemberProfile.objects.bulk_create(
            MemberProfile(
                user_id=ids[row.username],
                unit_id=row.unit_id,
                full_name=row.full_name,
                phone=row.phone,
            )
            for row in batch
        )
        User.groups.through.objects.bulk_create(
            User.groups.through(user_id=ids[row.username], group_id=groups[row.group_name].pk)
            for row in batch
        )
        user_ids.extend(ids.values())
        if progress is not None:
            progress(len(batch))
    return user_ids


def _enrol(user_ids: list[int]) -> None:
    """New members join the courses already assigned to their units, as ``member_create``
    does for one member."""
    if user_ids:
        members_joined_units.send(sender=MemberProfile, user_ids=user_ids)


def _batches(rows: list[ImportRow]) -> list[list[ImportRow]]:
    return [rows[start : start + BATCH_SIZE] for start in range(0, len(rows), BATCH_SIZE)]
