"""Exam day: 500 members sit one timed quiz of 50 questions against gunicorn + PostgreSQL +
Redis; throughput, latency and exactness of start, autosave and submit.

    .venv/bin/python bench/exam_day.py [--members 500] [--questions 50]
        [--concurrency 32] [--start-window 60] [--submit-window 60] [--ref-duration 20]
        [--save-rate 50] [--paced-duration 60]
        [--workers 3] [--threads 2] [--worker-class gthread] [--redis-db 9] [--no-readme]

1. Creates the PostgreSQL database ``lms_exam_day`` (dropped first), migrates it and seeds,
   through the services: a unit, a course whose audience is that unit, a bank of
   ``--questions`` + 10 auto-graded questions of eight types (single, multiple response,
   true/false, short answer, numerical, fill in the blanks, matching, ordering; marks 1,
   2 and 1.5; ``exams.quizzes.bank.question_create``), a published ``QuizLessonPage``
   with ``--questions`` fixed slots (30-minute limit, questions and options shuffled,
   one attempt, pass mark 60 %, 1 study hour), and ``--members`` members of the unit,
   each enrolled and logged in (a Django session made server-side). A question's text
   carries its bank token (``EQ-017``), so the client knows which question each shuffled
   position holds, as a member reads it.
2. Starts gunicorn (``cms.wsgi``, ``cms.settings.production`` as deployed: DEBUG off, the
   cache on Redis ``REDIS_URL=redis://127.0.0.1:6379/<--redis-db>``, loopback only) and
   drives it from a SEPARATE process: the asyncio client ``bench/http1_client.py`` with
   ``--concurrency`` keep-alive connections. Requests carry the session cookie, a
   ``csrftoken`` cookie and the same value in ``X-CSRFToken`` (plain HTTP: no Referer
   check), like the quiz page's script. No Celery worker: nothing on the API path queues
   a task (the overdue closer is beat's, and no attempt runs over its time here).
3. Phases, time compressed (the issue's scenario is about rates):
   - start: every member ``POST /api/v1/quizzes/<quiz>/attempts/`` once, spread evenly
     over ``--start-window`` seconds (paced: member i at i × window / members);
   - reference: the trivial ``GET /api/exams/ping/`` (DRF + session cookie: the session
     and the user row), closed loop on the same connections for ``--ref-duration`` s;
   - autosave: every member's script of saves (``POST …/attempts/<id>/responses/``, one
     answer per save; a member's saves go one at a time, in order). First paced: for
     ``--paced-duration`` s, ``--save-rate`` saves a second (default 50/s, three times the
     scenario's average: 500 members × ~62 saves in 30 minutes ≈ 17/s), open loop, the
     latency counted from the moment each save was due (so a wait for a free connection
     counts); this is the p95 that the target is checked on. Then the rest closed loop —
     as fast as the connections allow, any connection taking the next save of any member
     not waiting for an answer: the throughput compared with the ping's. A script: every
     question answered in page order (2 % left blank), right with the member's own
     probability (35–95 %), otherwise a plausible wrong or partly right response of the
     type; then 20 % of the answers changed and re-saved (``seq`` 2), and a third of
     those followed by a replay of the old save (``seq`` 1, an offline queue flushed
     late), which must come back "stale" and store nothing;
   - submit: ``POST …/submit/`` spread over ``--submit-window`` seconds (0: closed loop,
     as fast as possible); 5 % double-click (a second submit at the same moment on
     another connection), which must answer the same graded result.
   Throughput ratio: closed-loop autosave vs ping, both on the same connections. (In a
   closed loop the latency is the queue's: ``--concurrency`` / throughput on average, for
   the ping too; its p95 is printed as well.)
4. The truth: the client grades its own last acknowledged answer of every question with
   the question specs (its own re-implementation of the grading rules, no ``exams``
   import) and sums the attempt's score and percent.
5. Checks, in the database after the server stopped: for every acknowledged save the
   stored ``AttemptQuestion.response`` / ``response_seq`` equal the client's last
   acknowledged ones (else a lost answer); each member has exactly one attempt, graded,
   closed by the member, its score, percent and pass, and every question's score, equal
   the client's truth; one ``QuizResult`` each with ``attempts`` 1; the study-hour ledger
   holds one quiz credit per member who passed and each such member's quiz lesson is
   done. Then counts the SQL statements of each request through the whole Django stack
   (``django.test.Client`` in-process, ``CaptureQueriesContext``) for a fresh member.

Prints the table and writes it to bench/README.md under "## exam day" (the section's
``### `` subsections are kept).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import secrets
import signal
import subprocess
import sys
import tempfile
import time
import unicodedata
from collections import deque
from decimal import ROUND_HALF_UP, Decimal, localcontext
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import gunicorn_start  # noqa: E402
from bench.heartbeats import (  # noqa: E402  (the measuring helpers the benches share)
    free_port,
    postmaster_pid,
    summarise,
    tree_cpu_seconds,
    wait_up,
)

DB_NAME = "lms_exam_day"
PG = "postgres://postgres@127.0.0.1:5432"
QUIZ_API = "/api/v1/quizzes"
TOKEN_RE = re.compile(r"EQ-\d{3}")
TYPES = (
    "single",
    "multi",
    "truefalse",
    "shortanswer",
    "numerical",
    "gapfill",
    "matching",
    "ordering",
)
MARKS = ("1", "2", "1.5")
PASS_PERCENT = Decimal("60")
CREDIT_HOURS = Decimal("1")


def django_env(redis_db: int) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "cms.settings.production",
        "DATABASE_URL": f"{PG}/{DB_NAME}",
        "REDIS_URL": f"redis://127.0.0.1:6379/{redis_db}",
        "SECRET_KEY": os.environ.get("BENCH_SECRET_KEY") or secrets.token_urlsafe(60),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "PYTHONPATH": str(ROOT),
    }


# --- seeding (runs under Django) --------------------------------------------------


def question_spec_data(n: int) -> dict:
    """The keyword arguments of question ``n``'s ``QuestionSpec`` (plain text, decimals
    as strings: the seeding turns them into the spec)."""
    qtype = TYPES[n % len(TYPES)]
    token = f"EQ-{n:03d}"
    data: dict = {
        "qtype": qtype,
        "name": f"Exam day {token} ({qtype})",
        "text": f"Exam day question {token}: pick or type the answer.",
        "default_mark": MARKS[n % len(MARKS)],
    }
    v = n + 3
    if qtype == "single":
        data["choices"] = [
            ("a", "Right", "1"),
            ("b", "Nearly", "0.5"),
            ("c", "Wrong", "0"),
            ("d", "Also wrong", "0"),
        ]
    elif qtype == "multi":
        data["choices"] = [
            ("a", "Yes", "0.5"),
            ("b", "Yes too", "0.5"),
            ("c", "No", "-0.5"),
            ("d", "Never", "-1"),
        ]
    elif qtype == "truefalse":
        data["choices"] = [("true", "True", "1"), ("false", "False", "0")]
    elif qtype == "shortanswer":
        data["text_answers"] = [(f"Exit route {v}", "1", 0), (f"Exit {v}", "0.5", 0)]
    elif qtype == "numerical":
        data["numeric_answers"] = [(f"{v}.25", "0.05", "1"), (f"{v}.25", "0.5", "0.5")]
    elif qtype == "gapfill":
        data["text"] = f"Exam day question {token}: fill [[1]] and [[2]]."
        data["text_answers"] = [(f"alpha{v}", "1", 1), (f"beta{v}", "1", 2)]
    elif qtype == "matching":
        data["pairs"] = [
            ("p1", "Fire", f"Extinguisher {v}"),
            ("p2", "Cut", f"Bandage {v}"),
            ("p3", "Dark", f"Torch {v}"),
            ("p4", "", f"Umbrella {v}"),
        ]
    elif qtype == "ordering":
        data["items"] = [("i1", "First"), ("i2", "Second"), ("i3", "Third"), ("i4", "Fourth")]
    return data


def seed(members: int, questions: int, out: Path) -> None:
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.middleware.csrf import _get_new_csrf_string

    from cms.services import member_create, roles_ensure, unit_create
    from courses.models import CourseIndexPage, CoursePage
    from courses.services import enrolment_create
    from exams.quizzes import bank
    from exams.quizzes import spec as qspec
    from exams.quizzes.models import QuizLessonPage, QuizSlot, ReviewWhen
    from exams.quizzes.richtext import from_plain_text

    assert not settings.DEBUG
    D = Decimal
    roles_ensure()
    unit = unit_create(name="Exam day branch", code="EXAMDAY")
    section = CourseIndexPage.objects.get(slug="courses")
    course = CoursePage(
        title="Exam day course",
        slug="exam-day-course",
        credit_hours=D("1"),
        audience_everyone=False,
    )
    section.add_child(instance=course)
    course.audience_units.set([unit])
    course.save()

    category = bank.category_ensure_path(names=["Exam day bench"])
    bank_specs: dict[str, dict] = {}
    made = []
    for n in range(questions + 10):
        data = question_spec_data(n)
        spec = qspec.QuestionSpec(
            qtype=data["qtype"],
            name=data["name"],
            text=from_plain_text(data["text"]),
            default_mark=D(data["default_mark"]),
            choices=tuple(
                qspec.Choice(key, text, D(f)) for key, text, f in data.get("choices", ())
            ),
            text_answers=tuple(
                qspec.TextAnswer(text, D(f), gap=gap)
                for text, f, gap in data.get("text_answers", ())
            ),
            numeric_answers=tuple(
                qspec.NumericAnswer(D(value), D(tol), D(f))
                for value, tol, f in data.get("numeric_answers", ())
            ),
            pairs=tuple(qspec.MatchPair(*pair) for pair in data.get("pairs", ())),
            items=tuple(qspec.OrderItem(*item) for item in data.get("items", ())),
        )
        question = bank.question_create(category=category, spec=spec)
        made.append(question)
        bank_specs[f"EQ-{n:03d}"] = qspec.spec_to_dict(spec)

    quiz = QuizLessonPage(
        title="Exam day quiz",
        slug="exam-day-quiz",
        required_for_completion=True,
        time_limit_minutes=30,
        attempts_allowed=1,
        pass_percent=PASS_PERCENT,
        credit_hours=CREDIT_HOURS,
        shuffle_questions=True,
        shuffle_options=True,
        questions_per_page=0,
        review_score=ReviewWhen.IMMEDIATELY,
        review_feedback=ReviewWhen.IMMEDIATELY,
        review_answers=ReviewWhen.AFTER_CLOSE,
        slots=[QuizSlot(question=q, sort_order=i) for i, q in enumerate(made[:questions])],
    )
    course.add_child(instance=quiz)
    quiz.save_revision().publish()

    people = []
    for i in range(members):
        user = member_create(username=f"exam{i:04d}", full_name=f"Exam {i}", unit=unit)
        enrolment_create(user=user, course=course)
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
            }
        )
    out.write_text(json.dumps({"quiz": quiz.pk, "questions": bank_specs, "members": people}))


# --- the truth: grading re-implemented (the client's, no exams import) ----------------

Q7 = Decimal("0.0000001")
Q3 = Decimal("0.001")
Q2 = Decimal("0.01")
ZERO, ONE = Decimal(0), Decimal(1)


def _norm(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).split()).casefold()


def _clamp(value: Decimal) -> Decimal:
    if value <= ZERO:
        return ZERO.quantize(Q7)
    if value >= ONE - Decimal("0.000001"):
        return ONE.quantize(Q7)
    return value.quantize(Q7, rounding=ROUND_HALF_UP)


def _text_best(answers: list[dict], typed: str) -> Decimal:
    fits = [Decimal(a["fraction"]) for a in answers if _norm(a["text"]) == _norm(typed)]
    return max(fits, default=ZERO)


def truth_fraction(spec: dict, response: dict | None) -> Decimal:
    """The fraction a response earns, for the response forms this client sends."""
    if response is None:
        return ZERO.quantize(Q7)
    qtype = spec["qtype"]
    if qtype in ("single", "truefalse"):
        fractions = {c["key"]: Decimal(c["fraction"]) for c in spec["choices"]}
        return _clamp(fractions.get(response["choice"], ZERO))
    if qtype == "multi":
        chosen = set(response["choices"])
        return _clamp(
            sum((Decimal(c["fraction"]) for c in spec["choices"] if c["key"] in chosen), ZERO)
        )
    if qtype == "shortanswer":
        return _clamp(_text_best(spec["text_answers"], response["text"]))
    if qtype == "numerical":
        typed = Decimal(response["value"])
        fits = [
            Decimal(a["fraction"])
            for a in spec["numeric_answers"]
            if abs(typed - Decimal(a["value"])) <= Decimal(a["tolerance"])
        ]
        return _clamp(max(fits, default=ZERO))
    if qtype == "gapfill":
        gaps = sorted({a["gap"] for a in spec["text_answers"]})
        total = sum(
            (
                _text_best([a for a in spec["text_answers"] if a["gap"] == g], typed)
                for g, typed in zip(gaps, response["gaps"], strict=False)
            ),
            ZERO,
        )
        with localcontext() as context:
            context.prec = 50
            return _clamp(total / len(gaps))
    if qtype == "matching":
        prompts = [p for p in spec["pairs"] if p["prompt"]]
        right = sum(1 for p in prompts if response["matches"].get(p["key"]) == p["answer"])
        return _clamp(Decimal(right) / Decimal(len(prompts)))
    if qtype == "ordering":
        keys = [item["key"] for item in spec["items"]]
        right = sum(1 for a, b in zip(keys, response["order"], strict=False) if a == b)
        return _clamp(Decimal(right) / Decimal(len(keys)))
    raise ValueError(qtype)


def truth_score(fraction: Decimal, mark: Decimal) -> Decimal:
    return (fraction * mark).quantize(Q3, rounding=ROUND_HALF_UP)


def truth_percent(score: Decimal, max_score: Decimal) -> Decimal:
    return min(max(score / max_score * 100, ZERO), Decimal(100)).quantize(Q2, ROUND_HALF_UP)


# --- what a member answers --------------------------------------------------------


def response_for(spec: dict, rng: random.Random, *, right: bool) -> dict:
    """A right response, or a plausible wrong or partly right one."""
    qtype = spec["qtype"]
    if qtype in ("single", "truefalse"):
        keys = [c["key"] for c in spec["choices"]]
        if right:
            return {"choice": max(spec["choices"], key=lambda c: Decimal(c["fraction"]))["key"]}
        return {"choice": rng.choice(keys)}
    if qtype == "multi":
        keys = [c["key"] for c in spec["choices"]]
        if right:
            return {"choices": [c["key"] for c in spec["choices"] if Decimal(c["fraction"]) > 0]}
        return {"choices": rng.sample(keys, rng.randint(1, len(keys)))}
    if qtype == "shortanswer":
        best, other = spec["text_answers"][0]["text"], spec["text_answers"][1]["text"]
        if right:
            return {"text": rng.choice([best, f"  {best.upper()} ", best.replace(" ", "  ")])}
        return {"text": rng.choice([other, "no idea", f"{best}!"])}
    if qtype == "numerical":
        value = Decimal(spec["numeric_answers"][0]["value"])
        if right:
            return {"value": str(value + Decimal(rng.choice(["0", "0.04", "-0.05"])))}
        return {"value": str(value + Decimal(rng.choice(["0.3", "-0.5", "7", "-0.06"])))}
    if qtype == "gapfill":
        gaps = sorted({a["gap"] for a in spec["text_answers"]})
        texts = {a["gap"]: a["text"] for a in spec["text_answers"]}
        return {"gaps": [texts[g] if right or rng.random() < 0.5 else "wrong" for g in gaps]}
    if qtype == "matching":
        prompts = [p for p in spec["pairs"] if p["prompt"]]
        answers = [p["answer"] for p in spec["pairs"]]
        if right:
            return {"matches": {p["key"]: p["answer"] for p in prompts}}
        return {"matches": {p["key"]: rng.choice(answers) for p in prompts}}
    if qtype == "ordering":
        keys = [item["key"] for item in spec["items"]]
        if right:
            return {"order": keys}
        return {"order": rng.sample(keys, len(keys))}
    raise ValueError(qtype)


class Member:
    def __init__(self, index: int, info: dict) -> None:
        self.index = index
        self.username = info["username"]
        self.cookie = (
            f"Cookie: sessionid={info['sessionid']}; csrftoken={info['csrf']}\r\n".encode()
        )
        self.headers = (
            self.cookie
            + f"X-CSRFToken: {info['csrf']}\r\n".encode()
            + b"Content-Type: application/json\r\n"
        )
        self.rng = random.Random(1000 + index)
        self.skill = self.rng.uniform(0.35, 0.95)
        self.attempt: int | None = None
        self.positions: dict[int, str] = {}  # position → the bank token it shows
        self.script: deque = deque()  # (position, response, seq, expect "saved"/"stale")
        self.acked: dict[int, tuple[dict, int]] = {}  # position → last acknowledged
        self.saves = self.replays = 0
        self.result: dict | None = None
        self.double_click = False

    def started(self, payload: dict, specs: dict) -> None:
        """The start's page: which question each position holds; then the script."""
        self.attempt = payload["attempt"]
        for q in payload["questions"]:
            self.positions[q["position"]] = TOKEN_RE.search(q["text"]).group(0)
        rng = self.rng
        order = sorted(self.positions)
        answered = []
        for position in order:
            if rng.random() < 0.02:
                continue  # left blank
            spec = specs[self.positions[position]]
            right = rng.random() < self.skill
            self.script.append((position, response_for(spec, rng, right=right), 1, "saved"))
            answered.append(position)
        changed = rng.sample(answered, round(0.2 * len(answered)))
        for position in changed:
            spec = specs[self.positions[position]]
            old = next(s for s in self.script if s[0] == position and s[2] == 1)
            right = rng.random() < self.skill
            self.script.append((position, response_for(spec, rng, right=right), 2, "saved"))
            if rng.random() < 1 / 3:
                self.script.append((position, old[1], 1, "stale"))
        self.double_click = rng.random() < 0.05

    def truth(self, specs: dict) -> dict:
        questions = {}
        total = max_score = ZERO
        for position, token in self.positions.items():
            spec = specs[token]
            mark = Decimal(spec["default_mark"])
            response, seq = self.acked.get(position, (None, 0))
            score = truth_score(truth_fraction(spec, response), mark)
            questions[str(position)] = {"response": response, "seq": seq, "score": str(score)}
            total += score
            max_score += mark
        total = total.quantize(Q3)
        percent = truth_percent(total, max_score)
        return {
            "attempt": self.attempt,
            "score": str(total),
            "percent": str(percent),
            "passed": percent >= PASS_PERCENT,
            "questions": questions,
            "saves": self.saves,
            "replays": self.replays,
            "result": self.result,
        }


# --- the load generator (a separate process, no Django) ---------------------------


async def run_client(config: dict) -> dict:
    from bench.http1_client import Connection

    host, port = config["base"].removeprefix("http://").split(":")
    port = int(port)
    specs = config["questions"]
    members = [Member(i, info) for i, info in enumerate(config["members"])]
    concurrency = config["concurrency"]
    connections = [Connection(host, port) for _ in range(concurrency)]
    quiz = config["quiz"]

    async def phase(name, run):
        lat: list[float] = []
        err: list = []
        roots = [config["server_pid"], config["postmaster_pid"]]
        cpu0 = [tree_cpu_seconds(r) for r in roots], time.process_time()
        load0 = os.getloadavg()[0]
        start = time.perf_counter()
        print(f"  {name} …", flush=True)
        await run(lat, err)
        summary = summarise(lat, time.perf_counter() - start, len(err))
        summary["load"] = [load0, os.getloadavg()[0]]
        n = max(1, summary["requests"] + summary["errors"])
        app_cpu, db_cpu = (tree_cpu_seconds(r) - c for r, c in zip(roots, cpu0[0], strict=True))
        summary["server_cpu_ms"] = (app_cpu + db_cpu) / n * 1000
        summary["app_cpu_ms"] = app_cpu / n * 1000
        summary["db_cpu_ms"] = db_cpu / n * 1000
        summary["client_cpu_ms"] = (time.process_time() - cpu0[1]) / n * 1000
        summary["error_examples"] = err[:5]
        return summary

    async def timed(conn, *args):
        t0 = time.perf_counter()
        status, body = await conn.request(*args)
        return status, body, time.perf_counter() - t0

    def paced(window: float):
        """Member i's moment, i × window / members from now, and the connection it uses."""
        t0 = time.perf_counter()
        step = window / max(1, len(members))
        return [(t0 + i * step, m) for i, m in enumerate(members)]

    async def run_paced(schedule, lat, err, send):
        shares = [schedule[i::concurrency] for i in range(concurrency)]
        lag: list[float] = []

        async def worker(share, conn):
            for at, m in share:
                delay = at - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                else:
                    lag.append(-delay)
                await send(m, conn, lat, err)

        await asyncio.gather(*(worker(s, c) for s, c in zip(shares, connections, strict=True)))
        return max(lag, default=0.0)

    # start
    async def start_one(m, conn, lat, err):
        path = f"{QUIZ_API}/{quiz}/attempts/"
        t0 = time.perf_counter()
        status, body = await conn.request("POST", path, m.headers, b"")
        if status == 201:
            lat.append(time.perf_counter() - t0)
            m.started(json.loads(body), specs)
        else:
            err.append(["start", m.username, status, body[:200].decode(errors="replace")])

    start_lag = []

    async def starts(lat, err):
        start_lag.append(await run_paced(paced(config["start_window"]), lat, err, start_one))

    # the reference
    async def pings(lat, err):
        deadline = time.perf_counter() + config["ref_duration"]

        async def worker(conn, share):
            i = 0
            while time.perf_counter() < deadline:
                m = share[i % len(share)]
                i += 1
                status, _body, elapsed = await timed(conn, "GET", "/api/exams/ping/", m.cookie)
                if status == 200:
                    lat.append(elapsed)
                else:
                    err.append(["ping", status])

        await asyncio.gather(
            *(
                worker(c, members[i::concurrency] or [members[i % len(members)]])
                for i, c in enumerate(connections)
            )
        )

    # autosave
    ready: deque = deque()  # members with saves left, not waiting for an answer

    async def save_one(m, conn, lat, err, since=None):
        """The member's next save; latency from ``since`` (the moment it was due) or
        from the send."""
        position, response, seq, expect = m.script.popleft()
        body = json.dumps(
            {"answers": [{"position": position, "response": response, "seq": seq}]}
        ).encode()
        path = f"{QUIZ_API}/attempts/{m.attempt}/responses/"
        t0 = time.perf_counter()
        status, payload = await conn.request("POST", path, m.headers, body)
        elapsed = time.perf_counter() - (t0 if since is None else since)
        answer = json.loads(payload) if status == 200 else None
        if answer is not None and answer.get(expect) == [position]:
            lat.append(elapsed)
            if expect == "saved":
                m.acked[position] = (response, seq)
                m.saves += 1
            else:
                m.replays += 1
        else:
            err.append(["save", m.username, position, seq, status, payload[:200].decode()])
        if m.script:
            ready.append(m)

    async def saves_paced(lat, err):
        """``save_rate`` saves a second for ``paced_duration`` s, open loop: each is due at
        its moment, whatever the server's speed; a save waits for a free connection."""
        ready.extend(m for m in members if m.script)
        free: asyncio.Queue = asyncio.Queue()
        for conn in connections:
            free.put_nowait(conn)

        async def one(m, due):
            conn = await free.get()
            try:
                await save_one(m, conn, lat, err, since=due)
            finally:
                free.put_nowait(conn)

        rate = config["save_rate"]
        t0 = time.perf_counter()
        tasks = []
        for k in range(int(rate * config["paced_duration"])):
            due = t0 + k / rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            if not ready:
                break
            tasks.append(asyncio.create_task(one(ready.popleft(), due)))
        await asyncio.gather(*tasks)

    async def saves(lat, err):
        async def worker(conn):
            while ready:
                await save_one(ready.popleft(), conn, lat, err)

        await asyncio.gather(*(worker(c) for c in connections))

    # submit
    async def submit_one(m, conn, lat, err):
        if m.attempt is None:
            return  # its start failed (counted there)
        path = f"{QUIZ_API}/attempts/{m.attempt}/submit/"
        if m.double_click:
            extra = Connection(host, port)
            answers = await asyncio.gather(
                timed(conn, "POST", path, m.headers, b""),
                timed(extra, "POST", path, m.headers, b""),
            )
            extra.close()
        else:
            answers = [await timed(conn, "POST", path, m.headers, b"")]
        bodies = []
        for status, body, elapsed in answers:
            if status == 200:
                lat.append(elapsed)
                bodies.append(json.loads(body))
            else:
                err.append(["submit", m.username, status, body[:200].decode(errors="replace")])
        if bodies:
            m.result = bodies[0]
            if any(b != bodies[0] for b in bodies[1:]):
                err.append(["double click answered differently", m.username, bodies])

    submit_lag = []

    async def submits(lat, err):
        window = config["submit_window"]
        if window > 0:
            submit_lag.append(await run_paced(paced(window), lat, err, submit_one))
            return
        ready = deque(members)

        async def worker(conn):
            while ready:
                await submit_one(ready.popleft(), conn, lat, err)

        await asyncio.gather(*(worker(c) for c in connections))

    async def warm(lat, err):
        deadline = time.perf_counter() + 2
        await asyncio.gather(
            *(
                asyncio.ensure_future(_warm(c, members[i % len(members)], deadline))
                for i, c in enumerate(connections)
            )
        )

    async def _warm(conn, m, deadline):
        while time.perf_counter() < deadline:
            await conn.request("GET", "/api/exams/ping/", m.cookie)

    await phase("warm-up", warm)
    start = await phase("start", starts)
    ref = await phase("reference (ping)", pings)
    paced_save = await phase("autosave, paced", saves_paced)
    save = await phase("autosave, closed loop", saves)
    submit = await phase("submit", submits)
    for conn in connections:
        conn.close()
    start["lag_s"] = start_lag[0] if start_lag else 0.0
    submit["lag_s"] = submit_lag[0] if submit_lag else 0.0
    return {
        "start": start,
        "ref": ref,
        "paced_save": paced_save,
        "save": save,
        "submit": submit,
        "double_clicks": sum(m.double_click for m in members if m.result),
        "unsent": sum(len(m.script) for m in members) + sum(m.attempt is None for m in members),
        "truth": {m.username: m.truth(specs) for m in members if m.attempt is not None},
    }


# --- the check (runs under Django, after the server stopped) -----------------------


def check(results_path: Path) -> dict:
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db.models import Count, Sum

    from courses.models import LessonProgress
    from exams.hours.models import StudyHourEntry
    from exams.quizzes.models import Attempt, AttemptQuestion, QuizLessonPage, QuizResult

    results = json.loads(results_path.read_text())
    truth = results["truth"]
    quiz = QuizLessonPage.objects.get(slug="exam-day-quiz")
    members = dict(
        get_user_model().objects.filter(username__in=truth).values_list("username", "pk")
    )
    attempts: dict[int, list] = {}
    for a in Attempt.objects.filter(quiz=quiz).values(
        "pk", "user_id", "state", "closed_by", "score", "percent", "passed"
    ):
        attempts.setdefault(a["user_id"], []).append(a)
    stored: dict[int, dict[int, tuple]] = {}
    for row in AttemptQuestion.objects.filter(attempt__quiz=quiz).values_list(
        "attempt_id", "position", "response", "response_seq", "score"
    ):
        stored.setdefault(row[0], {})[row[1]] = row[2:]
    results_rows = {
        r["user_id"]: r
        for r in QuizResult.objects.filter(quiz=quiz).values("user_id", "attempts", "passed")
    }
    credits = dict(
        StudyHourEntry.objects.filter(key__startswith=f"quiz:{quiz.pk}:")
        .values("user_id")
        .annotate(h=Sum("hours"))
        .values_list("user_id", "h")
    )
    done = set(
        LessonProgress.objects.filter(
            lesson_id=quiz.pk, state=LessonProgress.State.DONE
        ).values_list("user_id", flat=True)
    )
    per_user_attempts = dict(
        Attempt.objects.filter(quiz=quiz)
        .values("user_id")
        .annotate(n=Count("pk"))
        .values_list("user_id", "n")
    )
    lost = wrong_scores = wrong_question_scores = 0
    not_graded_once = ledger_wrong = completion_wrong = api_result_wrong = 0
    acked_answers = 0
    passed = 0
    examples = []
    for name, t in truth.items():
        uid = members[name]
        mine = attempts.get(uid, [])
        rows = stored.get(t["attempt"], {})
        for position, q in t["questions"].items():
            row = rows.get(int(position))
            if q["seq"]:
                acked_answers += 1
            if row is None or row[0] != q["response"] or row[1] != q["seq"]:
                lost += 1
                if len(examples) < 5:
                    examples.append({"member": name, "position": position, "stored": row})
            elif row[2] is None or Decimal(row[2]) != Decimal(q["score"]):
                wrong_question_scores += 1
        result = results_rows.get(uid)
        if (
            per_user_attempts.get(uid) != 1
            or len(mine) != 1
            or mine[0]["state"] != Attempt.State.GRADED
            or mine[0]["closed_by"] != Attempt.Closed.MEMBER
            or result is None
            or result["attempts"] != 1
        ):
            not_graded_once += 1
            continue
        a = mine[0]
        if (
            Decimal(a["score"]) != Decimal(t["score"])
            or Decimal(a["percent"]) != Decimal(t["percent"])
            or a["passed"] != t["passed"]
            or result["passed"] != t["passed"]
        ):
            wrong_scores += 1
            if len(examples) < 5:
                examples.append({"member": name, "db": str(a["score"]), "truth": t["score"]})
        shown = t["result"] or {}
        if Decimal(shown.get("score") or "-1") != Decimal(t["score"]) or shown.get("state") != (
            "graded"
        ):
            api_result_wrong += 1
        passed += t["passed"]
        credited = credits.get(uid, Decimal(0))
        if credited != (CREDIT_HOURS if t["passed"] else Decimal(0)):
            ledger_wrong += 1
        if (uid in done) != t["passed"]:
            completion_wrong += 1
    return {
        "members": len(truth),
        "attempts": sum(per_user_attempts.values()),
        "graded": Attempt.objects.filter(quiz=quiz, state=Attempt.State.GRADED).count(),
        "acked_answers": acked_answers,
        "lost": lost,
        "wrong_scores": wrong_scores,
        "wrong_question_scores": wrong_question_scores,
        "not_graded_once": not_graded_once,
        "api_result_wrong": api_result_wrong,
        "passed": passed,
        "ledger_wrong": ledger_wrong,
        "completion_wrong": completion_wrong,
        "saves": sum(t["saves"] for t in truth.values()),
        "replays": sum(t["replays"] for t in truth.values()),
        "score_total": str(sum((Decimal(t["score"]) for t in truth.values()), Decimal(0))),
        "examples": examples,
        "queries": queries_per_request(quiz=quiz),
    }


def queries_per_request(*, quiz) -> dict:
    """SQL statements of each request through the whole stack (session, auth, CSRF, DRF,
    the service), in this process on the bench database, for a fresh member: the ping, a
    start, a first save, a change, a stale replay, a submit and a repeated submit."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.db import connection
    from django.middleware.csrf import _get_new_csrf_string
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from cms.models import Unit
    from cms.services import member_create
    from courses.models import CoursePage
    from courses.services import enrolment_create

    user = member_create(
        username="examqueries", full_name="Queries", unit=Unit.objects.get(code="EXAMDAY")
    )
    enrolment_create(user=user, course=CoursePage.objects.get(slug="exam-day-course"))
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    csrf = _get_new_csrf_string()
    client = Client(enforce_csrf_checks=True, HTTP_HOST="127.0.0.1")
    client.cookies["sessionid"] = session.session_key
    client.cookies["csrftoken"] = csrf
    counts: dict[str, dict] = {}

    def run(name: str, method: str, url: str, body: dict | None = None, expect: int = 200):
        with CaptureQueriesContext(connection) as ctx:
            t0 = time.perf_counter()
            if method == "GET":
                response = client.get(url)
            else:
                response = client.post(
                    url,
                    data=json.dumps(body) if body is not None else "",
                    content_type="application/json",
                    HTTP_X_CSRFTOKEN=csrf,
                )
            ms = (time.perf_counter() - t0) * 1000
        if response.status_code != expect:
            raise SystemExit(f"{name}: HTTP {response.status_code} {response.content[:200]!r}")
        counts[name] = {
            "n": len(ctx.captured_queries),
            "ms": ms,
            "sql": [q["sql"][:160] for q in ctx.captured_queries],
        }
        return response

    run("ping", "GET", "/api/exams/ping/")
    page = run("start", "POST", f"{QUIZ_API}/{quiz.pk}/attempts/", expect=201).json()
    attempt = page["attempt"]
    url = f"{QUIZ_API}/attempts/{attempt}/responses/"

    def save(position, seq):
        return {"answers": [{"position": position, "response": {"choice": "a"}, "seq": seq}]}

    run("save", "POST", url, save(1, 1))
    run("save2", "POST", url, save(2, 1))
    run("change", "POST", url, save(1, 2))
    run("stale", "POST", url, save(1, 1))
    run("submit", "POST", f"{QUIZ_API}/attempts/{attempt}/submit/")
    run("submit_again", "POST", f"{QUIZ_API}/attempts/{attempt}/submit/")
    return counts


# --- the driver --------------------------------------------------------------------


def sh(args: list[str], env: dict) -> None:
    subprocess.run(args, cwd=ROOT, env=env, check=True)


def create_database() -> None:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB_NAME}")


def redis_keys(db: int) -> int:
    import redis

    return redis.Redis(host="127.0.0.1", port=6379, db=db).dbsize()


def verdict(met: bool) -> str:
    return "met" if met else "**not met**"


def table(results: dict, result: dict, args) -> str:
    ref, save, start, submit = results["ref"], results["save"], results["start"], results["submit"]
    paced = results["paced_save"]
    ratio = save["rps"] / ref["rps"] if ref["rps"] else 0.0
    errors = sum(s["errors"] for s in (ref, paced, save, start, submit)) + results["unsent"]
    submit_how = (
        f"spread over {args.submit_window:.0f} s"
        if args.submit_window > 0
        else "closed loop, as fast as possible"
    )
    lines = [
        f"gunicorn {args.workers} × {args.worker_class}({args.threads}) (gunicorn_h1c parser) on "
        f"127.0.0.1, `cms.settings.production`, PostgreSQL 127.0.0.1, cache on Redis db "
        f"{args.redis_db}, no Celery worker (nothing on the API path queues a task); client: "
        f"1 asyncio process (bench/http1_client.py), {args.concurrency} connections; "
        f"{args.members} members, one quiz of {args.questions} questions (8 auto-graded types, "
        f"shuffled), 30 min limit; {os.cpu_count()} CPUs shared by all three. Starts spread "
        f"over {args.start_window:.0f} s; autosave (one answer per save) first paced at "
        f"{args.save_rate:.0f}/s for {args.paced_duration:.0f} s (open loop, latency from the "
        "moment each save was due), then the rest closed loop (as fast as the connections "
        f"allow); submits {submit_how}. Server CPU: gunicorn's processes and all of "
        "PostgreSQL's (other databases' work on this PostgreSQL included). Load average "
        "(1 min) at the start → end of each phase: "
        + ", ".join(
            f"{n} {s['load'][0]:.2f} → {s['load'][1]:.2f}"
            for n, s in (
                ("start", start),
                ("ping", ref),
                ("paced autosave", paced),
                ("closed-loop autosave", save),
                ("submit", submit),
            )
        ),
        "",
        "| phase / endpoint | seconds | requests | req/s | p50 ms | p95 ms | p99 ms | errors "
        "| server CPU ms/req (gunicorn + PostgreSQL) | client CPU ms/req | SQL statements "
        "per request |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    q = result["queries"]
    for name, s, statements in (
        ("GET /api/exams/ping/ (reference)", ref, f"{q['ping']['n']}"),
        ("start `POST …/<quiz>/attempts/`", start, f"{q['start']['n']}"),
        (
            f"autosave `POST …/attempts/<id>/responses/`, paced {args.save_rate:.0f}/s",
            paced,
            f"{q['save']['n']}",
        ),
        (
            "autosave, closed loop",
            save,
            f"{q['save']['n']} (a change {q['change']['n']}, a stale replay {q['stale']['n']})",
        ),
        (
            "submit `POST …/attempts/<id>/submit/`",
            submit,
            f"{q['submit']['n']} (again: {q['submit_again']['n']})",
        ),
    ):
        lines.append(
            f"| {name} | {s['seconds']:.1f} | {s['requests']} | {s['rps']:.1f} | "
            f"{s['p50_ms']:.1f} | {s['p95_ms']:.1f} | {s['p99_ms']:.1f} | {s['errors']} | "
            f"{s['server_cpu_ms']:.2f} ({s['app_cpu_ms']:.2f} + {s['db_cpu_ms']:.2f}) | "
            f"{s['client_cpu_ms']:.2f} | {statements} |"
        )
    exact = (
        result["lost"] == 0
        and result["wrong_scores"] == 0
        and result["wrong_question_scores"] == 0
        and result["not_graded_once"] == 0
        and result["api_result_wrong"] == 0
        and result["ledger_wrong"] == 0
        and result["completion_wrong"] == 0
        and result["graded"] == args.members
    )
    lines += [
        "",
        f"- errors: **{errors}** (target 0; saves or starts never sent: "
        f"{results['unsent']}) — {verdict(errors == 0)}",
        f"- lost answers: **{result['lost']}** of {result['acked_answers']} questions' last "
        f"acknowledged saves ({result['saves']} saves acknowledged, {result['replays']} stale "
        f'replays answered "stale" and stored nothing; target 0) — '
        f"{verdict(result['lost'] == 0)}",
        f"- graded exactly once: **{result['graded']}** graded attempts for {args.members} "
        f"members ({result['attempts']} attempts in all, {result['not_graded_once']} members "
        f"without exactly one graded attempt and one result; {results['double_clicks']} double "
        f"clicks answered the same result) — "
        f"{verdict(result['graded'] == args.members and result['not_graded_once'] == 0)}",
        f"- exactness: **{'exact' if exact else 'FAILED'}** — every attempt's score, percent and "
        f"pass, and every question's score, equal the client's own grading of its "
        f"acknowledged answers ({result['wrong_scores']} attempts and "
        f"{result['wrong_question_scores']} questions differ; {result['api_result_wrong']} "
        f"submit answers differ; total score {result['score_total']}); {result['passed']} "
        f"passed, each with one quiz credit of {CREDIT_HOURS} h in the ledger and the lesson "
        f"done ({result['ledger_wrong']} ledger and {result['completion_wrong']} completion "
        "differences)",
        f"- autosave p95 at {args.save_rate:.0f} saves/s (paced) **{paced['p95_ms']:.1f} ms** "
        f"(target ≤ 100) — {verdict(paced['p95_ms'] <= 100)}; at saturation (closed loop, "
        f"{args.concurrency} in flight) **{save['p95_ms']:.1f} ms** — "
        f"{verdict(save['p95_ms'] <= 100)} (the ping's own p95 in its closed loop: "
        f"{ref['p95_ms']:.1f} ms)",
        f"- autosave / ping throughput, both closed loops: **{ratio:.2f}** (target ≥ 0.5) — "
        f"{verdict(ratio >= 0.5)}; server CPU per save / per ping: "
        f"{save['server_cpu_ms'] / ref['server_cpu_ms']:.2f}",
        f"- submit p95 **{submit['p95_ms']:.1f} ms** (target ≤ 300) — "
        f"{verdict(submit['p95_ms'] <= 300)}; start p95 {start['p95_ms']:.1f} ms; the paced "
        f"phases fell behind their schedule by at most {start['lag_s']:.2f} s (start) and "
        f"{submit['lag_s']:.2f} s (submit)",
        "- in-process, whole Django stack, one request each (ms, noisy): "
        + ", ".join(f"{k} {v['ms']:.1f}" for k, v in q.items()),
    ]
    if result["examples"]:
        lines.append(f"- first mismatches: `{json.dumps(result['examples'])}`")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=500)
    parser.add_argument("--questions", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--start-window", type=float, default=60)
    parser.add_argument("--submit-window", type=float, default=60)
    parser.add_argument("--ref-duration", type=float, default=20)
    parser.add_argument("--save-rate", type=float, default=50)
    parser.add_argument("--paced-duration", type=float, default=60)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--worker-class", default="gthread")
    parser.add_argument("--redis-db", type=int, default=9)
    parser.add_argument("--no-readme", action="store_true")
    parser.add_argument("--keep", type=Path, help="keep the client's results here (JSON)")
    parser.add_argument("--seed", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--client", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--check", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.redis_db in (0, 1):
        raise SystemExit("--redis-db: 0 and 1 belong to the demo; take another")
    if args.seed:
        seed(args.members, args.questions, args.seed)
        return
    if args.client:
        config = json.loads(args.client.read_text())
        results = asyncio.run(run_client(config))
        Path(config["out"]).write_text(json.dumps(results))
        return
    if args.check:
        print(json.dumps(check(args.check)))
        return

    env = django_env(args.redis_db)
    py = sys.executable
    work = Path(tempfile.mkdtemp(prefix="bench-exam-day-"))
    if redis_keys(args.redis_db):
        print(f"note: Redis db {args.redis_db} is not empty (left as it is)")
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
            "--questions",
            str(args.questions),
            "--redis-db",
            str(args.redis_db),
        ],
        env,
    )
    seeded = json.loads((work / "seed.json").read_text())

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    gunicorn = gunicorn_start(py=py, port=port, args=args, env=env, root=ROOT)
    try:
        wait_up(gunicorn, base)
        config = {
            **seeded,
            "base": base,
            "server_pid": gunicorn.pid,
            "postmaster_pid": postmaster_pid(),
            "concurrency": args.concurrency,
            "start_window": args.start_window,
            "submit_window": args.submit_window,
            "ref_duration": args.ref_duration,
            "save_rate": args.save_rate,
            "paced_duration": args.paced_duration,
            "out": str(work / "results.json"),
        }
        (work / "client.json").write_text(json.dumps(config))
        print("client: start, reference, autosave, submit …", flush=True)
        subprocess.run([py, str(Path(__file__)), "--client", str(work / "client.json")], check=True)
    finally:
        gunicorn.send_signal(signal.SIGTERM)
        gunicorn.wait(timeout=30)

    results = json.loads((work / "results.json").read_text())
    if args.keep:
        args.keep.write_text(json.dumps(results))
    out = subprocess.run(
        [py, str(Path(__file__)), "--check", str(work / "results.json")],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    for name in ("start", "ref", "paced_save", "save", "submit"):
        if results[name]["error_examples"]:
            print(f"{name} errors:", results[name]["error_examples"])
    text = table(results, result, args)
    print(text)
    print(f"load average at the end: {os.getloadavg()}")
    print(f"statements: {json.dumps({k: v['sql'] for k, v in result['queries'].items()})}")
    if not args.no_readme:
        from bench.common import readme_generated_part_write

        readme_generated_part_write(
            "exam day", " ".join([".venv/bin/python bench/exam_day.py", *sys.argv[1:]]), text
        )


if __name__ == "__main__":
    main()
