"""The quiz API over HTTP (``/api/v1/quizzes/``): the happy paths of every operation and
every question type's response shape, and the OpenAPI schema."""

from __future__ import annotations

import json

import pytest
from django.middleware.csrf import _get_new_csrf_string
from django.test import Client

from courses.models import LessonProgress
from exams.quizzes import spec as qspec
from exams.quizzes.models import Attempt, AttemptQuestion, QuizResult
from tests.exams.quizzes.conftest import (
    AUTO_TYPES,
    make_question,
    make_quiz,
    right_response,
    wrong_response,
)

BASE = "/api/v1/quizzes/"


def start_url(quiz) -> str:
    return f"{BASE}{quiz.pk}/attempts/"


def attempt_url(attempt_id: int, tail: str = "") -> str:
    return f"{BASE}attempts/{attempt_id}/{tail}"


class Api:
    """A logged-in browser with its CSRF cookie and header, speaking JSON."""

    def __init__(self, user=None, *, language: str = "en") -> None:
        self.client = Client(enforce_csrf_checks=True)
        if user is not None:
            self.client.force_login(user)
        self.csrf = _get_new_csrf_string()
        self.client.cookies["csrftoken"] = self.csrf
        self.client.cookies["django_language"] = language

    def get(self, url: str):
        return self.client.get(url)

    def post(self, url: str, body=None, *, raw: str | bytes | None = None, csrf: bool = True):
        data = raw if raw is not None else ("" if body is None else json.dumps(body))
        headers = {"HTTP_X_CSRFTOKEN": self.csrf} if csrf else {}
        return self.client.post(url, data=data, content_type="application/json", **headers)

    def start(self, quiz):
        return self.post(start_url(quiz))

    def save(self, attempt_id: int, *answers: tuple[int, dict, int]):
        body = {"answers": [{"position": p, "response": r, "seq": s} for p, r, s in answers]}
        return self.post(attempt_url(attempt_id, "responses/"), body)


@pytest.fixture
def api():
    return Api


def rows(attempt_id: int) -> list[AttemptQuestion]:
    return list(
        AttemptQuestion.objects.filter(attempt_id=attempt_id)
        .select_related("version")
        .order_by("position")
    )


# --- start, page, save, navigation, submit, review -------------------------------------


def test_start_then_resume_answers_the_same_attempt(quiz_world, api):
    # given alice in the quiz's audience
    client = api(quiz_world.alice)

    # when she starts, then starts again (a second tab, a reload)
    first = client.start(quiz_world.quiz)
    again = client.start(quiz_world.quiz)

    # then the first call made the attempt (201) and the second resumed it (200)
    assert first.status_code == 201, first.content
    assert again.status_code == 200
    body = first.json()
    assert again.json()["attempt"] == body["attempt"]
    assert Attempt.objects.filter(user=quiz_world.alice).count() == 1
    assert body["state"] == "in_progress" and body["page"] == 0 and body["page_count"] == 1
    assert [q["qtype"] for q in body["questions"]] == list(AUTO_TYPES)
    assert all(q["response"] is None and q["seq"] == 0 for q in body["questions"])
    assert body["remaining_seconds"] is None and body["deadline"] is None
    assert body["server_time"]


def test_a_timed_attempt_reports_the_servers_remaining_time(quiz_world, api):
    quiz = make_quiz(
        quiz_world.quiz_course,
        questions=[quiz_world.questions["single"]],
        time_limit_minutes=10,
    )
    body = api(quiz_world.alice).start(quiz).json()
    assert 598 <= body["remaining_seconds"] <= 600
    assert body["deadline"]


@pytest.mark.parametrize("qtype", qspec.QUESTION_TYPES)
def test_every_types_response_shape_is_saved_and_read_back(quiz_world, api, qtype):
    # given an attempt of a quiz with one question of this type
    question = quiz_world.questions[qtype]
    quiz = make_quiz(quiz_world.quiz_course, questions=[question])
    client = api(quiz_world.alice)
    attempt_id = client.start(quiz).json()["attempt"]
    response = right_response(question.spec)

    # when the browser saves its response
    saved = client.save(attempt_id, (1, response, 1))

    # then it is stored as sent, and the page shows it with its seq
    assert saved.status_code == 200, saved.content
    assert saved.json() == {"saved": [1], "stale": [], "remaining_seconds": None, "deadline": None}
    page = client.get(attempt_url(attempt_id)).json()
    assert page["questions"][0]["response"] == response
    assert page["questions"][0]["seq"] == 1


def test_the_page_json_holds_what_each_type_needs_to_be_answered(quiz_world, api):
    body = api(quiz_world.alice).start(quiz_world.quiz).json()
    by_type = {q["qtype"]: q for q in body["questions"]}
    assert [o["key"] for o in by_type["single"]["options"]] == ["a", "b", "c"]
    assert [o["key"] for o in by_type["truefalse"]["options"]] == ["true", "false"]
    assert by_type["gapfill"]["gaps"] == 2
    assert sorted(by_type["matching"]["answers"]) == [
        "Bandage",
        "Extinguisher",
        "Torch",
        "Umbrella",
    ]
    assert [p["key"] for p in by_type["matching"]["prompts"]] == ["p1", "p2", "p3"]
    shown = [i["key"] for i in by_type["ordering"]["items"]]
    assert sorted(shown) == ["i1", "i2", "i3", "i4"] and shown != ["i1", "i2", "i3", "i4"]


def test_pages_and_navigation(quiz_world, api):
    # given a quiz of one question per page
    quiz = make_quiz(
        quiz_world.quiz_course,
        questions=[quiz_world.questions[t] for t in ("single", "multi", "truefalse")],
        questions_per_page=1,
    )
    client = api(quiz_world.alice)
    attempt_id = client.start(quiz).json()["attempt"]

    # when the member moves to the last page and reads another one
    moved = client.post(attempt_url(attempt_id, "page/"), {"page": 2})
    other = client.get(attempt_url(attempt_id) + "?page=1")

    # then the move is remembered (a resume lands there) and any page can be read
    assert moved.status_code == 200, moved.content
    assert moved.json()["page"] == 2 and moved.json()["page_count"] == 3
    assert [q["position"] for q in moved.json()["questions"]] == [3]
    assert other.json()["page"] == 1 and other.json()["questions"][0]["position"] == 2
    assert client.start(quiz).json()["page"] == 2
    assert Attempt.objects.get(pk=attempt_id).current_page == 2


def test_submit_grades_once_and_answers_the_result(quiz_world, api):
    # given every question answered right
    client = api(quiz_world.alice)
    attempt_id = client.start(quiz_world.quiz).json()["attempt"]
    answers = [(r.position, right_response(r.version.spec_obj), 1) for r in rows(attempt_id)]
    assert client.save(attempt_id, *answers).status_code == 200

    # when the member submits
    response = client.post(attempt_url(attempt_id, "submit/"))

    # then the graded attempt is answered, the result passed and the lesson is done
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["state"] == "graded" and body["closed_by"] == "member"
    assert body["show_score"] is True
    assert body["percent"] == "100.00" and body["passed"] is True
    assert body["review_url"] == f"/quizzes/attempts/{attempt_id}/review/"
    assert QuizResult.objects.get(user=quiz_world.alice, quiz=quiz_world.quiz).passed
    assert LessonProgress.objects.get(user=quiz_world.alice, lesson=quiz_world.quiz).state == (
        LessonProgress.State.DONE
    )


def test_review_shows_what_the_options_allow(quiz_world, api):
    # given a quiz that shows everything at once, sat with wrong answers
    quiz = make_quiz(
        quiz_world.quiz_course,
        questions=[quiz_world.questions["single"], quiz_world.questions["shortanswer"]],
        review_score="immediately",
        review_answers="immediately",
        review_feedback="immediately",
    )
    client = api(quiz_world.alice)
    attempt_id = client.start(quiz).json()["attempt"]
    answers = [(r.position, wrong_response(r.version.spec_obj), 1) for r in rows(attempt_id)]
    client.save(attempt_id, *answers)
    client.post(attempt_url(attempt_id, "submit/"))

    # when the member reads the review
    response = client.get(attempt_url(attempt_id, "review/"))

    # then score, right answers and feedback are there
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["show_score"] and body["show_answers"] and body["show_feedback"]
    assert body["percent"] == "0.00" and body["passed"] is False
    single = body["questions"][0]
    assert single["response"] == {"choice": "b"}
    assert single["correct_response"] == {"choice": "a"}
    assert single["score"] == "0.000" and single["mark"] == "1.00"
    assert any("SECRETFEEDBACK" in text for text in single["feedback"])
    assert "SECRETGENERAL" in single["general_feedback"]


def test_review_hides_what_the_options_do_not_allow_yet(quiz_world, api):
    quiz = make_quiz(
        quiz_world.quiz_course,
        questions=[quiz_world.questions["single"]],
        review_score="never",
        review_answers="never",
        review_feedback="never",
    )
    client = api(quiz_world.alice)
    attempt_id = client.start(quiz).json()["attempt"]
    client.save(attempt_id, (1, {"choice": "a"}, 1))
    result = client.post(attempt_url(attempt_id, "submit/")).json()
    body = client.get(attempt_url(attempt_id, "review/")).json()

    assert result["show_score"] is False
    assert result["score"] is None and result["percent"] is None and result["passed"] is None
    assert body["score"] is None and body["percent"] is None and body["passed"] is None
    question = body["questions"][0]
    assert question["correct_response"] is None and question["show_correct"] is False
    assert question["fraction"] is None and question["score"] is None
    assert question["feedback"] == [] and question["general_feedback"] == ""
    assert question["response"] == {"choice": "a"}  # their own answer, always


def test_review_of_an_attempt_in_progress_is_409(quiz_world, api):
    client = api(quiz_world.alice)
    attempt_id = client.start(quiz_world.quiz).json()["attempt"]
    response = client.get(attempt_url(attempt_id, "review/"))
    assert response.status_code == 409
    assert response.json()["detail"] == "This attempt is not finished yet."


def test_an_essay_waits_for_marking(quiz_world, api):
    client = api(quiz_world.alice)
    attempt_id = client.start(quiz_world.essay_quiz).json()["attempt"]
    client.save(attempt_id, (1, {"text": "My essay."}, 1))
    body = client.post(attempt_url(attempt_id, "submit/")).json()
    assert body["state"] == "needs_grading"
    assert body["percent"] is None


def test_random_draws_are_served_like_fixed_questions(quiz_world, api):
    category = quiz_world.category
    quiz = make_quiz(quiz_world.quiz_course, draws=[(category, 3)])
    body = api(quiz_world.alice).start(quiz).json()
    assert len(body["questions"]) == 3
    assert [q["position"] for q in body["questions"]] == [1, 2, 3]


def test_an_extra_question_in_the_bank_changes_nothing_in_a_running_attempt(quiz_world, api):
    client = api(quiz_world.alice)
    attempt_id = client.start(quiz_world.quiz).json()["attempt"]
    before = client.get(attempt_url(attempt_id)).json()["questions"]
    make_question("single", category=quiz_world.category)
    assert client.get(attempt_url(attempt_id)).json()["questions"] == before


# --- the OpenAPI schema ----------------------------------------------------------------

OPERATIONS = {
    ("/api/v1/quizzes/{quiz_id}/attempts/", "post"),
    ("/api/v1/quizzes/attempts/{attempt_id}/", "get"),
    ("/api/v1/quizzes/attempts/{attempt_id}/responses/", "post"),
    ("/api/v1/quizzes/attempts/{attempt_id}/page/", "post"),
    ("/api/v1/quizzes/attempts/{attempt_id}/submit/", "post"),
    ("/api/v1/quizzes/attempts/{attempt_id}/review/", "get"),
}


def test_the_schema_documents_every_operation_and_its_errors(admin_client):
    # when the schema is read as JSON
    response = admin_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    # then every quiz operation is there, with 200 and its error answers in the one shape
    assert response.status_code == 200
    schema = json.loads(response.content)
    paths = schema["paths"]
    for path, method in OPERATIONS:
        assert path in paths, path
        answers = paths[path][method]["responses"]
        assert {"400", "403", "404", "409"} <= set(answers), (path, answers.keys())
        assert any(code in answers for code in ("200", "201"))
        error = answers["409"]["content"]["application/json"]["schema"]["$ref"]
        assert error == "#/components/schemas/Error"
    # the platform's one error shape (the tracking API's "Error" has the same)
    error = schema["components"]["schemas"]["Error"]
    tracking = schema["components"]["schemas"]["Error"]
    assert (error["properties"], error["required"]) == (
        tracking["properties"],
        tracking["required"],
    )
    assert set(error["properties"]) == {"detail", "errors"} and error["required"] == ["detail"]
    assert schema["components"]["schemas"]["ResponsesIn"]["required"] == ["answers"]
