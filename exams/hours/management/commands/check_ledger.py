"""Print the ledger's totals and the watch log's audit replay, as JSON.

Run it before a backup and after a restore (docs/operations.md): the two outputs must be
identical. It reads only.
"""

import json
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db.models import Count, Sum

from exams.hours import year_totals
from exams.hours.models import StudyHourEntry
from exams.tracking.audit import watch_log_replay
from exams.tracking.models import WatchBeat


def _hours(value) -> str:
    return str(Decimal(value or 0).quantize(Decimal("0.01")))


class Command(BaseCommand):
    help = "Print the study-hour ledger's totals and the audit replay result (JSON)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--no-replay", action="store_true", help="Skip the replay of the watch log."
        )

    def handle(self, *args, no_replay: bool = False, **options):
        live = StudyHourEntry.objects.filter(superseded_by__isnull=True)
        by_year = {
            str(row["year"]): _hours(row["hours"])
            for row in live.values("year").annotate(hours=Sum("hours")).order_by("year")
        }
        by_source = {
            row["source"]: [row["n"], _hours(row["hours"])]
            for row in live.values("source")
            .annotate(n=Count("pk"), hours=Sum("hours"))
            .order_by("source")
        }
        report = {
            "entries": StudyHourEntry.objects.count(),
            "live_entries": live.count(),
            "hours_by_year": by_year,
            "live_by_source": by_source,
            "members_with_hours": live.values("user").distinct().count(),
            "beats": WatchBeat.objects.count(),
            # the year totals the database keeps, against the ledger's own sums: always []
            "year_total_mismatches": [
                [user_id, year, str(ledger), str(kept)]
                for user_id, year, ledger, kept in year_totals.mismatches()
            ],
        }
        if not no_replay:
            User = get_user_model()
            watchers = User.objects.filter(pk__in=WatchBeat.objects.values("user")).order_by("pk")
            differences = {
                user.get_username(): len(found)
                for user in watchers
                if (found := watch_log_replay(user=user))
            }
            report["replayed_members"] = watchers.count()
            report["replay_differences"] = differences
        self.stdout.write(json.dumps(report, sort_keys=True, indent=2))
