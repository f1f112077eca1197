from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from tqdm import tqdm

from cms.importing import ImportRefused, ImportReport, member_import_parse, member_import_write

PROGRESS_FROM_ROWS = 500


class Command(BaseCommand):
    help = (
        "Import members from a CSV or XLSX file (columns: username, full name, unit code, "
        "role, e-mail, phone). Nothing is written when any row is bad, unless --only-valid."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="a .csv or .xlsx file")
        parser.add_argument(
            "--only-valid", action="store_true", help="import the good rows, skip the bad ones"
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="check the file and report; write nothing"
        )
        parser.add_argument(
            "--unit-scope-user",
            metavar="USERNAME",
            help="refuse rows outside the units this user manages (as the admin form does)",
        )

    def handle(self, *args, file, only_valid, dry_run, unit_scope_user, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(_("No such file: %(path)s") % {"path": path})
        user = self._scope_user(unit_scope_user)
        report = member_import_parse(content=path.read_bytes(), filename=path.name, user=user)
        self._print_report(report)
        if not report.is_readable:
            raise CommandError(_("The file cannot be imported."))
        if report.invalid_rows and not only_valid:
            raise CommandError(
                _(
                    "%(count)d bad row(s); nothing imported. "
                    "Fix them, or run again with --only-valid."
                )
                % {"count": len(report.invalid_rows)}
            )
        if dry_run:
            self.stdout.write(
                _("Dry run: %(count)d row(s) would be imported.")
                % {"count": len(report.valid_rows)}
            )
            return
        with tqdm(
            total=len(report.valid_rows),
            unit="row",
            disable=len(report.rows) < PROGRESS_FROM_ROWS,
            file=self.stderr._out,
        ) as bar:
            try:
                result = member_import_write(
                    rows=report.rows, user=user, only_valid=only_valid, progress=bar.update
                )
            except ImportRefused as refused:
                self._print_report(refused.report)
                raise CommandError(_("Nothing imported.")) from refused
        self.stdout.write(
            self.style.SUCCESS(
                _("Imported %(created)d member(s), skipped %(skipped)d.")
                % {"created": result.created, "skipped": result.skipped}
            )
        )

    def _scope_user(self, username: str | None):
        if not username:
            return None
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(_("No user named %(name)s.") % {"name": username})
        return user

    def _print_report(self, report: ImportReport) -> None:
        for problem in report.file_errors:
            self.stderr.write(_("File: %(message)s") % {"message": problem.message})
        for row in report.invalid_rows:
            for problem in row.errors:
                self.stderr.write(
                    _("Row %(line)d: %(message)s") % {"line": row.line, "message": problem.message}
                )
        if report.is_readable:
            self.stdout.write(
                _("%(total)d row(s) read: %(good)d good, %(bad)d bad.")
                % {
                    "total": len(report.rows),
                    "good": len(report.valid_rows),
                    "bad": len(report.invalid_rows),
                }
            )
