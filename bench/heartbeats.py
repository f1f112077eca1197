"""Heartbeat throughput, latency and exactness under gunicorn on PostgreSQL.

    .venv/bin/python bench/heartbeats.py [--duration 60] [--ref-duration 20]
        [--members 128] [--concurrency 16] [--workers 3] [--threads 2]
        [--worker-class gthread] [--no-readme] [--profile PATH-TO-PY-SPY]

1. Creates the PostgreSQL database ``lms_bench`` (dropped first), migrates it and seeds
   members (logged in: one Django session each) and a course with a one-hour video lesson.
2. Starts gunicorn (``cms.wsgi``, ``bench.heartbeat_settings`` = production settings, DEBUG
   off, loopback only) and drives it from a SEPARATE process: an asyncio client
   (``bench/http1_client.py``) with ``--concurrency`` connections, each owning a share of
   the members and sending their requests one at a time (no client-side queueing
   inflates the latency).
3. Reference: the trivial authenticated ``GET /api/exams/ping/`` with the same client,
   connections and cookies, for ``--ref-duration`` seconds (DRF with the session cookie:
   the session row and the user row, every middleware).
4. Heartbeats for ``--duration`` seconds (``exams.tracking.api.HeartbeatApi`` →
   ``exams.tracking.services.heartbeat_record``): every member follows a scripted watching
   pattern, cycle after cycle (a new page load — new session ids — per cycle): play, ticks
   every 15 s, pause, resume after a seek, a second tab that plays another part of the
   lecture at the same time, that tab hidden while its video runs on, shown again, and a
   replayed beat (a retry whose answer was lost). Beats carry the member's beat token as
   the lesson page renders it (``exams.tracking.beat_token``) and virtual ``client_time``
   stamps which the bench settings let the server use as its clock
   (``HEARTBEAT_TRUST_CLIENT_TIME``), so a member's 15 s beats go out back to back and the
   outcome is exactly checkable.
5. The truth: the client computes, for every member, from the beats the server answered
   (in the order it sent them), what the crediting rules give — with its own
   re-implementation of them (``Truth`` below, no import of ``exams``): a beat claims the
   wall-clock window since its session's previous beat (at most interval + grace = 20 s,
   only while playing and visible; a session's first beat claims nothing); only the part
   of it no earlier beat of the member claimed is engaged time (one place at a time),
   within 2 × the lesson's duration; the media interval it reports is clamped to the
   video and trimmed from its end to 1.5 × those engaged seconds.
6. Checks, in the database: every member's coverage and engaged time equal that truth,
   the member's claim row holds the same day's engaged seconds, every answered beat is
   stored once and every replay stored nothing, and the audit's replay of the raw log
   (``exams.tracking.audit.watch_log_replay``) of 25 members reproduces every beat's
   credit. Then counts the SQL statements of one beat (``CaptureQueriesContext`` around
   ``heartbeat_record`` for a fresh member, in the check process).

Prints the table and writes it to bench/README.md under "## heartbeats" (the section's
``### `` subsections, the history, are kept).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import gunicorn_start  # noqa: E402

DB_NAME = "lms_bench"
PG = "postgres://postgres@127.0.0.1:5432"


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


PORT = int(os.environ.get("BENCH_PORT") or 0)
BASE = ""
LESSON_SECONDS = 3600.0
EPOCH = 1_767_571_200.0  # 2026-01-05 00:00 UTC: 08:00 in Asia/Shanghai, far from midnight
CYCLE = 800.0  # virtual seconds per scripted visit


def django_env() -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.heartbeat_settings",
        "DATABASE_URL": f"{PG}/{DB_NAME}",
        "SECRET_KEY": os.environ.get("BENCH_SECRET_KEY") or secrets.token_urlsafe(60),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "PYTHONPATH": str(ROOT),
    }


# --- the script of one member ----------------------------------------------------


def visit(cycle: int) -> list[dict]:
    """One visit, in virtual seconds from the visit's start, both tabs in time order.

    ``playing`` / ``visible``: as the player reports them — the media played / the tab was
    visible during the interval since the tab's previous beat (docs/heartbeat_contract.md).
    """
    o = float((cycle * 37) % 900)  # a different part of the lecture each visit
    a, b = f"a{cycle}", f"b{cycle}"

    def beat(tab, t, frm=None, to=None, playing=True, visible=True, event="tick"):
        return {
            "tab": tab,
            "t": t,
            "from": None if frm is None else o + frm,
            "to": None if to is None else o + to,
            "playing": playing,
            "visible": visible,
            "event": event,
        }

    L = 600  # the first stretch: ten minutes of watching, a beat every 15 s
    script = [beat(a, 0, playing=False, event="play")]
    script += [beat(a, t, t - 15, t) for t in range(15, L + 1, 15)]
    script += [
        beat(a, L + 7, L, L + 7, event="pause"),
        # paused for 30 s, then a seek to 300 further on and play again
        beat(a, L + 37, playing=False, event="play"),
        beat(a, L + 52, L + 307, L + 322),
        # a second tab opens and plays another part while the first one goes on: one
        # place at a time, so the two share the wall-clock seconds they both claim
        beat(b, L + 60, playing=False, event="play"),
        beat(a, L + 67, L + 322, L + 337),
        beat(b, L + 75, 2000, 2015),
        beat(a, L + 82, L + 337, L + 352),
        beat(b, L + 90, 2015, 2030),
        beat(a, L + 97, L + 352, L + 367),
        beat(a, L + 100, L + 367, L + 370, event="pause"),
        beat(b, L + 105, 2030, 2045, event="hide"),
        # tab b hidden for 35 s while its video runs on: nothing of that is credited
        beat(b, L + 140, 2045, 2080, visible=False, event="show"),
        beat(b, L + 155, 2080, 2095),
        beat(b, L + 160, 2095, 2100, event="pause"),
    ]
    return script


class Truth:
    """What the crediting rules give one member for one video lesson, beat by beat — an
    independent re-implementation (plain lists of intervals, no ``exams`` import) that the
    database's figures are checked against.

    A beat claims the wall-clock window since its session's previous beat, at most
    ``max_gap`` (interval + grace) long, while playing and visible; a session's first beat
    claims nothing. Engaged: the part of the window that no earlier beat of the member
    claimed, within ``cap_factor`` × the duration. Coverage: the reported media interval,
    clamped to [0, duration], trimmed from its end to ``max_rate`` × that engaged time.
    """

    def __init__(
        self,
        *,
        duration: float,
        max_gap: float = 20.0,
        max_rate: float = 1.5,
        cap_factor: float = 2.0,
    ) -> None:
        self.duration, self.max_gap, self.max_rate = duration, max_gap, max_rate
        self.cap = cap_factor * duration
        self.last: dict[str, float] = {}  # session → server time of its previous beat
        self.claimed: list[list[float]] = []  # disjoint, sorted wall-clock intervals
        self.covered: list[list[float]] = []  # disjoint, sorted media intervals
        self.engaged = 0.0

    @staticmethod
    def _union(spans: list[list[float]], a: float, b: float) -> tuple[list[list[float]], float]:
        """``spans`` ∪ [a, b] and the length that adds (spans disjoint and sorted)."""
        new = b - a
        for x, y in spans:
            new -= max(0.0, min(b, y) - max(a, x))
        out, lo, hi = [], a, b
        for x, y in spans:
            if y < lo or x > hi:
                out.append([x, y])
            else:
                lo, hi = min(lo, x), max(hi, y)
        out.append([lo, hi])
        out.sort()
        return out, new

    def beat(self, session: str, now: float, played, playing: bool, visible: bool) -> None:
        prev = self.last.get(session)
        self.last[session] = now
        if prev is None or not (playing and visible) or now <= prev:
            return
        self.claimed, new = self._union(self.claimed, max(prev, now - self.max_gap), now)
        engaged = min(new, max(0.0, self.cap - self.engaged))
        if engaged <= 0:
            return
        self.engaged += engaged
        if played is None:
            return
        a, b = max(played[0], 0.0), min(played[1], self.duration)
        b = min(b, a + self.max_rate * engaged)
        if b > a:
            self.covered, _new = self._union(self.covered, a, b)

    @property
    def coverage(self) -> float:
        return sum(y - x for x, y in self.covered)


# --- seeding (runs under Django) --------------------------------------------------


def seed(members: int, out: Path) -> None:
    import django

    django.setup()
    from decimal import Decimal

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.middleware.csrf import _get_new_csrf_string

    from cms.services import member_create, roles_ensure, unit_create
    from courses.models import CourseIndexPage, CoursePage, LessonPage
    from exams.tracking.beat_token import beat_token_for
    from media_pipeline.models import LectureVideo

    assert not settings.DEBUG
    roles_ensure()
    unit = unit_create(name="Bench branch", code="BENCH")
    section = CourseIndexPage.objects.get(slug="courses")
    course = CoursePage(title="Bench course", slug="bench-course", credit_hours=Decimal("1"))
    section.add_child(instance=course)
    video = LectureVideo.objects.create(
        title="Bench lecture", file="bench.mp4", type="video", duration=LESSON_SECONDS
    )
    lesson = LessonPage(
        title="Bench lesson", slug="bench-lesson", body=[("lecture_video", {"video": video})]
    )
    course.add_child(instance=lesson)
    people = []
    for i in range(members):
        user = member_create(username=f"bench{i:04d}", full_name=f"Bench {i}", unit=unit)
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        people.append(
            {
                "username": user.username,
                "sessionid": session.session_key,
                "csrf": _get_new_csrf_string(),
                # what the lesson page renders (exams.tracking.beat_token)
                "token": beat_token_for(user_id=user.pk, lesson_id=lesson.pk),
            }
        )
    out.write_text(json.dumps({"lesson": lesson.pk, "members": people}))


# --- the load generator (a separate process, no Django) ---------------------------


def percentile(sorted_values: list[float], p: float) -> float:
    if not sorted_values:
        return float("nan")
    k = min(len(sorted_values) - 1, max(0, round(p / 100 * (len(sorted_values) - 1))))
    return sorted_values[k]


def summarise(latencies: list[float], seconds: float, errors: int) -> dict:
    values = sorted(latencies)
    return {
        "requests": len(values),
        "errors": errors,
        "seconds": seconds,
        "rps": len(values) / seconds if seconds else 0.0,
        "p50_ms": percentile(values, 50) * 1000,
        "p95_ms": percentile(values, 95) * 1000,
        "p99_ms": percentile(values, 99) * 1000,
        "mean_ms": (statistics.fmean(values) * 1000) if values else float("nan"),
    }


class Member:
    def __init__(self, info: dict, lesson: int) -> None:
        self.username = info["username"]
        self.token = info["token"]
        # what the browser sends: the session cookie (the ping's authentication; the
        # beat carries it too, unread) and, for the beat, the JSON content type
        self.cookie = (
            f"Cookie: sessionid={info['sessionid']}; csrftoken={info['csrf']}\r\n".encode()
        )
        self.beat_headers = self.cookie + b"Content-Type: application/json\r\n"
        self.lesson = lesson
        self.cycle = 0
        self.queue: list[dict] = []
        self.sessions: dict[str, str] = {}
        self.seqs: dict[str, int] = {}
        self.last: dict | None = None  # the last beat sent, for the replay
        self.truth = Truth(duration=LESSON_SECONDS)
        self.acked = 0
        self.replays = 0

    def next_request(self) -> tuple[dict, dict | None]:
        """The next body to send and the scripted beat it is (None for a replay)."""
        if not self.queue:
            start = self.cycle * CYCLE
            self.queue = [dict(b, t=b["t"] + start) for b in visit(self.cycle)]
            self.cycle += 1
            # once per visit, after its 5th beat, the client re-sends a beat (lost answer)
            self.queue.insert(5, {"replay": True})
        beat = self.queue.pop(0)
        if beat.get("replay"):
            return dict(self.last), None
        tab = beat["tab"]
        session = self.sessions.setdefault(tab, str(uuid.uuid4()))
        seq = self.seqs.get(tab, 0)
        self.seqs[tab] = seq + 1
        body = {
            "token": self.token,
            "lesson": self.lesson,
            "session": session,
            "seq": seq,
            "from": beat["from"],
            "to": beat["to"],
            "rate": 1,
            "event": beat["event"],
            "position": beat["to"],
            "playing": beat["playing"],
            "visible": beat["visible"],
            "client_time": round((EPOCH + beat["t"]) * 1000),
        }
        self.last = body
        return body, dict(beat, session=session)

    def acknowledge(self, beat: dict | None) -> None:
        """A 200 answer: the beat is stored (the server handles a member's beats in the
        order they are sent — one at a time on one connection), so the truth moves."""
        if beat is None:
            self.replays += 1
            return
        self.acked += 1
        played = None if beat["from"] is None else (beat["from"], beat["to"])
        self.truth.beat(
            beat["session"], EPOCH + beat["t"], played, beat["playing"], beat["visible"]
        )


def children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(x) for x in path.read_text().split()] if path.exists() else []


def postmaster_pid() -> int:
    """PostgreSQL's postmaster: the parent of a backend."""
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        backend = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
        # read while the backend lives (it exits when the connection closes)
        stat = Path(f"/proc/{backend}/stat").read_text()
    return int(stat.rsplit(")", 1)[1].split()[1])


def tree_cpu_seconds(pid: int) -> float:
    """CPU seconds of ``pid`` and its children, living or gone: the children alive now,
    plus what the parent has collected of those that exited (a gunicorn worker, or a
    PostgreSQL backend whose connection Django closed at ``CONN_MAX_AGE``). For
    PostgreSQL this includes the WAL writer and the checkpointer, part of a beat's cost."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for p in [pid, *children(pid)]:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
        if p == pid:
            total += int(fields[13]) + int(fields[14])
    return total / tick


async def run_client(config: dict) -> dict:
    from bench.http1_client import Connection

    global BASE
    BASE = config["base"]
    host, port = BASE.removeprefix("http://").split(":")
    lesson = config["lesson"]
    members = [Member(info, lesson) for info in config["members"]]
    concurrency = config["concurrency"]
    shares = [members[i::concurrency] for i in range(concurrency)]
    connections = [Connection(host, int(port)) for _ in shares]

    async def ping_worker(share, conn, deadline, lat, err):
        i = 0
        while time.perf_counter() < deadline:
            m = share[i % len(share)]
            i += 1
            t0 = time.perf_counter()
            status, _body = await conn.request("GET", "/api/exams/ping/", m.cookie)
            if status == 200:
                lat.append(time.perf_counter() - t0)
            else:
                err.append(status)

    async def beat_worker(share, conn, deadline, lat, err):
        i = 0
        while time.perf_counter() < deadline:
            m = share[i % len(share)]
            i += 1
            body, beat = m.next_request()
            data = json.dumps(body).encode()
            t0 = time.perf_counter()
            status, payload = await conn.request(
                "POST", "/api/exams/heartbeats/", m.beat_headers, data
            )
            if status == 200:
                lat.append(time.perf_counter() - t0)
                m.acknowledge(beat)
            else:
                err.append([status, payload[:200].decode(errors="replace")])

    async def phase(worker, seconds):
        lat: list[float] = []
        err: list = []
        roots = [config["server_pid"], config["postmaster_pid"]]
        cpu0 = [tree_cpu_seconds(r) for r in roots], time.process_time()
        load0 = os.getloadavg()[0]
        start = time.perf_counter()
        deadline = start + seconds
        await asyncio.gather(
            *(
                worker(s, c, deadline, lat, err)
                for s, c in zip(shares, connections, strict=True)
                if s
            )
        )
        summary = summarise(lat, time.perf_counter() - start, len(err))
        summary["load"] = [load0, os.getloadavg()[0]]
        n = max(1, summary["requests"])
        app_cpu, db_cpu = (tree_cpu_seconds(r) - c for r, c in zip(roots, cpu0[0], strict=True))
        summary["server_cpu_ms"] = (app_cpu + db_cpu) / n * 1000
        summary["app_cpu_ms"] = app_cpu / n * 1000
        summary["db_cpu_ms"] = db_cpu / n * 1000
        summary["client_cpu_ms"] = (time.process_time() - cpu0[1]) / n * 1000
        return summary, err[:5]

    # warm the connections and the workers' imports
    await phase(ping_worker, 2)
    ref, ref_errors = await phase(ping_worker, config["ref_duration"])
    beats, beat_errors = await phase(beat_worker, config["duration"])
    for conn in connections:
        conn.close()

    truth = {
        m.username: {
            "coverage": m.truth.coverage,
            "engaged": m.truth.engaged,
            "acked": m.acked,
            "replays": m.replays,
        }
        for m in members
    }
    return {
        "ref": ref,
        "beats": beats,
        "ref_errors": ref_errors,
        "beat_errors": beat_errors,
        "truth": truth,
    }


# --- the check (runs under Django, after the server stopped) -----------------------


def check(results_path: Path) -> dict:
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db.models import Count

    from exams.tracking.audit import watch_log_replay
    from exams.tracking.models import WatchBeat, WatchClaim, WatchSummary

    results = json.loads(results_path.read_text())
    truth = results["truth"]
    User = get_user_model()
    users = dict(User.objects.filter(username__in=truth).values_list("username", "pk"))
    summaries = {
        s["user_id"]: s
        for s in WatchSummary.objects.filter(user_id__in=users.values()).values(
            "user_id", "coverage_seconds", "engaged_seconds"
        )
    }
    stored = dict(
        WatchBeat.objects.values("user_id").annotate(n=Count("pk")).values_list("user_id", "n")
    )
    # the member's claim row: the engaged seconds of the (one, virtual) day credited
    day_seconds = dict(
        WatchClaim.objects.filter(user_id__in=users.values()).values_list("user_id", "day_seconds")
    )
    bad = []
    cov_total = eng_total = 0.0
    for username, t in truth.items():
        uid = users[username]
        s = summaries.get(uid, {"coverage_seconds": 0.0, "engaged_seconds": 0.0})
        cov_total += t["coverage"]
        eng_total += t["engaged"]
        if (
            abs(s["coverage_seconds"] - t["coverage"]) > 1e-6
            or abs(s["engaged_seconds"] - t["engaged"]) > 1e-6
            or abs(day_seconds.get(uid, 0.0) - t["engaged"]) > 1e-6
            or stored.get(uid, 0) != t["acked"]
        ):
            bad.append(
                {
                    "member": username,
                    "coverage": [s["coverage_seconds"], t["coverage"]],
                    "engaged": [s["engaged_seconds"], t["engaged"]],
                    "claim_day_seconds": day_seconds.get(uid, 0.0),
                    "beats": [stored.get(uid, 0), t["acked"]],
                }
            )
    replay_differences = sum(
        len(watch_log_replay(user=User(pk=users[name]))) for name in list(truth)[:25]
    )
    return {
        "replay_differences": replay_differences,
        "members": len(truth),
        "mismatches": len(bad),
        "examples": bad[:5],
        "coverage_seconds": cov_total,
        "engaged_seconds": eng_total,
        "beats_stored": sum(stored.values()),
        "beats_acked": sum(t["acked"] for t in truth.values()),
        "replays": sum(t["replays"] for t in truth.values()),
        "sessions": WatchBeat.objects.values("session_id").distinct().count(),
        "queries": queries_per_beat(),
    }


def queries_per_beat() -> dict:
    """SQL statements of one beat through ``heartbeat_record`` (in this process, on the
    bench database, for a fresh member): a session's first beat, a tick that credits, a
    replay."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from cms.models import Unit
    from cms.services import member_create
    from courses.models import LessonPage
    from exams.tracking.services import BeatInput, heartbeat_record

    lesson = LessonPage.objects.get(slug="bench-lesson")
    user = member_create(
        username="bench-queries", full_name="Queries", unit=Unit.objects.get(code="BENCH")
    )
    session = uuid.uuid4()
    counts = {}
    for name, seq, t, frm, to in (
        ("first", 0, 0, None, None),
        ("tick", 1, 15, 0.0, 15.0),
        ("tick2", 2, 30, 15.0, 30.0),
        ("replay", 2, 30, 15.0, 30.0),
    ):
        beat = BeatInput(
            session=session,
            seq=seq,
            event="tick",
            playing=True,
            visible=True,
            from_seconds=frm,
            to_seconds=to,
            position=to,
            client_time=round((EPOCH + 99_000 + t) * 1000),
        )
        with CaptureQueriesContext(connection) as ctx:
            heartbeat_record(user_id=user.pk, lesson_id=lesson.pk, beat=beat)
        counts[name] = [q["sql"] for q in ctx.captured_queries]
    return counts


# --- the driver --------------------------------------------------------------------


def sh(args: list[str], env: dict, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=ROOT, env=env, check=True, **kw)


def create_database() -> None:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB_NAME}")


def wait_up(proc: subprocess.Popen, base: str, seconds: float = 60) -> None:
    import urllib.error
    import urllib.request

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit("gunicorn exited early")
        try:
            urllib.request.urlopen(f"{base}/api/exams/ping/", timeout=2)
            break
        except urllib.error.HTTPError:
            break  # 403 for an anonymous ping: the app answers
        except OSError:
            time.sleep(0.3)
    else:
        raise SystemExit("gunicorn did not answer in time")
    time.sleep(1)
    if proc.poll() is not None:
        raise SystemExit("gunicorn exited (is the port taken?)")


def table(ref: dict, beats: dict, result: dict, args) -> str:
    ratio = beats["rps"] / ref["rps"] if ref["rps"] else 0.0
    ok = result["mismatches"] == 0 and beats["errors"] == 0 and result["replay_differences"] == 0
    lines = [
        f"gunicorn {args.workers} × {args.worker_class}({args.threads}) with its C parser "
        f"(gunicorn_h1c) on 127.0.0.1, PostgreSQL 127.0.0.1, "
        f"client: 1 asyncio process (bench/http1_client.py), {args.concurrency} connections, "
        f"{args.members} members; {os.cpu_count()} CPUs shared by all three. Server CPU: "
        "gunicorn's processes and all of PostgreSQL's (backends, WAL writer, checkpointer). "
        f"Load average (1 min) at the start → end of each phase: ping "
        f"{ref['load'][0]:.2f} → {ref['load'][1]:.2f}, beats {beats['load'][0]:.2f} → "
        f"{beats['load'][1]:.2f}",
        "",
        "| endpoint | seconds | requests | req/s | p50 ms | p95 ms | p99 ms | errors "
        "| server CPU ms/req (gunicorn + PostgreSQL) | client CPU ms/req |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, s in (
        ("GET /api/exams/ping/ (reference)", ref),
        ("POST /api/exams/heartbeats/", beats),
    ):
        lines.append(
            f"| {name} | {s['seconds']:.1f} | {s['requests']} | {s['rps']:.0f} | "
            f"{s['p50_ms']:.1f} | {s['p95_ms']:.1f} | {s['p99_ms']:.1f} | {s['errors']} | "
            f"{s['server_cpu_ms']:.2f} ({s['app_cpu_ms']:.2f} + {s['db_cpu_ms']:.2f}) | "
            f"{s['client_cpu_ms']:.2f} |"
        )

    def verdict(met: bool) -> str:
        return "met" if met else "**not met**"

    p95_ratio = beats["p95_ms"] / ref["p95_ms"] if ref["p95_ms"] else float("inf")
    lost = result["beats_acked"] - result["beats_stored"]
    q = result["queries"]
    lines += [
        "",
        f"- heartbeats / ping throughput: **{ratio:.2f}** (floor ≥ 0.6) — "
        f"{verdict(ratio >= 0.6)}; beat p95 / ping p95: **{p95_ratio:.2f}** (floor ≤ 1.5) — "
        f"{verdict(p95_ratio <= 1.5)}",
        f"- answered beats not stored: {max(0, lost)}, stored twice or unanswered: "
        f"{max(0, -lost)} (floor 0 and 0) — {verdict(lost == 0)}",
        f"- SQL statements per beat (``heartbeat_record``, counted in-process): session's "
        f"first beat {len(q['first'])}, a crediting tick {len(q['tick2'])}, a replay "
        f"{len(q['replay'])}",
        f"- correctness: **{'exact' if ok else 'FAILED'}** — {result['members']} members, "
        f"{result['mismatches']} mismatches (coverage, engaged time, the claim's day seconds, "
        f"beats stored); beats answered {result['beats_acked']}, stored "
        f"{result['beats_stored']} in {result['sessions']} sessions; replays "
        f"{result['replays']} (stored none); credited coverage "
        f"{result['coverage_seconds']:.0f} s and engaged time {result['engaged_seconds']:.0f} s "
        f"equal the rules' truth (re-implemented by the client); the audit's replay of the "
        f"raw log of 25 members reproduces every beat's credit "
        f"({result['replay_differences']} differences)",
    ]
    if result["examples"]:
        lines.append(f"- first mismatches: `{json.dumps(result['examples'])}`")
    return "\n".join(lines)


def write_readme(text: str, command: str) -> None:
    """Replace the generated part of "## heartbeats" (up to its first ``### `` subsection
    or the next section); the subsections — the history — are kept."""
    path = ROOT / "bench" / "README.md"
    heading = "## heartbeats\n"
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    body = f"{heading}\n`{command}` — {stamp}\n\n{text}\n\n"
    current = path.read_text() if path.exists() else "# Benchmarks\n"
    at = current.find(heading)
    if at == -1:
        current = current.rstrip("\n") + "\n\n" + body
    else:
        rest = current[at + len(heading) :]
        ends = [i for i in (rest.find("\n### "), rest.find("\n## ")) if i != -1]
        tail = rest[min(ends) + 1 :] if ends else ""
        current = current[:at] + body + tail
    path.write_text(current.rstrip("\n") + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=60)
    parser.add_argument("--ref-duration", type=float, default=20)
    parser.add_argument("--members", type=int, default=128)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--worker-class", default="gthread")
    parser.add_argument("--no-readme", action="store_true")
    parser.add_argument(
        "--profile",
        type=Path,
        help="py-spy (path to its executable, e.g. from `pip install py-spy` in another venv): "
        "sample gunicorn's processes during the heartbeat phase; folded stacks to "
        "<tmp>/beats.folded (not a measuring run: the sampler takes CPU)",
    )
    parser.add_argument("--seed", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--client", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--check", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.seed:
        seed(args.members, args.seed)
        return
    if args.client:
        config = json.loads(args.client.read_text())
        results = asyncio.run(run_client(config))
        Path(config["out"]).write_text(json.dumps(results))
        return
    if args.check:
        print(json.dumps(check(args.check)))
        return

    env = django_env()
    py = sys.executable
    work = Path(tempfile.mkdtemp(prefix="bench-heartbeats-"))
    print(f"creating {DB_NAME}, migrating, seeding {args.members} members …", flush=True)
    create_database()
    sh([py, "manage.py", "migrate", "--noinput", "-v", "0"], env)
    sh(
        [
            py,
            str(Path(__file__)),
            "--seed",
            str(work / "seed.json"),
            "--members",
            str(args.members),
        ],
        env,
    )
    seeded = json.loads((work / "seed.json").read_text())

    port = PORT or free_port()
    base = f"http://127.0.0.1:{port}"
    gunicorn = gunicorn_start(py=py, port=port, args=args, env=env, root=ROOT)
    spy = None
    try:
        wait_up(gunicorn, base)
        if args.profile:
            # the heartbeat phase starts after the warm-up (2 s) and the reference
            spy = subprocess.Popen(
                [
                    "sh",
                    "-c",
                    f"sleep {2 + args.ref_duration + 1:.0f}; exec {args.profile} record "
                    f"--subprocesses --nonblocking -r 200 -d {args.duration - 2:.0f} "
                    f"-f raw -o {work / 'beats.folded'} -p {gunicorn.pid}",
                ]
            )
        config = {
            **seeded,
            "base": base,
            "server_pid": gunicorn.pid,
            "postmaster_pid": postmaster_pid(),
            "concurrency": args.concurrency,
            "duration": args.duration,
            "ref_duration": args.ref_duration,
            "out": str(work / "results.json"),
        }
        (work / "client.json").write_text(json.dumps(config))
        print(
            f"reference {args.ref_duration:.0f} s, then heartbeats {args.duration:.0f} s …",
            flush=True,
        )
        subprocess.run([py, str(Path(__file__)), "--client", str(work / "client.json")], check=True)
    finally:
        if spy is not None:
            spy.wait(timeout=60)
            print(f"profile: {work / 'beats.folded'}")
        gunicorn.send_signal(signal.SIGTERM)
        gunicorn.wait(timeout=30)

    results = json.loads((work / "results.json").read_text())
    out = subprocess.run(
        [py, str(Path(__file__)), "--check", str(work / "results.json")],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    if results["beat_errors"] or results["ref_errors"]:
        print("errors:", results["ref_errors"], results["beat_errors"])
    text = table(results["ref"], results["beats"], result, args)
    print(text)
    print(f"load average at the end: {os.getloadavg()}")
    if not args.no_readme:
        write_readme(text, " ".join([".venv/bin/python bench/heartbeats.py", *sys.argv[1:]]))


if __name__ == "__main__":
    main()
