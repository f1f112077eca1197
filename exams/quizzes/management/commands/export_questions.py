from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from exams.quizzes.importing import (
    EXPORT_FORMATS,
    NOT_EXPORTED,
    category_by_path,
    export_category,
    export_questions,
    split_path,
)


class Command(BaseCommand):
    help = "Export the questions of a category (and its subcategories) to a file."

    def add_arguments(self, parser):
        parser.add_argument("out", help="the file to write")
        parser.add_argument("--category", metavar="PATH", required=True, help="A/B/C")
        parser.add_argument("--format", dest="fmt", choices=EXPORT_FORMATS, required=True)
        parser.add_argument(
            "--no-subcategories",
            action="store_true",
            help="only the category's own questions",
        )

    def handle(self, *args, out, category, fmt, no_subcategories, **options):
        found = category_by_path(names=split_path(category))
        if found is None:
            raise CommandError(_("No such category: %(path)s") % {"path": category})
        include = not no_subcategories
        questions = export_questions(category=found, include_subcategories=include)
        left_out = sum(1 for q in questions if q.spec.qtype in NOT_EXPORTED.get(fmt, ()))
        data = export_category(category=found, fmt=fmt, include_subcategories=include)
        try:
            Path(out).write_bytes(data)
        except OSError as error:
            raise CommandError(
                _("Cannot write %(path)s: %(error)s") % {"path": out, "error": error}
            ) from error
        if left_out:
            self.stdout.write(
                _("Left out %(count)d question(s) of types this format cannot hold.")
                % {"count": left_out}
            )
        self.stdout.write(
            self.style.SUCCESS(
                _("Exported %(count)d question(s) of %(category)s to %(path)s.")
                % {"count": len(questions) - left_out, "category": found.path, "path": out}
            )
        )
