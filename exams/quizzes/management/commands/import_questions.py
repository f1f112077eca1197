from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.translation import gettext as _

from exams.quizzes import formats
from exams.quizzes.bank import category_ensure_path
from exams.quizzes.formats.base import ParseProblem
from exams.quizzes.importing import ImportRefused, import_commit, import_preview, split_path


class Command(BaseCommand):
    help = (
        "Import questions from a GIFT, Moodle XML, Aiken or Excel-template file. The good "
        "questions are imported in one transaction; each bad one is listed with its line or "
        "row and skipped."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="a .txt (GIFT, Aiken), .xml, .xlsx or .csv file")
        parser.add_argument(
            "--category",
            metavar="PATH",
            default="",
            help="import into this category (A/B/C, made where missing); the file's "
            "categories are made inside it",
        )
        parser.add_argument(
            "--format",
            dest="fmt",
            choices=sorted(formats.FORMATS),
            help="the file's format (detected from the file when not given)",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="check the file and report; store nothing"
        )
        parser.add_argument(
            "--strict",
            action="store_true",
            help="import nothing when any question of the file cannot be imported",
        )

    def handle(self, *args, file, category, fmt, dry_run, strict, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(_("No such file: %(path)s") % {"path": path})
        try:
            preview = import_preview(filename=path.name, data=path.read_bytes(), fmt=fmt)
        except ImportRefused as refused:
            self._print_problems(refused.problems)
            raise CommandError(refused.message) from refused
        self._print_problems(preview.problems)
        if preview.unsupported:
            self.stdout.write(
                _("Unsupported question types, skipped: %(types)s")
                % {"types": ", ".join(f"{t} ({n})" for t, n in preview.unsupported.items())}
            )
        if strict and preview.problems:
            raise CommandError(
                _("%(count)d question(s) cannot be imported; nothing imported (--strict).")
                % {"count": len(preview.problems)}
            )
        if dry_run:
            self._print_counts(preview.by_type, preview.by_category)
            self.stdout.write(
                _(
                    "Dry run (%(format)s): %(count)d question(s) would be imported, "
                    "%(skipped)d skipped."
                )
                % {
                    "format": preview.fmt,
                    "count": len(preview.questions),
                    "skipped": len(preview.problems),
                }
            )
            return
        names = split_path(category)
        with transaction.atomic():
            into = category_ensure_path(names=names) if names else None
            try:
                report = import_commit(preview=preview, into=into, user=None)
            except ImportRefused as refused:
                raise CommandError(refused.message) from refused
        self._print_counts(report.by_type, report.by_category)
        self.stdout.write(
            self.style.SUCCESS(
                _("Imported %(count)d question(s) (%(format)s), skipped %(skipped)d.")
                % {
                    "count": report.created,
                    "format": preview.fmt,
                    "skipped": len(report.skipped),
                }
            )
        )

    def _print_problems(self, problems: tuple[ParseProblem, ...]) -> None:
        for problem in problems:
            where = problem.line if problem.line is not None else "?"
            self.stderr.write(
                _("Line or row %(line)s: %(message)s") % {"line": where, "message": problem.message}
            )

    def _print_counts(self, by_type: dict[str, int], by_category: dict[str, int]) -> None:
        for qtype, count in by_type.items():
            self.stdout.write(_("  type %(type)s: %(count)d") % {"type": qtype, "count": count})
        for path, count in sorted(by_category.items()):
            self.stdout.write(
                _("  category %(path)s: %(count)d")
                % {"path": path or _("(no category)"), "count": count}
            )
