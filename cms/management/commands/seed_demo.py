from importlib import import_module

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.translation import gettext as _

# Each app that has demo content provides ``<app>/demo.py`` with ``seed(*, stdout)``.
# The order matters: later seeders use what earlier ones made.
SEEDERS = ("cms", "media_pipeline", "courses", "exams.quizzes", "exams.hours", "exams.reports")


class Command(BaseCommand):
    help = "Create demo units, users (password demo12345) and sample content. Idempotent."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError(
                _("seed_demo creates accounts with a known password; it runs only with DEBUG on.")
            )
        for app_label in SEEDERS:
            try:
                module = import_module(f"{app_label}.demo")
            except ModuleNotFoundError as exc:
                if exc.name != f"{app_label}.demo":
                    raise
                continue
            with transaction.atomic():
                module.seed(stdout=self.stdout)
        self.stdout.write(self.style.SUCCESS(_("Demo data is ready.")))
