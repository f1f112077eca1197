"""The mixed load of issue #13: members watching, members sitting a timed quiz and managers
exporting reports, all at once, against gunicorn + PostgreSQL + Redis + a Celery worker.

    .venv/bin/python bench/load.py [--minutes 5] [--scale 1.0] [--questions 20]
        [--concurrency 96] [--workers 3] [--threads 4] [--worker-class gthread]
        [--redis-db 10] [--broker-db 11] [--export-every 60] [--no-readme]

1. Creates the PostgreSQL database ``lms_load`` (dropped first), migrates it and seeds,
   through the services and the seeding of the other benches: ``2000 × --scale`` members
   with a one-hour video lesson (``bench/heartbeats.py``), ``300 × --scale`` members with
   a timed quiz of ``--questions`` questions of eight types (``bench/exam_day.py``), and
   5 managers of the watchers' unit. Everyone is logged in (a server-side session).
2. Starts a Celery worker (``-Q default,media``, Redis broker db ``--broker-db``) and
   gunicorn (``cms.settings.production``: DEBUG off, the cache on Redis db
   ``--redis-db``), and drives them from a SEPARATE process (``bench/http1_client.py``,
   ``--concurrency`` keep-alive connections shared by everyone; a request waits for a free
   connection, and its latency is counted from the moment it was due, so that a server
   falling behind shows in the figures):
   - watchers beat at the player's real cadence: a ``play`` beat when the page opens (at a
     random moment of the first 15 s), then a ``tick`` every 15 s with the 15 s just
     played; a beat answered 5xx, 409 or 429, or lost on the way, keeps its seq and is
     sent again before the next one (``static_src/js/player.js``);
   - quiz takers start their attempt during the first fifth of the run, save their
     answers one by one over the next three fifths (the script of ``bench/exam_day.py``:
     changed answers and stale replays included) and submit during the last fifth;
   - each manager asks for the "members" export of the unit (CSV and XLSX in turn) every
     ``--export-every`` s: answered at once for a small unit, queued for the worker (the
     confirmation page, then a POST) above ``REPORTS_EXPORT_ASYNC_MEMBERS``;
   - the reference: ``GET /api/exams/ping/`` (DRF, session cookie) for 15 s before the
     mix on the quiet server, and twice a second during the mix.
3. Checks, in the database once the server is stopped and the worker has drained the
   exports: every acknowledged beat is stored (a lost beat otherwise) and none twice;
   every quiz answer's last acknowledged save is the stored response; each taker who
   submitted has one graded attempt; every queued export is done.

Targets: 0 5xx, 0 lost beats or answers, heartbeat p95 ≤ 100 ms during the mix. Prints
the table, with the p95 as a ratio to the ping's, and writes it to bench/README.md under
"## load" (the section's ``### `` subsections are kept). Develop with ``--minutes 1
--scale 0.05``; the full run needs a quiet machine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import secrets
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import gunicorn_start  # noqa: E402
from bench.heartbeats import free_port, percentile, postmaster_pid, wait_up  # noqa: E402

DB_NAME = "lms_load"
PG = "postgres://postgres@127.0.0.1:5432"
BEAT_URL = "/api/exams/heartbeats/"
PING_URL = "/api/exams/ping/"
QUIZ_API = "/api/v1/quizzes"
EXPORT_URL = "/admin/reports/exports/new/"
INTERVAL = 15.0  # the player's cadence (HEARTBEAT_INTERVAL_SECONDS)
MANAGERS = 5


def django_env(args, work: Path) -> dict[str, str]:
    return {
        # collected once per run: the managers' confirmation page is a Wagtail admin page
        "STATIC_ROOT": str(work / "static"),
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "cms.settings.production",
        "DATABASE_URL": f"{PG}/{DB_NAME}",
        "REDIS_URL": f"redis://127.0.0.1:6379/{args.redis_db}",
        "CELERY_BROKER_URL": f"redis://127.0.0.1:6379/{args.broker_db}",
        "SECRET_KEY": os.environ.get("BENCH_SECRET_KEY") or secrets.token_urlsafe(60),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "PYTHONPATH": str(ROOT),
    }


# --- seeding (runs under Django) --------------------------------------------------


def seed(watchers: int, takers: int, questions: int, out: Path) -> None:
    from bench import exam_day, heartbeats

    work = out.parent
    heartbeats.seed(watchers, work / "watchers.json")
    exam_day.seed(takers, questions, work / "takers.json")
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.middleware.csrf import _get_new_csrf_string

    from cms import roles
    from cms.models import Unit
    from cms.services import member_create

    unit = Unit.objects.get(code="BENCH")
    managers = []
    for i in range(MANAGERS):
        user = member_create(
            username=f"loadmgr{i}", full_name=f"Manager {i}", unit=unit, role=roles.MANAGERS
        )
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        managers.append({"sessionid": session.session_key, "csrf": _get_new_csrf_string()})
    out.write_text(
        json.dumps(
            {
                "watchers": json.loads((work / "watchers.json").read_text()),
                "takers": json.loads((work / "takers.json").read_text()),
                "managers": managers,
                "unit": unit.pk,
            }
        )
    )


# --- the load generator (a separate process, no Django) ---------------------------


class Pool:
    """Keep-alive connections shared by everyone: a request waits for a free one."""

    def __init__(self, host: str, port: int, size: int) -> None:
        from bench.http1_client import Connection

        self.free: asyncio.Queue = asyncio.Queue()
        for _ in range(size):
            self.free.put_nowait(Connection(host, port))

    async def request(self, method: str, path: str, headers: bytes, body: bytes = b""):
        conn = await self.free.get()
        try:
            status, payload = await conn.request(method, path, headers, body)
            return status, payload, conn.headers
        except Exception as exc:  # the connection is broken: the caller retries
            conn.close()
            return 0, repr(exc).encode(), b""
        finally:
            self.free.put_nowait(conn)


class Stats:
    def __init__(self) -> None:
        self.latencies: dict[str, list[float]] = {}
        self.statuses: dict[str, dict[str, int]] = {}
        self.examples: list = []

    def add(self, kind: str, status: int, elapsed: float, ok: bool, detail=None) -> None:
        self.statuses.setdefault(kind, {}).setdefault(str(status), 0)
        self.statuses[kind][str(status)] += 1
        if ok:
            self.latencies.setdefault(kind, []).append(elapsed)
        elif len(self.examples) < 20:
            self.examples.append([kind, status, str(detail)[:200]])

    def summary(self, kind: str) -> dict:
        values = sorted(self.latencies.get(kind, []))
        statuses = self.statuses.get(kind, {})
        return {
            "ok": len(values),
            "sent": sum(statuses.values()),
            "5xx": sum(n for s, n in statuses.items() if s.startswith("5")),
            "statuses": statuses,
            "p50_ms": percentile(values, 50) * 1000,
            "p95_ms": percentile(values, 95) * 1000,
            "p99_ms": percentile(values, 99) * 1000,
        }


async def watcher(pool, stats, info: dict, lesson: int, t0: float, end: float, out: dict):
    cookie = f"Cookie: sessionid={info['sessionid']}; csrftoken={info['csrf']}\r\n".encode()
    headers = cookie + b"Content-Type: application/json\r\n"
    session = str(uuid.uuid4())
    retry: list[dict] = []
    acked = out.setdefault(session, {"username": info["username"], "acked": [], "dup": 0})

    async def send(body: dict, due: float) -> None:
        status, payload, _h = await pool.request(
            "POST", BEAT_URL, headers, json.dumps(body).encode()
        )
        elapsed = time.perf_counter() - due
        ok = status == 200
        stats.add("beat", status, elapsed, ok, payload)
        if ok:
            answer = json.loads(payload)
            if answer.get("duplicate"):
                acked["dup"] += 1
            acked["acked"].append(body["seq"])
        elif status == 0 or status >= 500 or status in (409, 429):
            retry.append(body)  # as the player: the same seq, before the next beat

    seq = 0
    due = t0 + random.uniform(0, INTERVAL)
    while due < end:
        await asyncio.sleep(max(0.0, due - time.perf_counter()))
        queued, retry[:] = list(retry), []
        for body in queued:
            await send(body, time.perf_counter())
        played = None if seq == 0 else (INTERVAL * (seq - 1), INTERVAL * seq)
        body = {
            "token": info["token"],
            "lesson": lesson,
            "session": session,
            "seq": seq,
            "from": played[0] if played else None,
            "to": played[1] if played else None,
            "rate": 1,
            "event": "play" if seq == 0 else "tick",
            "position": played[1] if played else 0,
            "playing": seq > 0,
            "visible": True,
            "client_time": None,
        }
        await send(body, due)
        seq += 1
        due += INTERVAL
    for body in retry:  # the page's last chance (sendBeacon on pagehide)
        await send(body, time.perf_counter())


async def taker(pool, stats, m, quiz: int, specs: dict, t0: float, seconds: float):
    from bench.exam_day import QUIZ_API as API

    await asyncio.sleep(max(0.0, t0 + random.uniform(0, seconds / 5) - time.perf_counter()))
    due = time.perf_counter()
    status, payload, _h = await pool.request("POST", f"{API}/{quiz}/attempts/", m.headers)
    stats.add("quiz start", status, time.perf_counter() - due, status == 201, payload)
    if status != 201:
        return
    m.started(json.loads(payload), specs)
    saves_end = t0 + seconds * 4 / 5
    gap = max(0.05, (saves_end - time.perf_counter()) / max(1, len(m.script)))
    due = time.perf_counter()
    while m.script:
        position, response, seq, expect = m.script.popleft()
        await asyncio.sleep(max(0.0, due - time.perf_counter()))
        body = json.dumps({"answers": [{"position": position, "response": response, "seq": seq}]})
        status, payload, _h = await pool.request(
            "POST", f"{API}/attempts/{m.attempt}/responses/", m.headers, body.encode()
        )
        answer = json.loads(payload) if status == 200 else {}
        ok = answer.get(expect) == [position]
        stats.add("quiz save", status, time.perf_counter() - due, ok, payload)
        if ok and expect == "saved":
            m.acked[position] = (response, seq)
        due += gap
    await asyncio.sleep(
        max(0.0, t0 + seconds * (0.8 + random.uniform(0, 0.18)) - time.perf_counter())
    )
    due = time.perf_counter()
    status, payload, _h = await pool.request(
        "POST", f"{API}/attempts/{m.attempt}/submit/", m.headers
    )
    stats.add("quiz submit", status, time.perf_counter() - due, status == 200, payload)
    m.result = json.loads(payload) if status == 200 else None


async def manager(pool, stats, info: dict, unit: int, index: int, t0, end, every: float):
    cookie = f"Cookie: sessionid={info['sessionid']}; csrftoken={info['csrf']}\r\n".encode()
    due = t0 + index * every / MANAGERS
    n = 0
    while due < end:
        await asyncio.sleep(max(0.0, due - time.perf_counter()))
        fmt = ("csv", "xlsx")[n % 2]
        query = f"report=members&format={fmt}&unit={unit}"
        status, payload, head = await pool.request("GET", f"{EXPORT_URL}?{query}", cookie)
        attachment = b"attachment" in head.lower()
        if status == 200 and not attachment:  # a large unit: confirm, then queued
            form = f"{query}&csrfmiddlewaretoken={info['csrf']}".encode()
            headers = cookie + b"Content-Type: application/x-www-form-urlencoded\r\n"
            status, payload, head = await pool.request("POST", EXPORT_URL, headers, form)
            stats.add("export queued", status, time.perf_counter() - due, status == 302, payload)
        else:
            stats.add("export at once", status, time.perf_counter() - due, attachment, payload)
        n += 1
        due += every


async def pinger(pool, stats, kind: str, m, end: float, every: float) -> None:
    due = time.perf_counter()
    while due < end:
        await asyncio.sleep(max(0.0, due - time.perf_counter()))
        status, payload, _h = await pool.request("GET", PING_URL, m.cookie)
        stats.add(kind, status, time.perf_counter() - due, status == 200, payload)
        due += every


async def run_client(config: dict) -> dict:
    from bench.exam_day import Member

    host, port = config["base"].removeprefix("http://").split(":")
    pool = Pool(host, int(port), config["concurrency"])
    stats = Stats()
    takers = [Member(i, info) for i, info in enumerate(config["takers"]["members"])]
    specs = config["takers"]["questions"]
    quiz = config["takers"]["quiz"]
    lesson = config["watchers"]["lesson"]
    seconds = config["minutes"] * 60

    quiet_end = time.perf_counter() + 15
    await pinger(pool, stats, "ping, quiet", takers[0], quiet_end, 0.05)

    t0 = time.perf_counter()
    end = t0 + seconds
    beats: dict = {}
    tasks = [
        *(watcher(pool, stats, w, lesson, t0, end, beats) for w in config["watchers"]["members"]),
        *(taker(pool, stats, m, quiz, specs, t0, seconds) for m in takers),
        *(
            manager(pool, stats, info, config["unit"], i, t0, end, config["export_every"])
            for i, info in enumerate(config["managers"])
        ),
        pinger(pool, stats, "ping, during the mix", takers[0], end, 0.5),
    ]
    await asyncio.gather(*tasks)
    return {
        "seconds": time.perf_counter() - t0,
        "summary": {kind: stats.summary(kind) for kind in stats.statuses},
        "examples": stats.examples,
        "beats": beats,
        "answers": {
            str(m.attempt): {str(p): [r, s] for p, (r, s) in m.acked.items()}
            for m in takers
            if m.attempt is not None
        },
        "submitted": [m.attempt for m in takers if m.result is not None],
    }


# --- the checks (under Django, after the run) -------------------------------------


def check(results_path: Path, wait_exports: float) -> dict:
    import django

    django.setup()
    from django.db.models import Count

    from exams.quizzes.models import Attempt, AttemptQuestion
    from exams.reports.models import ReportExport
    from exams.tracking.models import WatchBeat

    results = json.loads(results_path.read_text())
    stored: dict[str, list[int]] = {}
    for session, seq in WatchBeat.objects.values_list("session__uuid", "seq"):
        stored.setdefault(str(session), []).append(seq)
    acked = lost = twice = 0
    for session, info in results["beats"].items():
        mine = stored.get(session, [])
        twice += len(mine) - len(set(mine))
        for seq in set(info["acked"]):
            acked += 1
            lost += seq not in mine
    answers = lost_answers = 0
    rows = {
        (a, p): (r, s)
        for a, p, r, s in AttemptQuestion.objects.values_list(
            "attempt_id", "position", "response", "response_seq"
        )
    }
    for attempt, positions in results["answers"].items():
        for position, (response, seq) in positions.items():
            answers += 1
            lost_answers += rows.get((int(attempt), int(position))) != (response, seq)
    graded = Attempt.objects.filter(pk__in=results["submitted"], state="graded").count()
    deadline = time.monotonic() + wait_exports
    while time.monotonic() < deadline:
        if not ReportExport.objects.filter(status__in=["queued", "running"]).exists():
            break
        time.sleep(1)
    exports = dict(ReportExport.objects.values_list("status").annotate(n=Count("pk")))
    return {
        "beats_acked": acked,
        "beats_stored": sum(len(v) for v in stored.values()),
        "beats_lost": lost,
        "beats_twice": twice,
        "answers_acked": answers,
        "answers_lost": lost_answers,
        "submitted": len(results["submitted"]),
        "graded": graded,
        "exports": exports,
    }


# --- running it -------------------------------------------------------------------


def sh(args: list[str], env: dict) -> None:
    subprocess.run(args, cwd=ROOT, env=env, check=True)


def create_database() -> None:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB_NAME}")


def verdict(met: bool) -> str:
    return "met" if met else "**MISSED**"


def table(results: dict, result: dict, args, watchers: int, takers: int) -> str:
    s = results["summary"]
    beat = s.get("beat", {})
    quiet, mixed = s.get("ping, quiet", {}), s.get("ping, during the mix", {})
    fivexx = sum(v["5xx"] for v in s.values())
    lines = [
        f"{watchers} members watching, {takers} sitting a {args.questions}-question timed quiz, "
        f"{MANAGERS} managers exporting every {args.export_every:.0f} s, for "
        f"{results['seconds'] / 60:.1f} min; gunicorn {args.workers} × {args.worker_class} "
        f"({args.threads} threads) + PostgreSQL + Redis + 1 Celery worker, "
        f"{args.concurrency} client connections, on {os.cpu_count()} cores. Latency from the "
        "moment a request was due.",
        "",
        "| requests | sent | answered ok | 5xx | p50 ms | p95 ms | p99 ms | statuses |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for kind, v in s.items():
        lines.append(
            f"| {kind} | {v['sent']} | {v['ok']} | {v['5xx']} | {v['p50_ms']:.1f} | "
            f"{v['p95_ms']:.1f} | {v['p99_ms']:.1f} | {json.dumps(v['statuses'])} |"
        )
    ratio = beat.get("p95_ms", float("nan")) / quiet.get("p95_ms", float("nan"))
    lost = result["beats_lost"] + result["answers_lost"]
    lines += [
        "",
        f"- 5xx: **{fivexx}** (target 0) — {verdict(fivexx == 0)}",
        f"- lost: **{result['beats_lost']}** of {result['beats_acked']} acknowledged beats "
        f"({result['beats_twice']} stored twice, {result['beats_stored']} stored), "
        f"**{result['answers_lost']}** of {result['answers_acked']} acknowledged answers "
        f"(target 0) — {verdict(lost == 0 and result['beats_twice'] == 0)}",
        f"- graded: {result['graded']} of {result['submitted']} submitted attempts; exports "
        f"by status: {json.dumps(result['exports'])}",
        f"- heartbeat p95 during the mix **{beat.get('p95_ms', float('nan')):.1f} ms** "
        f"(target ≤ 100) — {verdict(beat.get('p95_ms', 1e9) <= 100)}; as a ratio to the quiet "
        f"ping's p95 ({quiet.get('p95_ms', float('nan')):.1f} ms): **{ratio:.2f}**; the ping's "
        f"own p95 during the mix {mixed.get('p95_ms', float('nan')):.1f} ms",
    ]
    if results["examples"]:
        lines.append(f"- first failures: `{json.dumps(results['examples'][:5])}`")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=5)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--questions", type=int, default=20)
    parser.add_argument("--concurrency", type=int, default=96)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--worker-class", default="gthread")
    parser.add_argument("--redis-db", type=int, default=10)
    parser.add_argument("--broker-db", type=int, default=11)
    parser.add_argument("--export-every", type=float, default=60)
    parser.add_argument("--no-readme", action="store_true")
    parser.add_argument("--seed", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--client", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--check", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    watchers = max(1, round(2000 * args.scale))
    takers = max(1, round(300 * args.scale))

    if {args.redis_db, args.broker_db} & {0, 1}:
        raise SystemExit("--redis-db/--broker-db: 0 and 1 belong to the demo; take others")
    if args.seed:
        import django

        django.setup()
        seed(watchers, takers, args.questions, args.seed)
        return
    if args.client:
        config = json.loads(args.client.read_text())
        Path(config["out"]).write_text(json.dumps(asyncio.run(run_client(config))))
        return
    if args.check:
        print(json.dumps(check(args.check, wait_exports=300)))
        return

    py = sys.executable
    work = Path(tempfile.mkdtemp(prefix="bench-load-"))
    env = django_env(args, work)
    print(f"creating {DB_NAME}, migrating, seeding {watchers} + {takers} members …", flush=True)
    create_database()
    sh([py, "manage.py", "migrate", "--noinput", "-v", "0"], env)
    sh([py, "manage.py", "collectstatic", "--noinput", "-v", "0"], env)
    with open(work / "seed.log", "w") as seed_log:  # the production log is chatty
        subprocess.run(
            [py, str(Path(__file__)), "--seed", str(work / "seed.json"), *sys.argv[1:]],
            cwd=ROOT, env=env, check=True, stdout=seed_log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    seeded = json.loads((work / "seed.json").read_text())

    log = open(work / "worker.log", "w")  # noqa: SIM115 - closed below
    worker = subprocess.Popen(
        [py, "-m", "celery", "-A", "cms", "worker", "-Q", "default,media", "-c", "1",
         "--without-gossip", "--without-mingle", "-l", "warning"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    gunicorn = gunicorn_start(py=py, port=port, args=args, env=env, root=ROOT)
    try:
        wait_up(gunicorn, base)
        config = {
            **seeded,
            "base": base,
            "postmaster_pid": postmaster_pid(),
            "concurrency": args.concurrency,
            "minutes": args.minutes,
            "export_every": args.export_every,
            "out": str(work / "results.json"),
        }
        (work / "client.json").write_text(json.dumps(config))
        print(f"client: {args.minutes} min of mixed load …", flush=True)
        subprocess.run([py, str(Path(__file__)), "--client", str(work / "client.json")], check=True)
    finally:
        gunicorn.send_signal(signal.SIGTERM)
        gunicorn.wait(timeout=30)
    try:
        out = subprocess.run(
            [py, str(Path(__file__)), "--check", str(work / "results.json")],
            cwd=ROOT, env=env, check=True, capture_output=True, text=True,
        )  # fmt: skip
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=60)
        log.close()
    result = json.loads(out.stdout.strip().splitlines()[-1])
    results = json.loads((work / "results.json").read_text())
    text = table(results, result, args, watchers, takers)
    print(text)
    print(f"load average at the end: {os.getloadavg()}; worker log: {work / 'worker.log'}")
    if not args.no_readme:
        from bench.common import readme_generated_part_write

        readme_generated_part_write(
            "load", " ".join([".venv/bin/python bench/load.py", *sys.argv[1:]]), text
        )


if __name__ == "__main__":
    main()
