"""Attack on the member-wide crediting: N watch sessions of one lesson at once.

    .venv/bin/python bench/attack_sessions.py [--sessions 20] [--seconds 60]
        [--period 0.5] [--sqlite]
    .venv/bin/python bench/attack_sessions.py --base http://127.0.0.1:8000 \\
        --lesson-path /courses/work-safety-basics/lecture/ \\
        --accounts member1,member2,member3 [--password demo12345]

Self-contained by default: creates the PostgreSQL database ``lms_attack`` (dropped first;
``--sqlite``: a temporary SQLite file), migrates it, seeds three members and a course with
a one-hour video lesson, collects the static files into a temporary folder and starts
gunicorn on 127.0.0.1 with ``cms.settings.production`` — the server's own clock, as
deployed (not the bench's trusted client time). With ``--base`` it attacks a server that
is already running instead (e.g. ``bin/demo``); loopback addresses only.

Everything goes through the real front door, as a browser would: each member logs in
through the login form (CSRF token and all), GETs the lesson page and reads the player's
``data-lesson`` and ``data-beat-token`` attributes out of the HTML. Then, over the same
``--seconds`` of wall time (rounded down to whole 15 s beat intervals):

- **attack** (first account): ``--sessions`` watch sessions of the lesson at once (as many
  tabs or devices), each with its own slice of the video. Each opens with a ``play`` beat,
  then sends a beat every ``--period`` seconds (staggered across sessions) claiming the
  most any beat could be credited: playing, visible, ``rate`` 16, and the next 30 s of its
  slice (1.5 × the longest window of 20 s) — advancing through its slice by what the
  server credited;
- **honest 1×** (second account): one session, as ``player.js`` sends it — a ``play`` beat,
  then a tick every 15 s for the 15 s just played;
- **honest 1.5×** (third account): the same at the fastest playback speed the rules credit
  (``MAX_CREDITED_RATE``), 22.5 s of media per 15 s tick.

Each member's credit is read from the server's own answers: a probe beat in a fresh
session (a session's first beat credits nothing) before and after gives the member's
coverage and engaged seconds, and the difference is what the run credited. The attack
must gain no more than one honest session could over the same wall time: engaged time ≤
the attack's own wall span (first beat sent → last answer received: every server time of
its beats lies inside; one place at a time) and coverage ≤ 1.5 × that engaged time — what
the honest session at 1.5× earns. Both honest sessions are printed beside it. Exit
status 1 if it gains more.

Bounded: every loop stops at its deadline, each session sends at most
``seconds / period + 2`` beats, requests go to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import asyncio
import html
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.http1_client import Connection  # noqa: E402

DB_NAME = "lms_attack"
PG = "postgres://postgres@127.0.0.1:5432"
LESSON_SECONDS = 3600.0
PASSWORD = "attack-bench-" + "x" * 8  # local throw-away accounts only
ACCOUNTS = ["attacker", "honest1", "honest15"]
TICK = 15.0  # the player's beat interval (HEARTBEAT_INTERVAL_SECONDS)
MAX_RATE = 1.5  # MAX_CREDITED_RATE
MAX_CLAIM = 30.0  # media seconds one beat claims: 1.5 × (interval + grace)


# --- the self-contained server (seeding runs under Django, in a child process) ---------


def seed() -> None:
    import django

    django.setup()
    from decimal import Decimal

    from cms.services import member_create, roles_ensure, unit_create
    from courses.models import CourseIndexPage, CoursePage, LessonPage
    from media_pipeline.models import LectureVideo

    roles_ensure()
    unit = unit_create(name="Attack branch", code="ATTACK")
    section = CourseIndexPage.objects.get(slug="courses")
    course = CoursePage(title="Attack course", slug="attack-course", credit_hours=Decimal("1"))
    section.add_child(instance=course)
    # a ready video (its media files are never fetched: the player's figure and token are
    # what the attack reads from the page)
    video = LectureVideo.objects.create(
        title="Attack lecture",
        file="attack.mp4",
        type="video",
        duration=LESSON_SECONDS,
        status=LectureVideo.Status.READY,
        rendition_dir="v/attack/1",
    )
    lesson = LessonPage(
        title="Attack lesson", slug="attack-lesson", body=[("lecture_video", {"video": video})]
    )
    course.add_child(instance=lesson)
    for name in ACCOUNTS:
        user = member_create(username=name, full_name=name, unit=unit)
        user.set_password(PASSWORD)
        user.save(update_fields=["password"])
    print(json.dumps({"lesson_path": lesson.url}))


def server_env(database_url: str, static_root: str, media_root: str) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "cms.settings.production",
        "DATABASE_URL": database_url,
        "SECRET_KEY": secrets.token_urlsafe(60),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "STATIC_ROOT": static_root,
        "MEDIA_ROOT": media_root,
        "PYTHONPATH": str(ROOT),
    }


def server_start(args) -> tuple[subprocess.Popen, str, str, Path]:
    from bench.heartbeats import free_port, wait_up

    work = Path(tempfile.mkdtemp(prefix="bench-attack-"))
    if args.sqlite:
        database_url = f"sqlite:///{work / 'attack.sqlite3'}"
    else:
        import psycopg

        with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {DB_NAME}")
        database_url = f"{PG}/{DB_NAME}"
    env = server_env(database_url, str(work / "static"), str(work / "media"))
    py = sys.executable
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    print(f"migrating and seeding {database_url} …", flush=True)
    subprocess.run(
        [py, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True, **quiet
    )
    subprocess.run(
        [py, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
        **quiet,
    )
    out = subprocess.run(
        [py, str(Path(__file__)), "--seed"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    lesson_path = json.loads(out.stdout.strip().splitlines()[-1])["lesson_path"]
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    gunicorn = subprocess.Popen(
        [
            str(Path(py).parent / "gunicorn"),
            "cms.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--worker-class",
            "gthread",
            "--threads",
            "4",
            "--keep-alive",
            "30",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    wait_up(gunicorn, base)
    return gunicorn, base, lesson_path, work


# --- the client (no Django) -------------------------------------------------------------


def cookies_from(headers: bytes) -> dict[str, str]:
    jar = {}
    for line in headers.split(b"\r\n"):
        if line.lower().startswith(b"set-cookie:"):
            pair = line.split(b":", 1)[1].split(b";", 1)[0].strip().decode()
            name, _, value = pair.partition("=")
            jar[name] = value
    return jar


def cookie_header(jar: dict[str, str]) -> bytes:
    return ("Cookie: " + "; ".join(f"{k}={v}" for k, v in jar.items()) + "\r\n").encode()


async def member_login(
    host: str, port: int, username: str, password: str, lesson_path: str
) -> dict:
    """Log in through the login form and read the beat token from the lesson page."""
    conn = Connection(host, port)
    status, body = await conn.request("GET", "/accounts/login/")
    if status != 200:
        raise SystemExit(f"GET /accounts/login/: HTTP {status}")
    jar = cookies_from(conn.headers)
    match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body)
    if not match or "csrftoken" not in jar:
        raise SystemExit("no CSRF token in the login form")
    form = urlencode(
        {
            "csrfmiddlewaretoken": match[1].decode(),
            "username": username,
            "password": password,
            "next": lesson_path,
        }
    ).encode()
    status, _body = await conn.request(
        "POST",
        "/accounts/login/",
        cookie_header(jar)
        + b"Content-Type: application/x-www-form-urlencoded\r\n"
        + f"Referer: http://{host}:{port}/accounts/login/\r\n".encode(),
        form,
    )
    jar.update(cookies_from(conn.headers))
    if status != 302 or "sessionid" not in jar:
        raise SystemExit(f"login as {username} failed (HTTP {status})")
    status, page = await conn.request("GET", lesson_path, cookie_header(jar))
    if status != 200:
        raise SystemExit(f"GET {lesson_path} as {username}: HTTP {status}")
    figure = re.search(rb"<div[^>]*data-player[^>]*>", page)
    if not figure:
        raise SystemExit(f"{lesson_path}: no video player on the page")
    attrs = dict(re.findall(rb'(data-[a-z-]+)="([^"]*)"', figure[0]))
    if b"data-beat-token" not in attrs:
        raise SystemExit(f"{lesson_path}: the player has no beat token for {username}")
    conn.close()
    return {
        "username": username,
        "token": html.unescape(attrs[b"data-beat-token"].decode()),
        "lesson": int(attrs[b"data-lesson"]),
        "url": html.unescape(attrs.get(b"data-beat-url", b"/api/exams/heartbeats/").decode()),
        "cookie": cookie_header(jar),
    }


class Session:
    """One watch session (a tab): its uuid and next seq."""

    def __init__(self, member: dict, span: list | None = None) -> None:
        self.member = member
        self.uuid = str(uuid.uuid4())
        self.seq = 0
        # [first request sent, last answer received] (monotonic clock): every server time
        # of the session's beats lies in it
        self.span = span if span is not None else [None, None]

    async def beat(
        self, conn: Connection, *, event: str, played=None, playing: bool, rate: float = 1.0
    ) -> dict:
        body = {
            "token": self.member["token"],
            "lesson": self.member["lesson"],
            "session": self.uuid,
            "seq": self.seq,
            "from": None if played is None else played[0],
            "to": None if played is None else played[1],
            "rate": rate,
            "event": event,
            "position": None if played is None else played[1],
            "playing": playing,
            "visible": True,
            "client_time": int(time.time() * 1000),
        }
        self.seq += 1
        # the browser sends its cookies along; the beat token is what authenticates
        headers = self.member["cookie"] + b"Content-Type: application/json\r\n"
        if self.span[0] is None:
            self.span[0] = time.monotonic()
        status, payload = await conn.request(
            "POST", self.member["url"], headers, json.dumps(body).encode()
        )
        self.span[1] = max(self.span[1] or 0.0, time.monotonic())
        if status != 200:
            raise RuntimeError(f"beat answered {status}: {payload[:200]!r}")
        return json.loads(payload)


async def totals(host: str, port: int, member: dict) -> tuple[float, float]:
    """The member's coverage and engaged seconds for the lesson, as the server answers a
    probe: the first beat of a fresh session, which credits nothing."""
    conn = Connection(host, port)
    answer = await Session(member).beat(conn, event="play", playing=False)
    conn.close()
    return answer["coverage"], answer["engaged_seconds"]


async def honest(
    host: str, port: int, member: dict, t0: float, seconds: float, rate: float, span: list
) -> int:
    """One session as player.js sends it: play, then a tick every 15 s."""
    conn = Connection(host, port)
    session = Session(member, span)
    position, beats = 0.0, 0
    await asyncio.sleep(max(0.0, t0 - time.monotonic()))
    await session.beat(conn, event="play", playing=False, rate=rate)
    k = 1
    while k * TICK <= seconds + 1e-9:  # bounded: seconds / 15 ticks
        await asyncio.sleep(max(0.0, t0 + k * TICK - time.monotonic()))
        played = (position, position + TICK * rate)
        await session.beat(conn, event="tick", played=played, playing=True, rate=rate)
        position += TICK * rate
        beats += 1
        k += 1
    conn.close()
    return beats + 1


async def attack(
    host: str,
    port: int,
    member: dict,
    t0: float,
    seconds: float,
    sessions: int,
    period: float,
    span: list,
) -> int:
    """``sessions`` sessions at once, each in its own slice of the video, every beat
    claiming the most a beat can be credited."""
    width = LESSON_SECONDS / sessions
    last_coverage = [0.0]
    sent = [0]

    async def one(i: int) -> None:
        conn = Connection(host, port)
        session = Session(member, span)
        lo, hi = i * width, (i + 1) * width
        cursor = lo
        await asyncio.sleep(max(0.0, t0 - time.monotonic()))
        answer = await session.beat(conn, event="play", playing=False, rate=16)
        last_coverage[0] = max(last_coverage[0], answer["coverage"])
        sent[0] += 1
        deadline = t0 + seconds
        next_at = t0 + period * (i + 1) / sessions
        for _ in range(int(seconds / period) + 2):  # bounded
            # by the clock, not by the schedule: a server slower than the schedule does
            # not stretch the attack beyond the honest sessions' wall time
            next_at = max(next_at, time.monotonic())
            if next_at >= deadline:
                break
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))
            next_at += period
            played = (cursor, min(hi, cursor + MAX_CLAIM))
            answer = await session.beat(conn, event="tick", played=played, playing=True, rate=16)
            sent[0] += 1
            # advance by what the server credited (the member's coverage grew by it)
            gained = max(0.0, answer["coverage"] - last_coverage[0])
            last_coverage[0] = max(last_coverage[0], answer["coverage"])
            cursor = cursor + gained if cursor + gained < hi - 1e-9 else lo
        conn.close()

    await asyncio.gather(*(one(i) for i in range(sessions)))
    return sent[0]


async def run(args, base: str, lesson_path: str, accounts: list[str], password: str) -> dict:
    parts = urlsplit(base)
    host, port = parts.hostname, parts.port or 80
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit("loopback only")
    members = [await member_login(host, port, name, password, lesson_path) for name in accounts]
    before = [await totals(host, port, m) for m in members]
    t0 = time.monotonic() + 1.0
    wall0 = time.time()
    spans = [[None, None] for _ in members]
    sent = await asyncio.gather(
        attack(host, port, members[0], t0, args.seconds, args.sessions, args.period, spans[0]),
        honest(host, port, members[1], t0, args.seconds, 1.0, spans[1]),
        honest(host, port, members[2], t0, args.seconds, MAX_RATE, spans[2]),
    )
    wall = time.time() - wall0 - 1.0
    after = [await totals(host, port, m) for m in members]
    credited = [
        {"coverage": a[0] - b[0], "engaged": a[1] - b[1], "span": sp[1] - sp[0]}
        for a, b, sp in zip(after, before, spans, strict=True)
    ]
    return {"members": accounts, "credited": credited, "beats": sent, "wall": wall}


def report(args, result: dict) -> bool:
    """The bound one honest session sets: over a wall-clock span it is credited at most
    that span of engaged time and ``MAX_CREDITED_RATE`` × that of coverage. The attack
    passes if its credit stays within that bound for its own span (first beat sent → last
    answer: every server time of its beats lies inside), whatever its sessions claimed."""
    att, h1, h15 = result["credited"]
    beats = result["beats"]
    eps = 1e-6
    ok_engaged = att["engaged"] <= att["span"] + eps
    ok_coverage = att["coverage"] <= MAX_RATE * att["engaged"] + eps

    def ratio(a: float, b: float) -> str:
        return f"{a / b:.2f}" if b else "—"

    lines = [
        f"{args.sessions} attack sessions of one lesson at once vs one honest session, "
        f"{args.seconds:.0f} s of wall time, one beat per {args.period:g} s per attack "
        f"session (each claiming {MAX_CLAIM:.0f} media seconds at rate 16); load average "
        f"{os.getloadavg()[0]:.2f}",
        "",
        "| member | sessions | beats | wall span s | credited coverage s | credited engaged s "
        "| coverage / honest 1× | engaged / honest 1× |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, sessions, n, c in (
        (f"attack ({result['members'][0]})", args.sessions, beats[0], att),
        (f"honest 1× ({result['members'][1]})", 1, beats[1], h1),
        (f"honest 1.5× ({result['members'][2]})", 1, beats[2], h15),
    ):
        lines.append(
            f"| {name} | {sessions} | {n} | {c['span']:.1f} | {c['coverage']:.1f} | "
            f"{c['engaged']:.1f} | {ratio(c['coverage'], h1['coverage'])} | "
            f"{ratio(c['engaged'], h1['engaged'])} |"
        )
    verdict = "holds" if ok_engaged and ok_coverage else "**BROKEN**"
    lines += [
        "",
        f"- attack / honest 1×: engaged **{ratio(att['engaged'], h1['engaged'])}**, coverage "
        f"**{ratio(att['coverage'], h1['coverage'])}**; attack / honest 1.5×: coverage "
        f"**{ratio(att['coverage'], h15['coverage'])}** (the spans differ by the servers' "
        "queueing, a fraction of a second)",
        f"- bound of one session over the attack's own span of {att['span']:.2f} s: engaged "
        f"{att['engaged']:.2f} ≤ {att['span']:.2f} — {'yes' if ok_engaged else '**NO**'}; "
        f"coverage {att['coverage']:.2f} ≤ {MAX_RATE} × engaged = "
        f"{MAX_RATE * att['engaged']:.2f} — {'yes' if ok_coverage else '**NO**'}. The "
        f"member-wide budget {verdict}: {args.sessions} sessions earn what one would.",
    ]
    print("\n".join(lines))
    return ok_engaged and ok_coverage


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument(
        "--period", type=float, default=0.5, help="seconds between two beats of one attack session"
    )
    parser.add_argument("--sqlite", action="store_true", help="a temporary SQLite database")
    parser.add_argument("--base", help="attack this running server instead (loopback)")
    parser.add_argument("--lesson-path", help="with --base: the video lesson's path")
    parser.add_argument("--accounts", help="with --base: attacker,honest1x,honest1.5x")
    parser.add_argument("--password", default="demo12345", help="with --base")
    parser.add_argument("--seed", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.seed:
        seed()
        return
    if not 1 <= args.sessions <= 100 or not 0.05 <= args.period <= 60 or args.seconds > 600:
        raise SystemExit("bounds: 1–100 sessions, period 0.05–60 s, at most 600 s")
    # whole beat intervals, so that the honest sessions' last tick ends the same wall time
    args.seconds = max(TICK, TICK * int(args.seconds // TICK))

    if args.base:
        if not args.lesson_path or not args.accounts:
            raise SystemExit("--base needs --lesson-path and --accounts")
        accounts = args.accounts.split(",")
        if len(accounts) != 3:
            raise SystemExit("--accounts: three members (attacker, honest 1×, honest 1.5×)")
        result = asyncio.run(run(args, args.base, args.lesson_path, accounts, args.password))
    else:
        gunicorn, base, lesson_path, work = server_start(args)
        try:
            result = asyncio.run(run(args, base, lesson_path, ACCOUNTS, PASSWORD))
        finally:
            gunicorn.send_signal(signal.SIGTERM)
            gunicorn.wait(timeout=30)
            shutil.rmtree(work, ignore_errors=True)
    sys.exit(0 if report(args, result) else 1)


if __name__ == "__main__":
    main()
