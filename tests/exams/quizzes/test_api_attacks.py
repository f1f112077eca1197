"""The quiz API as an attacker uses it, over HTTP: other members' attempts, forged ids,
late answers, replays, double submits, anonymous and cross-site requests, bad bodies, and
looking for grading data in every answer."""

from __future__ import annotations

import json
import re
import threading
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from exams.quizzes.models import Attempt, AttemptQuestion, QuizResult
from tests.exams.conftest import T0
from tests.exams.quizzes.conftest import SECRETS, make_quiz, right_response, wrong_response
from tests.exams.quizzes.test_api import Api, attempt_url, rows, start_url

ENDPOINTS = [
    ("get", ""),
    ("post", "responses/"),
    ("post", "page/"),
    ("post", "submit/"),
    ("get", "review/"),
]
BODIES = {
    "": None,
    "responses/": {"answers": [{"position": 1, "response": {"choice": "b"}, "seq": 99}]},
    "page/": {"page": 0},
    "submit/": None,
    "review/": None,
}


def call(client: Api, method: str, attempt_id: int, tail: str):
    url = attempt_url(attempt_id, tail)
    return client.get(url) if method == "get" else client.post(url, BODIES[tail])


@pytest.fixture
def alices(quiz_world):
    """Alice's attempt in progress, her first answer saved."""
    client = Api(quiz_world.alice)
    attempt_id = client.start(quiz_world.quiz).json()["attempt"]
    assert client.save(attempt_id, (1, {"choice": "a"}, 1)).status_code == 200
    return client, attempt_id


# --- whose attempt ----------------------------------------------------------------------


@pytest.mark.parametrize(("method", "tail"), ENDPOINTS)
def test_another_members_attempt_is_404_on_every_endpoint(quiz_world, alices, method, tail):
    # given Alice's attempt, and Bob (same branch, same course) who knows its id
    _alice, attempt_id = alices
    bob = Api(quiz_world.bob)

    # when Bob uses it on any endpoint
    response = call(bob, method, attempt_id, tail)

    # then it does not exist for him, and nothing of Alice's changed
    assert response.status_code == 404
    assert set(response.json()) == {"detail"}
    row = AttemptQuestion.objects.get(attempt_id=attempt_id, position=1)
    assert row.response == {"choice": "a"} and row.response_seq == 1
    assert Attempt.objects.get(pk=attempt_id).state == Attempt.State.IN_PROGRESS


@pytest.mark.parametrize(("method", "tail"), ENDPOINTS)
def test_an_attempt_that_does_not_exist_is_the_same_404(quiz_world, method, tail):
    response = call(Api(quiz_world.bob), method, 999_999, tail)
    assert response.status_code == 404


def test_forged_quiz_ids_are_404(quiz_world):
    client = Api(quiz_world.alice)
    assert client.post(f"/api/v1/quizzes/{999_999}/attempts/").status_code == 404
    # a page that is a lesson but not a quiz
    assert client.post(start_url(quiz_world.reading)).status_code == 404
    # a quiz of a course outside the member's audience
    response = Api(quiz_world.west).start(quiz_world.quiz)
    assert response.status_code == 404
    assert not Attempt.objects.exists()


def test_an_unpublished_quiz_cannot_be_started(quiz_world):
    quiz_world.quiz.unpublish()
    response = Api(quiz_world.alice).start(quiz_world.quiz)
    assert response.status_code == 404
    assert not Attempt.objects.exists()


def test_an_inactive_member_is_refused(quiz_world):
    client = Api(quiz_world.alice)
    quiz_world.alice.is_active = False
    quiz_world.alice.save()
    assert client.start(quiz_world.quiz).status_code == 403
    assert not Attempt.objects.exists()


@pytest.mark.parametrize(("method", "tail"), ENDPOINTS)
def test_anonymous_is_403_everywhere(quiz_world, alices, method, tail):
    _alice, attempt_id = alices
    response = call(Api(None), method, attempt_id, tail)
    assert response.status_code == 403
    assert response.json()["detail"]


def test_anonymous_start_is_403(quiz_world):
    assert Api(None).start(quiz_world.quiz).status_code == 403
    assert not Attempt.objects.exists()


def test_a_post_without_the_csrf_token_is_403(quiz_world, alices):
    # given Alice's session cookie, used by another site's form (no CSRF header)
    client, attempt_id = alices
    url = attempt_url(attempt_id, "responses/")
    body = {"answers": [{"position": 1, "response": {"choice": "b"}, "seq": 5}]}

    response = client.post(url, body, csrf=False)
    submit = client.post(attempt_url(attempt_id, "submit/"), csrf=False)

    assert response.status_code == 403 and submit.status_code == 403
    assert "CSRF" in response.json()["detail"]
    assert AttemptQuestion.objects.get(attempt_id=attempt_id, position=1).response_seq == 1
    assert Attempt.objects.get(pk=attempt_id).state == Attempt.State.IN_PROGRESS


# --- time ------------------------------------------------------------------------------


@pytest.fixture
def timed(quiz_world):
    """Alice's attempt of a 10-minute quiz started at T0 (server time)."""
    quiz = make_quiz(
        quiz_world.quiz_course,
        questions=[quiz_world.questions["single"], quiz_world.questions["truefalse"]],
        time_limit_minutes=10,
    )
    client = Api(quiz_world.alice)
    with time_machine.travel(T0, tick=False):
        attempt_id = client.start(quiz).json()["attempt"]
    return client, attempt_id


def test_answers_within_the_grace_are_taken(timed):
    client, attempt_id = timed
    with time_machine.travel(T0 + timedelta(minutes=10, seconds=29), tick=False):
        response = client.save(attempt_id, (1, {"choice": "a"}, 1))
    assert response.status_code == 200, response.content
    assert response.json()["remaining_seconds"] == 0


def test_a_save_after_the_deadline_and_grace_is_409_and_closes_the_attempt(timed):
    # given the deadline (T0 + 10 min) and the 30 s grace both past
    client, attempt_id = timed
    with time_machine.travel(T0 + timedelta(minutes=10, seconds=31), tick=False):
        # when the browser still sends an answer
        response = client.save(attempt_id, (1, {"choice": "a"}, 1))

    # then it is refused, not stored, and the attempt is closed by the timeout
    assert response.status_code == 409
    assert response.json()["detail"]
    attempt = Attempt.objects.get(pk=attempt_id)
    assert attempt.state != Attempt.State.IN_PROGRESS
    assert attempt.closed_by == Attempt.Closed.TIMEOUT
    assert AttemptQuestion.objects.get(attempt_id=attempt_id, position=1).response is None


def test_the_client_clock_is_irrelevant(timed):
    """A body cannot say what time it is: only the server's clock counts."""
    client, attempt_id = timed
    body = {
        "answers": [{"position": 1, "response": {"choice": "a"}, "seq": 1}],
        "server_time": timezone.now().isoformat(),
        "now": "2000-01-01T00:00:00Z",
    }
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        response = client.post(attempt_url(attempt_id, "responses/"), body)
    assert response.status_code == 409
    assert Attempt.objects.get(pk=attempt_id).closed_by == Attempt.Closed.TIMEOUT


# --- replays and double submits ----------------------------------------------------------


def test_a_replayed_stale_seq_does_not_overwrite_a_newer_answer(alices):
    # given answer seq 1 ("a"), then the member changed it (seq 2, "b")
    client, attempt_id = alices
    assert client.save(attempt_id, (1, {"choice": "b"}, 2)).json()["saved"] == [1]

    # when an offline queue replays the old answer (seq 1) and an equal seq
    replay = client.save(attempt_id, (1, {"choice": "a"}, 1))
    same = client.save(attempt_id, (1, {"choice": "c"}, 2))

    # then both are stale and the newer answer stands
    assert replay.status_code == 200 and same.status_code == 200
    assert replay.json()["stale"] == [1] and replay.json()["saved"] == []
    assert same.json()["stale"] == [1]
    row = AttemptQuestion.objects.get(attempt_id=attempt_id, position=1)
    assert row.response == {"choice": "b"} and row.response_seq == 2


def test_double_submit_and_two_tabs_give_one_graded_attempt(quiz_world, alices):
    # given Alice's attempt open in two tabs
    tab1, attempt_id = alices
    tab2 = Api(quiz_world.alice)
    answers = [(r.position, right_response(r.version.spec_obj), 5) for r in rows(attempt_id)]
    tab1.save(attempt_id, *answers)

    # when both tabs submit, one of them twice
    first = tab1.post(attempt_url(attempt_id, "submit/"))
    second = tab2.post(attempt_url(attempt_id, "submit/"))
    third = tab1.post(attempt_url(attempt_id, "submit/"))

    # then every answer is the same graded attempt, graded once
    assert {r.status_code for r in (first, second, third)} == {200}
    assert first.json() == second.json() == third.json()
    attempt = Attempt.objects.get(pk=attempt_id)
    assert attempt.state == Attempt.State.GRADED and attempt.percent == 100
    assert Attempt.objects.filter(user=quiz_world.alice).count() == 1
    result = QuizResult.objects.get(user=quiz_world.alice, quiz=quiz_world.quiz)
    assert result.attempts == 1


def test_answers_after_submit_are_409(alices):
    client, attempt_id = alices
    client.post(attempt_url(attempt_id, "submit/"))
    response = client.save(attempt_id, (1, {"choice": "b"}, 9))
    assert response.status_code == 409
    assert AttemptQuestion.objects.get(attempt_id=attempt_id, position=1).response == {
        "choice": "a"
    }


def test_sequential_navigation_cannot_go_back(quiz_world):
    quiz = make_quiz(
        quiz_world.quiz_course,
        questions=[quiz_world.questions["single"], quiz_world.questions["truefalse"]],
        questions_per_page=1,
        navigation="sequential",
    )
    client = Api(quiz_world.alice)
    attempt_id = client.start(quiz).json()["attempt"]
    assert client.post(attempt_url(attempt_id, "page/"), {"page": 1}).status_code == 200

    back = client.post(attempt_url(attempt_id, "page/"), {"page": 0})
    read = client.get(attempt_url(attempt_id) + "?page=0")
    change = client.save(attempt_id, (1, {"choice": "a"}, 1))

    assert back.status_code == read.status_code == change.status_code == 409
    assert AttemptQuestion.objects.get(attempt_id=attempt_id, position=1).response is None


# --- grading data never leaves before the review allows ----------------------------------

LEAKS = re.compile(r"SECRET|fraction\"\s*:\s*\"|correct_response\"\s*:\s*\{|feedback\"\s*:\s*\[\"")


def test_no_grading_data_in_any_answer_before_review_allows(quiz_world):
    # given a quiz of every type that never shows answers or feedback, nor the score
    quiz = make_quiz(
        quiz_world.quiz_course,
        questions=list(quiz_world.questions.values()),
        questions_per_page=3,
        review_score="never",
        review_answers="never",
        review_feedback="never",
    )
    client = Api(quiz_world.alice)
    seen = []

    # when the member goes through the whole attempt
    start = client.start(quiz)
    attempt_id = start.json()["attempt"]
    seen.append(start)
    for page in range(start.json()["page_count"]):
        seen.append(client.get(attempt_url(attempt_id) + f"?page={page}"))
        seen.append(client.post(attempt_url(attempt_id, "page/"), {"page": page}))
    # (wrong answers: the member's own right answers would hold the secrets)
    answers = [(r.position, wrong_response(r.version.spec_obj), 1) for r in rows(attempt_id)]
    seen.append(client.save(attempt_id, *answers))
    seen.append(client.post(attempt_url(attempt_id, "submit/")))
    seen.append(client.get(attempt_url(attempt_id, "review/")))

    # then no answer holds an accepted answer, a feedback, a fraction or the right order
    for response in seen:
        assert response.status_code in (200, 201), response.content
        text = response.content.decode()
        assert not LEAKS.search(text), text
        for secret in SECRETS:
            assert secret not in text
        assert "correct" not in text.replace("show_correct", "").replace(
            'correct_response":null', ""
        )
        assert '"score":"' not in text and '"percent":"' not in text
    shown = [json.loads(r.content) for r in seen[1:-3] if r.request["REQUEST_METHOD"] == "GET"]
    ordering = [q for p in shown for q in p["questions"] if q["qtype"] == "ordering"]
    assert ordering and [i["key"] for i in ordering[0]["items"]] != ["i1", "i2", "i3", "i4"]


def test_right_answers_are_not_sent_while_the_attempt_runs_even_when_review_is_immediate(
    quiz_world,
):
    client = Api(quiz_world.alice)
    body = client.start(quiz_world.quiz).content.decode()
    assert not LEAKS.search(body)
    assert all(secret not in body for secret in SECRETS)
    assert "Extinguisher" in body  # matching answers are shown, unpaired


# --- bad bodies ----------------------------------------------------------------------------


def answer(**over):
    item = {"position": 1, "response": {"choice": "a"}, "seq": 7}
    item.update(over)
    return item


BAD_SAVES = {
    "not json": "not json",
    "a list": "[1, 2]",
    "null": "null",
    "a string": '"text"',
    "a number": "12",
    "deep nesting": "[" * 5000 + "]" * 5000,
    "deep object": '{"answers": ' + '{"a": ' * 3000 + "1" + "}" * 3000 + "}",
    "no answers": json.dumps({}),
    "empty answers": json.dumps({"answers": []}),
    "answers not a list": json.dumps({"answers": {"position": 1}}),
    "too many answers": json.dumps({"answers": [answer(seq=i) for i in range(101)]}),
    "position as string": json.dumps({"answers": [answer(position="1")]}),
    "position a float": json.dumps({"answers": [answer(position=1.5)]}),
    "position negative": json.dumps({"answers": [answer(position=-1)]}),
    "position unknown": json.dumps({"answers": [answer(position=99)]}),
    "position huge": json.dumps({"answers": [answer(position=2**40)]}),
    "seq missing": json.dumps({"answers": [{"position": 1, "response": {}}]}),
    "seq negative": json.dumps({"answers": [answer(seq=-1)]}),
    "seq as bool": json.dumps({"answers": [answer(seq=True)]}),
    "seq huge": json.dumps({"answers": [answer(seq=2**63)]}),
    "response a list": json.dumps({"answers": [answer(response=["a"])]}),
    "response a string": json.dumps({"answers": [answer(response="a")]}),
    "response null": json.dumps({"answers": [answer(response=None)]}),
    "response too large": json.dumps({"answers": [answer(response={"text": "x" * 20_000})]}),
    "response deeply nested": json.dumps(
        {"answers": [answer(response={"a": [[[[[[[]]]]]]]})]}
    ).replace("[[[[[[[]]]]]]]", "[" * 900 + "]" * 900),
    "NaN": '{"answers": [{"position": 1, "response": {"value": NaN}, "seq": 9}]}',
    "body over 256 KB": json.dumps({"answers": [answer()], "pad": "x" * 300_000}),
    "invalid utf-8": b'{"answers": [{"position": 1, "response": {"text": "\xff"}, "seq": 9}]}',
}


@pytest.mark.parametrize("name", list(BAD_SAVES))
def test_a_bad_save_is_a_translated_400_and_stores_nothing(alices, name):
    # given Alice's attempt with answer seq 1 stored
    client, attempt_id = alices

    # when a bad body is posted
    response = client.post(attempt_url(attempt_id, "responses/"), raw=BAD_SAVES[name])

    # then a 400 in English (her language) says why, and nothing changed
    assert response.status_code == 400, (name, response.status_code, response.content[:300])
    detail = response.json()["detail"]
    assert detail and re.search(r"[A-Za-z]", detail) and not re.search(r"[\u4e00-\u9fff]", detail)
    stored = AttemptQuestion.objects.filter(attempt_id=attempt_id).exclude(response=None)
    assert [(r.position, r.response, r.response_seq) for r in stored] == [(1, {"choice": "a"}, 1)]


@pytest.mark.parametrize("depth", [5, 400, 800, 950, 990, 999, 1000, 1200, 20_000])
def test_nesting_at_any_depth_is_a_400_never_a_500(alices, depth):
    client, attempt_id = alices
    nested = "[" * depth + "]" * depth
    raw = '{"answers": [{"position": 1, "seq": 9, "response": {"a": ' + nested + "}}]}"
    response = client.post(attempt_url(attempt_id, "responses/"), raw=raw)
    assert response.status_code == 400, response.content[:200]
    assert AttemptQuestion.objects.get(attempt_id=attempt_id, position=1).response_seq == 1


def test_the_400s_messages_are_the_ones_written_for_them(alices):
    client, attempt_id = alices
    url = attempt_url(attempt_id, "responses/")
    assert client.post(url, raw="[1]").json()["detail"] == "The request body must be a JSON object."
    assert client.post(url, raw="{").json()["detail"] == "The request is not valid JSON."
    too_large = client.post(url, raw=BAD_SAVES["body over 256 KB"]).json()["detail"]
    assert too_large == "The request is too large."
    wrong = client.post(url, raw=BAD_SAVES["response a list"]).json()
    assert wrong["detail"].endswith("A response must be a JSON object.")
    assert "answers" in wrong["errors"]


def test_a_bad_save_is_chinese_by_default(alices, quiz_world):
    client = Api(quiz_world.alice, language="zh-hans")
    attempt_id = alices[1]
    response = client.post(attempt_url(attempt_id, "responses/"), raw="[1]")
    assert response.status_code == 400
    assert response.json()["detail"]


@pytest.mark.parametrize(
    "raw", ['{"page": "1"}', '{"page": -1}', '{"page": 7}', '{"page": 1.0}', "[]", '{"x": 1}']
)
def test_a_bad_page_move_is_400(alices, raw):
    client, attempt_id = alices
    response = client.post(attempt_url(attempt_id, "page/"), raw=raw)
    assert response.status_code == 400, response.content
    assert Attempt.objects.get(pk=attempt_id).current_page == 0


@pytest.mark.parametrize("page", ["x", "-1", "1.5", "99", "99999999999"])
def test_a_bad_page_query_is_400(alices, page):
    client, attempt_id = alices
    response = client.get(attempt_url(attempt_id) + f"?page={page}")
    assert response.status_code == 400
    assert response.json()["detail"]


def test_a_form_encoded_body_is_refused(alices):
    client, attempt_id = alices
    response = client.client.post(
        attempt_url(attempt_id, "responses/"),
        data={"answers": "x"},
        HTTP_X_CSRFTOKEN=client.csrf,
    )
    assert 400 <= response.status_code < 500
    assert AttemptQuestion.objects.get(attempt_id=attempt_id, position=1).response_seq == 1


# --- at the same moment (PostgreSQL: real row locks between connections) -----------------


def _at_once(calls):
    """Run the callables in threads released together; their results in order."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(i, call):
        try:
            barrier.wait()
            results[i] = call()
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results


@pytest.mark.django_db(transaction=True)
def test_two_tabs_submitting_at_the_same_moment_grade_one_attempt(quiz_world):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL's row locks between connections")
    tabs = [Api(quiz_world.alice) for _ in range(4)]
    attempt_id = tabs[0].start(quiz_world.quiz).json()["attempt"]
    answers = [(r.position, right_response(r.version.spec_obj), 1) for r in rows(attempt_id)]
    tabs[0].save(attempt_id, *answers)

    results = _at_once([lambda t=t: t.post(attempt_url(attempt_id, "submit/")) for t in tabs])

    assert [r.status_code for r in results] == [200] * 4
    assert len({r.content for r in results}) == 1
    assert Attempt.objects.get(pk=attempt_id).state == Attempt.State.GRADED
    assert QuizResult.objects.get(user=quiz_world.alice, quiz=quiz_world.quiz).attempts == 1


@pytest.mark.django_db(transaction=True)
def test_two_tabs_starting_at_the_same_moment_share_one_attempt(quiz_world):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL's row locks between connections")
    tabs = [Api(quiz_world.alice) for _ in range(4)]

    results = _at_once([lambda t=t: t.start(quiz_world.quiz) for t in tabs])

    assert sorted(r.status_code for r in results) == [200, 200, 200, 201]
    assert len({r.json()["attempt"] for r in results}) == 1
    assert Attempt.objects.filter(user=quiz_world.alice).count() == 1
