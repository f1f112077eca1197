from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from exams.hours.services import ledger_recompute


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(_("Not a date (YYYY-MM-DD): %(value)s") % {"value": value}) from exc


class Command(BaseCommand):
    help = (
        "Rebuild the study-hour ledger of a period from the raw logs (beats, course "
        "completions, attendance) under the current rules, in one transaction; written to "
        "the audit log as done by the system, with the note."
    )

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="date_from", help="first day (default: 1 January)")
        parser.add_argument("--to", dest="date_to", help="last day (default: today)")
        parser.add_argument("--dry-run", action="store_true", help="show totals, write nothing")
        parser.add_argument("--note", default="", help="why (kept with the recomputation)")

    def handle(self, *args, date_from=None, date_to=None, dry_run=False, note="", **options):
        today = timezone.localdate()
        start = _date(date_from) if date_from else date(today.year, 1, 1)
        end = _date(date_to) if date_to else today
        if end < start:
            raise CommandError(_("--to is before --from."))
        report = ledger_recompute(date_from=start, date_to=end, dry_run=dry_run, note=note, by=None)
        self.stdout.write(
            _("Period %(start)s – %(end)s") % {"start": report.date_from, "end": report.date_to}
        )
        self.stdout.write(_("Total before: %(hours)s h") % {"hours": report.total_before})
        self.stdout.write(_("Total after:  %(hours)s h") % {"hours": report.total_after})
        self.stdout.write(
            _("Entries superseded: %(old)d, entries created: %(new)d")
            % {"old": report.superseded, "new": report.created}
        )
        if dry_run:
            self.stdout.write(_("Dry run: nothing was written."))
        else:
            self.stdout.write(
                self.style.SUCCESS(_("Recomputation %(id)s recorded.") % {"id": report.batch_id})
            )
