"""The API keeps its contract: schemathesis, run against the live schema of a running
server with a seeded database, as a member and as a manager.

The server is pytest-django's ``live_server`` (in this process, on the suite's database:
SQLite in the first CI run, PostgreSQL in the second); the world is the permission
matrix's (``tests/security/conftest.py``: two branches with their members, managers,
courses, quizzes and attempts). schemathesis's command line runs in a child process with
each role's session cookie and CSRF token, draws requests from the schema (its examples,
its boundary values and random ones, valid and invalid) and fails on

- any 5xx (``not_a_server_error``),
- a status code the operation does not document (``status_code_conformance``),
- a content type, header or body that differs from the documented one
  (``content_type_conformance``, ``response_headers_conformance``,
  ``response_schema_conformance``),
- a request that breaks the schema and is accepted anyway (``negative_data_rejection``),
- a crash of the run itself (an exit code other than 0 or 1, or no summary).

Its hooks (``hooks.py``) mix the seeded objects' ids into what it draws, so the answers
behind the 404s are checked too. Mutating operations run for real (heartbeats credit
member A, attempts are saved and submitted): the data is this test's own.

The draw is reproducible: ``SEED`` below; a failure prints schemathesis's report with
the request to replay it. ``MAX_EXAMPLES`` keeps both runs under about two minutes on the
CI machine.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

from exams.tracking.beat_token import beat_token_for
from tests.security.conftest import build_world

SEED = 20261129
MAX_EXAMPLES = 20
HOOKS = "tests.contract.hooks"
CONFIG = Path(__file__).with_name("schemathesis.toml")
ROOT = Path(__file__).resolve().parents[2]
CHECKS = ",".join(
    (
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_headers_conformance",
        "response_schema_conformance",
        "negative_data_rejection",
    )
)
#: Each role, and the operations it is run on: the member on the member's API (watching,
#: quizzes, media), the manager on the reports (that each role is refused the other's
#: operations is the permission matrix's test, tests/security).
ROLES = {
    "member_a": ("--exclude-path-regex", "^/api/v1/reports/"),
    "manager_a": ("--include-path-regex", "^/api/v1/reports/"),
}


def _cli() -> str:
    return str(Path(sys.executable).with_name("schemathesis"))


def _seed(world) -> dict:
    a, b = world.A, world.B
    return {
        "ids": {
            "attempt_id": [a.in_progress.pk, a.finished.pk, b.in_progress.pk],
            "quiz_id": [a.quiz.pk, b.quiz.pk],
            "unit_id": [a.unit.pk, b.unit.pk, world.district.pk],
            "unit": [a.unit.pk, b.unit.pk],
            "course_id": [a.course.pk, b.course.pk],
            "course": [a.course.pk],
            "user_id": [a.member.pk, b.member.pk],
            "ids": [f"{a.video.pk},{b.video.pk}"],
        },
        "beats": [
            {"lesson": lesson.pk, "token": beat_token_for(user_id=a.member.pk, lesson_id=lesson.pk)}
            for lesson in (a.video_lesson, a.reading, b.video_lesson)
        ],
    }


def _run(live_server, client, user, seed: dict, operations: tuple) -> subprocess.CompletedProcess:
    client.logout()
    client.force_login(user)
    command = [
        _cli(),
        "--config-file",
        str(CONFIG),
        "run",
        f"{live_server.url}/api/schema/?format=json&lang=en",
        "--checks",
        CHECKS,
        "--phases",
        "examples,coverage,fuzzing",
        "--exclude-path",
        "/api/schema/",
        *operations,
        "--max-examples",
        str(MAX_EXAMPLES),
        "--seed",
        str(SEED),
        # The seed alone decides the draw: no examples kept from earlier runs.
        "--generation-database",
        "none",
        "--workers",
        "1",
        "--request-timeout",
        "60",
        "--max-failures",
        "50",
    ]
    env = {
        **os.environ,
        "SCHEMATHESIS_HOOKS": HOOKS,
        "CONTRACT_SEED": json.dumps(seed),
        "CONTRACT_SESSIONID": client.cookies["sessionid"].value,
        # A CSRF secret of our choosing: cookie and header agree (hooks.map_case).
        "CONTRACT_CSRF": secrets.token_hex(16),
        "PYTHONPATH": str(ROOT),
        "NO_COLOR": "1",
    }
    return subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False
    )


def test_the_api_keeps_its_schema_for_a_member_and_a_manager(live_server, client):
    world = build_world()
    seed = _seed(world)
    reports = []
    for role, operations in ROLES.items():
        result = _run(live_server, client, world.users[role], seed, operations)
        reports.append((role, result))
    for role, r in reports:
        print(f"=== schemathesis as {role}: exit {r.returncode}\n{r.stdout[-3000:]}")
    failed = [(role, r) for role, r in reports if r.returncode != 0 or "Tested:" not in r.stdout]
    assert not failed, "\n\n".join(
        f"=== schemathesis as {role}: exit {r.returncode}\n{r.stdout[-20000:]}\n{r.stderr[-5000:]}"
        for role, r in failed
    )
    for role, r in reports:
        selected = re.search(r"Selected: (\d+)/", r.stdout)
        tested = re.search(r"Tested: (\d+)", r.stdout)
        assert selected and tested and int(tested[1]) == int(selected[1]) > 0, (role, r.stdout)
