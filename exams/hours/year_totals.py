"""Each member's live ledger hours per year, kept up to date by the database.

Why: a manager's overview of 100,000 members summed the year's ledger lines (millions of
rows) on every request: 4.3 s of a root overview's 8.8 s on the generated data, and 0.9 s
of a branch's 1.4 s (bench/README.md, "training reports"). A year total per member turns
that sum into one row per member.

How it stays exact: a trigger on ``hours_studyhourentry`` (its SQL, for PostgreSQL and
SQLite, is in migration 0004_member_year_totals) appends a delta row for every entry that
becomes live (+hours) or stops being live (−hours: superseded by a recomputation,
deleted), in the transaction that changes the entry, whatever code path changes it. The
deltas are only ever appended, so a heartbeat and a recomputation (REPEATABLE READ on
PostgreSQL) never update the same row and never make each other fail. ``compact``
(a beat task each minute, and any time) folds deltas into ``MemberYearHours``. A reader
adds the totals and the pending deltas in one statement, so it sees the ledger's sum at
that moment. ``mismatches`` compares them with the brute-force sum (``manage.py
check_ledger`` prints it; the tests run it after every kind of change).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import QuerySet, Sum

from .models import MemberYearHours, MemberYearHoursDelta, StudyHourEntry

COMPACT_BATCH = 50_000

_TOTAL = "hours_memberyearhours"

# Additive, so two compactions of different deltas may touch one total at once.
_ADD_TO_TOTAL = (
    f"INSERT INTO {_TOTAL} (user_id, year, hours) VALUES (%s, %s, %s) "
    f"ON CONFLICT (user_id, year) DO UPDATE SET hours = {_TOTAL}.hours + excluded.hours"
)


def _hours(value) -> Decimal:
    return Decimal(value or 0).quantize(Decimal("0.01"))


def year_hours(*, user_ids: Iterable[int] | QuerySet, year: int) -> dict[int, Decimal]:
    """Each member's live ledger hours in ``year``: their total plus pending deltas, read
    in one statement. Members who never had an entry that year are absent."""
    totals = MemberYearHours.objects.filter(year=year, user__in=user_ids)
    deltas = MemberYearHoursDelta.objects.filter(year=year, user__in=user_ids)
    sums: dict[int, Decimal] = defaultdict(Decimal)
    rows = totals.values_list("user_id", "hours").union(
        deltas.values_list("user_id", "hours"), all=True
    )
    for user_id, hours in rows:
        sums[user_id] += Decimal(hours)
    return {user_id: _hours(total) for user_id, total in sums.items()}


def compact(*, batch: int = COMPACT_BATCH) -> int:
    """Fold pending deltas into the totals; returns how many were folded. Safe to run
    at any time and in parallel: each run takes the deltas no other run has locked."""
    folded = 0
    while True:
        with transaction.atomic():
            pending = list(
                MemberYearHoursDelta.objects.select_for_update(skip_locked=True)
                .order_by("pk")
                .values_list("pk", "user_id", "year", "hours")[:batch]
            )
            if not pending:
                return folded
            sums: dict[tuple[int, int], Decimal] = defaultdict(Decimal)
            for _pk, user_id, year, hours in pending:
                sums[user_id, year] += Decimal(hours)
            with connection.cursor() as cursor:
                cursor.executemany(
                    _ADD_TO_TOTAL,
                    # in key order, so that parallel runs lock totals in one order
                    [(user_id, year, _hours(h)) for (user_id, year), h in sorted(sums.items())],
                )
            ids = [row[0] for row in pending]
            for start in range(0, len(ids), 5000):
                MemberYearHoursDelta.objects.filter(pk__in=ids[start : start + 5000]).delete()
            folded += len(pending)
        if len(pending) < batch:
            return folded


def mismatches() -> list[tuple[int, int, Decimal, Decimal]]:
    """(member, year, ledger sum, year total) wherever the two differ: none, always."""
    ledger = {
        (row["user"], row["year"]): _hours(row["s"])
        for row in StudyHourEntry.objects.filter(superseded_by__isnull=True)
        .values("user", "year")
        .annotate(s=Sum("hours"))
    }
    kept: dict[tuple[int, int], Decimal] = defaultdict(Decimal)
    for model in (MemberYearHours, MemberYearHoursDelta):
        for user_id, year, hours in model.objects.values_list("user_id", "year", "hours"):
            kept[user_id, year] += Decimal(hours)
    found = []
    for key in sorted(set(ledger) | set(kept)):
        expected, got = ledger.get(key, _hours(0)), _hours(kept.get(key))
        if expected != got:
            found.append((*key, expected, got))
    return found
