"""Training reports at 100,000 members: the unit overview of the root and of a district, warm,
in-process, against a naive per-member loop measured in the same run; the XLSX export of all
members when ``exams/reports/exporting.py`` has one.

    .venv/bin/python bench/reports.py [--generate] [--repeat 15] [--root-repeat 5]
        [--subset 10000] [--no-xlsx] [--readme]

Runs on the PostgreSQL database ``lms_reports_bench`` (``DATABASE_URL`` overrides it),
``cms.settings.dev`` with ``DEBUG`` off (no query log while timing), migrated first. The
data comes from ``manage.py generate_report_data`` (100,000 members in ~2,000 units, 1,000
courses, 5,000,000 ledger entries, enrolments, progress, quiz results); ``--generate`` runs it
with ``--reset`` first (about three minutes), otherwise it must have run already.

1. ``exams.reports.figures.unit_overview`` for the whole year (``ReportFilters.for_year``), as
   the manager of the root (``gen000001``) and of the first district (``gen000002``): one
   warm-up call, then ``--root-repeat`` / ``--repeat`` timed calls; median and p95 (nearest
   rank). Server-side: the selector's wall time, SQL and Python, no HTTP or template. One more
   call under ``CaptureQueriesContext`` counts its SQL statements and their time, for the root,
   the district, a level-3 unit and a leaf: the count must not grow with the subtree.
2. Reference: the first ``--subset`` members of the root's subtree (by user id). The report's
   way (``member_figures`` on that subset: one grouped query per figure) against a naive
   per-member Python loop over the same members (per member: one query for the year's hours,
   ``cms.selectors.unit_yearly_target`` for the target, one for the required courses, one for
   the quiz results); both must give the same figures. Printed as report / naive, and the naive
   loop extrapolated to all members against the root's overview.
3. XLSX: when ``exams/reports/exporting.py`` defines ``members_xlsx_write`` (or another
   function whose name has ``members`` and ``xlsx``), it writes all members of the root to a
   file in a child process (``bench/reports.py --xlsx-child``); wall time of the call, peak
   RSS of the child (``os.wait4``'s ``ru_maxrss``), the child's RSS before the call, size.

Prints a markdown table; ``--readme`` writes it to bench/README.md under
"## training reports" (the section's ``### `` subsections are kept).
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cms.settings.dev")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/lms_reports_bench")
os.environ["DEBUG"] = "0"  # dev settings: no query log while timing

COMMAND = ".venv/bin/python bench/reports.py"
ROOT_CODE, BRANCH_CODE = "gen-root", "gen-0001"
ROOT_MANAGER, BRANCH_MANAGER = "gen000001", "gen000002"
TARGET_ROOT_S, TARGET_BRANCH_S = 1.0, 0.2
TARGET_XLSX_S, TARGET_XLSX_MB = 30.0, 300.0


# --- set-up -------------------------------------------------------------------------------


def _database_prepare(*, generate: bool) -> str | None:
    """Create the database if needed and migrate it (the code measured may have new
    migrations); with ``generate``, run the generator too and return its last line."""
    import psycopg

    url = os.environ["DATABASE_URL"]
    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "-v0", "--skip-checks"], cwd=ROOT, check=True)
    if not generate:
        return None
    started = time.monotonic()
    run = subprocess.run(
        [*manage, "generate_report_data", "--reset", "--skip-checks"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    print(run.stdout, end="")
    return f"{run.stdout.strip().splitlines()[-1]} (wall {time.monotonic() - started:.0f} s)"


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, -(-len(ordered) * 95 // 100) - 1)]


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms" if seconds < 10 else f"{seconds:,.1f} s"


def _timed(fn, repeat: int) -> list[float]:
    fn()  # warm-up
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return times


def _queries(fn) -> tuple[int, float, float]:
    """SQL statements of one call, their total time and the slowest's (seconds)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        fn()
    times = [float(q["time"]) for q in ctx.captured_queries]
    return len(times), sum(times), max(times, default=0.0)


# --- the naive reference ------------------------------------------------------------------


def _naive_figures(*, profiles, filters, today) -> dict[int, tuple]:
    """Per member, one query at a time: hours of the year, target, required, quizzes."""
    from decimal import Decimal

    from django.db.models import Count, F, Q, Sum
    from django.db.models.functions import TruncDate

    from cms.selectors import unit_yearly_target
    from courses.models import Enrolment
    from exams.hours.models import StudyHourEntry
    from exams.quizzes.models import QuizResult

    out = {}
    for profile in profiles:
        uid = profile.user_id
        hours = StudyHourEntry.objects.filter(
            user_id=uid, year=filters.year, superseded_by__isnull=True
        ).aggregate(s=Sum("hours"))["s"]
        target = unit_yearly_target(unit=profile.unit)
        done = Q(completed_at__isnull=False)
        required = (
            Enrolment.objects.filter(
                user_id=uid,
                source=Enrolment.Source.ASSIGNMENT,
                assignment__isnull=False,
                course__live=True,
                due_date__gte=filters.date_from,
                due_date__lte=filters.date_to,
            )
            .annotate(done_day=TruncDate("completed_at"))
            .aggregate(
                on_time=Count("pk", filter=done & Q(done_day__lte=F("due_date"))),
                late=Count("pk", filter=done & Q(done_day__gt=F("due_date"))),
                overdue=Count("pk", filter=Q(completed_at__isnull=True, due_date__lt=today)),
                open=Count("pk", filter=Q(completed_at__isnull=True, due_date__gte=today)),
            )
        )
        quizzes = QuizResult.objects.filter(
            user_id=uid,
            attempts__gt=0,
            updated_at__date__gte=filters.date_from,
            updated_at__date__lte=filters.date_to,
        ).aggregate(taken=Count("pk"), passed=Count("pk", filter=Q(passed=True)))
        out[uid] = (
            hours.quantize(Decimal("0.01")) if hours else None,
            target,
            required["on_time"],
            required["late"],
            required["overdue"],
            required["open"],
            quizzes["taken"],
            quizzes["passed"],
        )
    return out


def _report_figures(rows) -> dict[int, tuple]:
    return {
        r.user_id: (
            r.year_hours if r.year_hours else None,
            r.target,
            r.required_on_time,
            r.required_late,
            r.required_overdue,
            r.required_open,
            r.quizzes_taken,
            r.quizzes_passed,
        )
        for r in rows
    }


# --- XLSX ---------------------------------------------------------------------------------


def _xlsx_function():
    """The exporter's function writing all members, if ``exams/reports/exporting.py`` has one."""
    if not (ROOT / "exams" / "reports" / "exporting.py").exists():
        return None, "exams/reports/exporting.py does not exist yet"
    import importlib

    module = importlib.import_module("exams.reports.exporting")
    if callable(getattr(module, "members_xlsx_write", None)):
        return module.members_xlsx_write, None
    for name, fn in inspect.getmembers(module, inspect.isfunction):
        if fn.__module__ == module.__name__ and "xlsx" in name and "member" in name:
            return fn, None
    return None, "exams/reports/exporting.py has no members_xlsx… function"


def _xlsx_child(out_path: str) -> None:
    """In the child: call the exporter for every member of the root, print JSON."""
    import django

    django.setup()
    from django.contrib.auth import get_user_model

    from cms.models import Unit
    from exams.reports.figures import member_figures, members_of_unit
    from exams.reports.filters import ReportFilters

    fn, why = _xlsx_function()
    if fn is None:
        print(json.dumps({"error": why}))
        return
    root = Unit.objects.get(code=ROOT_CODE)
    manager = get_user_model().objects.get(username=ROOT_MANAGER)
    filters = ReportFilters.for_year()
    before_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kwargs, stream = {}, None
    for name, param in inspect.signature(fn).parameters.items():
        if name in {"user", "manager", "requester", "by"}:
            kwargs[name] = manager
        elif name == "unit":
            kwargs[name] = root
        elif name == "filters":
            kwargs[name] = filters
        elif name == "members":
            kwargs[name] = members_of_unit(unit=root)
        elif name == "rows":
            kwargs[name] = member_figures(members=members_of_unit(unit=root), filters=filters)
        elif name in {"out", "output", "stream", "file", "fp", "fileobj", "buffer", "target"}:
            stream = open(out_path, "wb")  # noqa: SIM115 - closed below
            kwargs[name] = stream
        elif name in {"path", "filename", "dest", "destination"}:
            kwargs[name] = out_path
        elif param.default is inspect.Parameter.empty and param.kind not in (
            param.VAR_KEYWORD,
            param.VAR_POSITIONAL,
        ):
            print(json.dumps({"error": f"{fn.__name__}{inspect.signature(fn)}: '{name}'?"}))
            return
    started = time.perf_counter()
    result = fn(**kwargs)
    returned = result if isinstance(result, int) else None
    if isinstance(result, bytes | bytearray):
        Path(out_path).write_bytes(result)
    elif hasattr(result, "getvalue"):
        Path(out_path).write_bytes(result.getvalue())
    if stream is not None:
        stream.close()
    seconds = time.perf_counter() - started
    print(
        json.dumps(
            {
                "function": f"{fn.__module__}.{fn.__name__}",
                "seconds": seconds,
                "before_kb": before_kb,
                "bytes": Path(out_path).stat().st_size if Path(out_path).exists() else 0,
                "returned": returned,
            }
        )
    )


def _xlsx_measure() -> dict:
    """The child runs under ``/usr/bin/time``: a process forked from this (big) one would
    carry this one's RSS high-water mark through ``exec``; time's child starts clean."""
    with tempfile.TemporaryDirectory() as tmp:
        out, rss = str(Path(tmp) / "members.xlsx"), Path(tmp) / "rss"
        command = [sys.executable, __file__, "--xlsx-child", out]
        timed = Path("/usr/bin/time").exists()
        if timed:
            command = ["/usr/bin/time", "-f", "%M", "-o", str(rss), *command]
        started = time.perf_counter()
        proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
        stdout = proc.stdout.read()
        _pid, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        code = os.waitstatus_to_exitcode(status)
        lines = [line for line in stdout.splitlines() if line.startswith("{")]
        if code or not lines:
            return {"error": f"child exited {code}: {stdout[-500:]}"}
        found = json.loads(lines[-1])
        found["wall"] = wall
        found["peak_kb"] = int(rss.read_text().split()[-1]) if timed else usage.ru_maxrss
        if not found.get("error") and found.get("bytes"):
            with zipfile.ZipFile(out) as book:
                found["sheet_rows"] = sum(
                    book.read(name).count(b"<row ")
                    for name in book.namelist()
                    if name.startswith("xl/worksheets/sheet")
                )
        return found


# --- main ---------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--generate", action="store_true", help="(re)generate the data first")
    parser.add_argument("--repeat", type=int, default=15, help="timed calls, district")
    parser.add_argument("--root-repeat", type=int, default=5, help="timed calls, root")
    parser.add_argument("--subset", type=int, default=10_000)
    parser.add_argument("--no-xlsx", action="store_true")
    parser.add_argument("--readme", action="store_true", help="write bench/README.md")
    parser.add_argument("--xlsx-child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.xlsx_child:
        _xlsx_child(args.xlsx_child)
        return

    generated = _database_prepare(generate=args.generate)

    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.utils import timezone

    from cms.models import MemberProfile, Unit
    from exams.hours.models import StudyHourEntry
    from exams.reports.figures import member_figures, members_of_unit, unit_overview
    from exams.reports.filters import ReportFilters

    if connection.vendor != "postgresql":
        raise SystemExit("bench/reports.py measures PostgreSQL: DATABASE_URL=postgres://…")
    root = Unit.objects.filter(code=ROOT_CODE).first()
    if root is None:
        raise SystemExit(
            "no generated data: run with --generate (or manage.py generate_report_data)"
        )
    users = get_user_model().objects
    root_manager = users.get(username=ROOT_MANAGER)
    branch = Unit.objects.get(code=BRANCH_CODE)
    branch_manager = users.get(username=BRANCH_MANAGER)
    level3 = branch.get_first_child()
    leaf = level3.get_first_child()
    today = timezone.localdate()
    filters = ReportFilters.for_year(today.year)
    load_start = os.getloadavg()[0]

    def overview(unit, user):
        return lambda: unit_overview(user=user, unit=unit, filters=filters, today=today)

    n_members = MemberProfile.objects.filter(unit__path__startswith=root.path).count()
    n_branch = MemberProfile.objects.filter(unit__path__startswith=branch.path).count()
    n_ledger = StudyHourEntry.objects.count()
    rows = []
    measured, query_counts = {}, {}
    for label, unit, user, repeat, target in (
        ("root", root, root_manager, args.root_repeat, TARGET_ROOT_S),
        ("district", branch, branch_manager, args.repeat, TARGET_BRANCH_S),
    ):
        print(f"unit overview, {label} …", flush=True)
        times = _timed(overview(unit, user), repeat)
        count, sql, slowest = _queries(overview(unit, user))
        measured[label] = statistics.median(times)
        query_counts[label] = count
        rows.append(
            (
                f"unit overview, {label} `{unit.code}` ({unit.get_children_count()} child units, "
                f"{n_members if unit is root else n_branch:,} members)",
                _ms(statistics.median(times)),
                _ms(_p95(times)),
                f"{count} ({_ms(sql)} SQL, slowest {_ms(slowest)})",
                f"≤ {_ms(target)}",
                "met" if statistics.median(times) <= target else "**not met**",
            )
        )
    for label, unit in (("level-3", level3), ("leaf", leaf)):
        query_counts[label] = _queries(overview(unit, root_manager))[0]
    # a leaf skips the query of its children; nothing else may differ
    grows = len({query_counts["root"], query_counts["district"], query_counts["level-3"]}) > 1
    grows = grows or query_counts["leaf"] > query_counts["root"]
    counts_line = (
        f"SQL statements per overview: root {query_counts['root']}, district "
        f"{query_counts['district']}, level-3 unit `{level3.code}` {query_counts['level-3']}, "
        f"leaf `{leaf.code}` {query_counts['leaf']} (no children to read) — "
        + ("**they grow**" if grows else "they do not grow with the subtree")
    )

    # the reference: report vs naive loop on the same members
    print(f"reference on {args.subset:,} members …", flush=True)
    subset_ids = list(
        MemberProfile.objects.filter(unit__path__startswith=root.path)
        .order_by("user_id")
        .values_list("user_id", flat=True)[: args.subset]
    )
    subset = members_of_unit(unit=root).filter(user_id__in=subset_ids)
    report_times = _timed(lambda: member_figures(members=subset, filters=filters, today=today), 3)
    report_rows = member_figures(members=subset, filters=filters, today=today)
    profiles = list(subset.select_related("unit").order_by("user_id"))
    statements = [0]

    def counted(execute, sql, params, many, context):
        statements[0] += 1
        return execute(sql, params, many, context)

    started = time.perf_counter()
    with connection.execute_wrapper(counted):
        naive = _naive_figures(profiles=profiles, filters=filters, today=today)
    naive_s = time.perf_counter() - started
    report_s = statistics.median(report_times)
    same = naive == _report_figures(report_rows)
    differing = sum(1 for k, v in _report_figures(report_rows).items() if naive.get(k) != v)
    rows.append(
        (
            f"report's figures (`member_figures`), {len(subset_ids):,} members",
            _ms(report_s),
            _ms(_p95(report_times)),
            str(_queries(lambda: member_figures(members=subset, filters=filters, today=today))[0]),
            "",
            "",
        )
    )
    rows.append(
        (
            f"naive per-member loop, the same {len(subset_ids):,} members (reference)",
            _ms(naive_s),
            "",
            f"{statements[0]:,}",
            "",
            "",
        )
    )
    naive_all = naive_s * n_members / len(subset_ids)

    xlsx_line = None
    if not args.no_xlsx:
        fn, why = _xlsx_function()
        if fn is None:
            xlsx_line = f"XLSX export: not measured ({why})"
        else:
            print("XLSX export …", flush=True)
            found = _xlsx_measure()
            if found.get("error"):
                xlsx_line = f"XLSX export: not measured ({found['error']})"
            else:
                peak_mb = found["peak_kb"] / 1024
                ok = found["seconds"] <= TARGET_XLSX_S and peak_mb <= TARGET_XLSX_MB
                rows.append(
                    (
                        f"XLSX export of all {n_members:,} members (`{found['function']}`, child "
                        f"process; {found['bytes'] / 1e6:.1f} MB, "
                        f"{found.get('sheet_rows', 0):,} sheet rows)",
                        f"{found['seconds']:.1f} s (process {found['wall']:.1f} s)",
                        "",
                        f"peak RSS {peak_mb:.0f} MB (before the call "
                        f"{found['before_kb'] / 1024:.0f} MB)",
                        f"≤ {TARGET_XLSX_S:.0f} s, ≤ {TARGET_XLSX_MB:.0f} MB",
                        "met" if ok else "**not met**",
                    )
                )

    load_end = os.getloadavg()[0]
    header = (
        f"PostgreSQL {connection.pg_version // 10000}, "
        f"database `{connection.settings_dict['NAME']}` "
        f"(`manage.py generate_report_data`: {n_members:,} members, "
        f"{Unit.objects.filter(path__startswith=root.path).count():,} units, {n_ledger:,} ledger "
        f"entries), year {filters.year}, in-process (`unit_overview` called directly, warm: one "
        f"call first), `cms.settings.dev` with DEBUG off; 2 CPUs shared with other work, load "
        f"average (1 min) {load_start:.2f} → {load_end:.2f}"
    )
    table = [
        "| measure | median | p95 | SQL statements | target | |",
        "|---|---:|---:|---|---|---|",
        *("| " + " | ".join(row) + " |" for row in rows),
    ]
    notes = [
        f"- {counts_line}",
        f"- report / naive on the same {len(subset_ids):,} members: "
        f"**{report_s / naive_s:.3f}** ({_ms(report_s)} against {_ms(naive_s)}); the same "
        f"figures: {'yes' if same else f'no, {differing} members differ'}",
        f"- naive loop extrapolated to all {n_members:,} members: {_ms(naive_all)}; the root's "
        f"overview / that: **{measured['root'] / naive_all:.3f}**",
    ]
    if generated:
        notes.append(f"- data generated in this run: {generated}")
    if xlsx_line:
        notes.append(f"- {xlsx_line}")
    text = "\n".join([header, "", *table, "", *notes])
    print()
    print(text)
    if args.readme:
        from bench.common import readme_generated_part_write

        readme_generated_part_write("training reports", COMMAND, text)


if __name__ == "__main__":
    main()
