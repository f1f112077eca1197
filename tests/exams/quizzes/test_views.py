"""The member's quiz pages: the quiz lesson page, the attempt form that works without
JavaScript, the review, who may see them, and the weight of the attempt page."""

from __future__ import annotations

import gzip
import re
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http import QueryDict
from django.test import Client

from courses.models import LessonProgress
from courses.services import enrolment_create
from exams.quizzes import spec as qspec
from exams.quizzes.models import Attempt, AttemptQuestion, QuizResult
from exams.quizzes.views import gap_parts, responses_from_post
from tests.exams.conftest import T0, make_reading_lesson
from tests.exams.quizzes.conftest import (
    SECRETS,
    make_quiz,
    right_response,
    spec_for,
    wrong_response,
)

STATIC = Path(settings.BASE_DIR) / "static_src"


def browser(user, *, language: str = "en") -> Client:
    client = Client()
    client.force_login(user)
    client.cookies["django_language"] = language
    return client


def enrolled(quiz_world, user=None):
    user = user or quiz_world.alice
    enrolment_create(user=user, course=quiz_world.quiz_course)
    return browser(user)


def fields(position: int, qtype: str, response: dict, seq: int = 1) -> dict:
    """The form fields a member fills in to give ``response``."""
    p = f"q{position}-"
    data: dict = {f"{p}seq": str(seq)}
    if qtype in (qspec.SINGLE, qspec.TRUEFALSE):
        data[f"{p}choice"] = response["choice"]
    elif qtype == qspec.MULTI:
        data[f"{p}choices"] = response["choices"]
    elif qtype in (qspec.SHORTANSWER, qspec.ESSAY):
        data[f"{p}text"] = response["text"]
    elif qtype == qspec.NUMERICAL:
        data[f"{p}value"] = response["value"]
    elif qtype == qspec.GAPFILL:
        data.update({f"{p}gap-{i}": text for i, text in enumerate(response["gaps"])})
    elif qtype == qspec.MATCHING:
        data.update({f"{p}match-{key}": text for key, text in response["matches"].items()})
    elif qtype == qspec.ORDERING:
        data.update({f"{p}order-{i + 1}": key for i, key in enumerate(response["order"])})
    return data


def page_form(attempt_id: int, *, right: bool = True, page: int = 0) -> dict:
    data: dict = {"page": str(page)}
    for row in AttemptQuestion.objects.filter(attempt_id=attempt_id, page=page).select_related(
        "version"
    ):
        spec = row.version.spec_obj
        response = right_response(spec) if right else wrong_response(spec)
        data.update(fields(row.position, spec.qtype, response, seq=row.response_seq + 1))
    return data


def start(client: Client, quiz) -> int:
    response = client.post(f"/quizzes/{quiz.pk}/start/")
    assert response.status_code == 302, response.content
    match = re.fullmatch(r"/quizzes/attempts/(\d+)/", response["Location"])
    assert match, response["Location"]
    return int(match.group(1))


# --- the quiz lesson page --------------------------------------------------------------


def test_anonymous_is_sent_to_log_in(quiz_world):
    response = Client().get(quiz_world.quiz.url)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_outside_the_audience_is_404(quiz_world):
    assert browser(quiz_world.west).get(quiz_world.quiz.url).status_code == 404


def test_not_enrolled_sees_the_enrol_prompt_and_no_start(quiz_world):
    response = browser(quiz_world.alice).get(quiz_world.quiz.url)
    html = response.content.decode()
    assert response.status_code == 200
    assert f"/learn/courses/{quiz_world.quiz_course.pk}/enrol/" in html
    assert "Enrol in the course to take this quiz." in html
    assert f"/quizzes/{quiz_world.quiz.pk}/start/" not in html


def test_enrolled_sees_the_settings_and_the_start_button(quiz_world):
    quiz = make_quiz(
        quiz_world.quiz_course,
        questions=[quiz_world.questions["single"]],
        time_limit_minutes=15,
        attempts_allowed=2,
    )
    html = enrolled(quiz_world).get(quiz.url).content.decode()
    assert "15 minutes" in html
    assert "2 of 2 left" in html
    assert "60%" in html
    assert f'action="/quizzes/{quiz.pk}/start/"' in html and "Start the quiz" in html


def test_a_locked_quiz_says_so_like_a_lesson(quiz_world):
    course = quiz_world.quiz_course
    course.enforce_order = True
    course.save()
    make_reading_lesson(course)  # a required lesson before the quiz, not done
    quiz = make_quiz(course, questions=[quiz_world.questions["single"]])
    html = enrolled(quiz_world).get(quiz.url).content.decode()
    assert "This lesson opens once you have finished the required lessons before it." in html
    assert "/start/" not in html


def test_the_trainers_preview_renders_without_a_member(quiz_world, rf):
    request = rf.get("/")
    request.user = AnonymousUser()
    request.is_preview = True
    response = quiz_world.quiz.serve_preview(request, "")
    html = response.render().content.decode()
    assert response.status_code == 200
    assert quiz_world.quiz.title in html and "/start/" not in html


def test_the_page_lists_past_attempts_and_the_result(quiz_world):
    client = enrolled(quiz_world)
    attempt_id = start(client, quiz_world.quiz)
    client.post(f"/quizzes/attempts/{attempt_id}/", {**page_form(attempt_id), "action": "submit"})
    html = client.get(quiz_world.quiz.url).content.decode()
    assert f"/quizzes/attempts/{attempt_id}/review/" in html
    assert "100%" in html and "Passed" in html and "Done" in html
    assert "Try again" in html


# --- the attempt form without JavaScript ----------------------------------------------


def test_the_whole_attempt_works_without_javascript(quiz_world):
    # given an enrolled member who starts the quiz
    client = enrolled(quiz_world)
    attempt_id = start(client, quiz_world.quiz)
    page = client.get(f"/quizzes/attempts/{attempt_id}/")
    html = page.content.decode()
    assert page.status_code == 200
    data = page_form(attempt_id)
    for name in data:
        if name != "page":
            assert f'name="{name}"' in html, name  # the form has the fields we fill in

    # when she fills in every question right and presses "Submit"
    response = client.post(f"/quizzes/attempts/{attempt_id}/", {**data, "action": "submit"})

    # then the attempt is graded full marks, the review shows it, the lesson is done
    assert response.status_code == 302
    assert response["Location"] == f"/quizzes/attempts/{attempt_id}/review/"
    attempt = Attempt.objects.get(pk=attempt_id)
    assert attempt.state == Attempt.State.GRADED and attempt.percent == 100
    assert attempt.closed_by == Attempt.Closed.MEMBER
    assert LessonProgress.objects.get(user=quiz_world.alice, lesson=quiz_world.quiz).state == (
        LessonProgress.State.DONE
    )
    review = client.get(response["Location"]).content.decode()
    assert "100%" in review and "Passed" in review
    # the attempt page of a finished attempt leads to its review
    assert client.get(f"/quizzes/attempts/{attempt_id}/")["Location"].endswith("/review/")


def test_saved_answers_come_back_in_the_form(quiz_world):
    client = enrolled(quiz_world)
    attempt_id = start(client, quiz_world.quiz)
    client.post(f"/quizzes/attempts/{attempt_id}/", {**page_form(attempt_id), "action": "save"})
    html = client.get(f"/quizzes/attempts/{attempt_id}/").content.decode()
    assert 'value="a" checked' in html  # single
    assert 'value="SECRETANSWER"' in html  # their own short answer
    assert 'value="42.125"' in html
    assert '<option value="Extinguisher" selected>' in html
    rows = AttemptQuestion.objects.filter(attempt_id=attempt_id)
    assert all(row.response is not None and row.response_seq == 1 for row in rows)
    # the next form carries the next seq, above the stored one
    assert 'name="q1-seq" value="2"' in html and 'data-seq="1"' in html


def test_pages_next_previous_and_jump(quiz_world):
    quiz = make_quiz(
        quiz_world.quiz_course,
        questions=[quiz_world.questions[t] for t in ("single", "multi", "truefalse")],
        questions_per_page=1,
    )
    client = enrolled(quiz_world)
    attempt_id = start(client, quiz)
    url = f"/quizzes/attempts/{attempt_id}/"

    first = client.post(url, {**page_form(attempt_id, page=0), "action": "next"})
    assert first["Location"] == f"{url}?page=1"
    assert "Page 2 of 3" in client.get(first["Location"]).content.decode()
    back = client.post(url, {**page_form(attempt_id, page=1), "action": "prev"})
    assert back["Location"] == f"{url}?page=0"
    jump = client.post(url, {"page": "0", "action": "goto-2"})
    assert jump["Location"] == f"{url}?page=2"
    assert Attempt.objects.get(pk=attempt_id).current_page == 2
    saved = AttemptQuestion.objects.filter(attempt_id=attempt_id).exclude(response=None)
    assert sorted(saved.values_list("position", flat=True)) == [1, 2]
    # a page that does not exist shows the current one, never a 500
    assert client.get(f"{url}?page=9").status_code == 302
    assert client.post(url, {"page": "x", "action": "goto-99"}).status_code == 302


def test_a_form_posted_after_the_time_is_up_closes_the_attempt(quiz_world):
    quiz = make_quiz(
        quiz_world.quiz_course, questions=[quiz_world.questions["single"]], time_limit_minutes=5
    )
    client = enrolled(quiz_world)
    with time_machine.travel(T0, tick=False):
        attempt_id = start(client, quiz)
        html = client.get(f"/quizzes/attempts/{attempt_id}/").content.decode()
        assert 'data-remaining="300"' in html and "about 5 minutes" in html
    with time_machine.travel(T0 + timedelta(minutes=6), tick=False):
        response = client.post(
            f"/quizzes/attempts/{attempt_id}/", {**page_form(attempt_id), "action": "save"}
        )
    assert response.status_code == 302 and response["Location"].endswith("/review/")
    attempt = Attempt.objects.get(pk=attempt_id)
    assert attempt.closed_by == Attempt.Closed.TIMEOUT
    assert AttemptQuestion.objects.get(attempt_id=attempt_id).response is None


def test_another_members_attempt_pages_are_404(quiz_world):
    client = enrolled(quiz_world)
    attempt_id = start(client, quiz_world.quiz)
    bob = enrolled(quiz_world, quiz_world.bob)
    assert bob.get(f"/quizzes/attempts/{attempt_id}/").status_code == 404
    assert bob.get(f"/quizzes/attempts/{attempt_id}/review/").status_code == 404
    data = {**page_form(attempt_id), "action": "submit"}
    assert bob.post(f"/quizzes/attempts/{attempt_id}/", data).status_code == 404
    assert Attempt.objects.get(pk=attempt_id).state == Attempt.State.IN_PROGRESS
    assert Client().get(f"/quizzes/attempts/{attempt_id}/").status_code == 302  # log in


def test_start_refusals_come_back_as_a_message(quiz_world):
    quiz = make_quiz(
        quiz_world.quiz_course,
        questions=[quiz_world.questions["single"]],
        attempts_allowed=1,
    )
    client = enrolled(quiz_world)
    attempt_id = start(client, quiz)
    client.post(f"/quizzes/attempts/{attempt_id}/", {"page": "0", "action": "submit"})

    response = client.post(f"/quizzes/{quiz.pk}/start/", follow=True)

    assert response.status_code == 200
    assert "You have used all 1 attempts of this quiz." in response.content.decode()
    assert Attempt.objects.filter(quiz=quiz).count() == 1
    assert browser(quiz_world.west).post(f"/quizzes/{quiz.pk}/start/").status_code == 404
    assert client.get(f"/quizzes/{quiz.pk}/start/").status_code == 405


def test_the_form_needs_its_csrf_token(quiz_world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(quiz_world.alice)
    enrolment_create(user=quiz_world.alice, course=quiz_world.quiz_course)
    assert client.post(f"/quizzes/{quiz_world.quiz.pk}/start/").status_code == 403
    assert not Attempt.objects.exists()


# --- no grading data in the HTML before the review allows -------------------------------


def test_no_grading_data_in_the_html_before_review_allows(quiz_world):
    quiz = make_quiz(
        quiz_world.quiz_course,
        questions=list(quiz_world.questions.values()),
        review_score="never",
        review_answers="never",
        review_feedback="never",
    )
    client = enrolled(quiz_world)
    attempt_id = start(client, quiz)
    pages = [client.get(f"/quizzes/attempts/{attempt_id}/").content.decode()]
    client.post(
        f"/quizzes/attempts/{attempt_id}/",
        {**page_form(attempt_id, right=False), "action": "submit"},
    )
    pages.append(client.get(f"/quizzes/attempts/{attempt_id}/review/").content.decode())
    pages.append(client.get(quiz.url).content.decode())
    for html in pages:
        for secret in SECRETS:
            assert secret not in html
        assert "fraction" not in html and "correct" not in html.lower()
        assert "The right answer" not in html
    assert "The grade of this quiz is not shown yet." in pages[1]
    assert "Your grade" not in pages[2] and "Passed" not in pages[2]
    assert "%" not in re.sub(r"<style.*?</style>|width:\d+%", "", pages[1])


def test_the_review_shows_right_answers_and_feedback_when_allowed(quiz_world):
    quiz = make_quiz(
        quiz_world.quiz_course,
        questions=[quiz_world.questions["single"], quiz_world.questions["gapfill"]],
        review_answers="immediately",
    )
    client = enrolled(quiz_world)
    attempt_id = start(client, quiz)
    client.post(
        f"/quizzes/attempts/{attempt_id}/",
        {**page_form(attempt_id, right=False), "action": "submit"},
    )
    html = client.get(f"/quizzes/attempts/{attempt_id}/review/").content.decode()
    assert "The right answer" in html
    assert 'value="SECRETANSWERone"' in html  # the right gap text, as a disabled field
    assert "SECRETFEEDBACK wrong" in html and "SECRETGENERAL" in html
    assert "0%" in html and "Not passed" in html


# --- pure parts ------------------------------------------------------------------------


def test_gap_parts_cut_the_text_at_its_markers():
    parts = gap_parts("<p>A [[2]] b [[1]] c</p>")
    assert [p.get("html") or p["index"] for p in parts] == ["<p>A ", 1, " b ", 0, " c</p>"]


@pytest.mark.parametrize("qtype", qspec.QUESTION_TYPES)
def test_form_fields_read_back_as_the_response(qtype):
    spec = spec_for(qtype)
    response = right_response(spec)
    question = {
        "position": 3,
        "qtype": qtype,
        "response": None,
        "gaps": 2 if qtype == qspec.GAPFILL else 0,
        "prompts": [{"key": p.key, "text": p.prompt} for p in spec.pairs if p.prompt],
        "items": [{"key": i.key, "text": i.text} for i in reversed(spec.items)],
    }
    post = QueryDict(mutable=True)
    for name, value in fields(3, qtype, response, seq=4).items():
        post.setlist(name, value if isinstance(value, list) else [value])

    [answer] = responses_from_post(post, [question])

    assert (answer.position, answer.response, answer.seq) == (3, response, 4)


def test_untouched_questions_send_nothing_and_foreign_fields_are_ignored():
    questions = [
        {"position": 1, "qtype": "single", "response": None},
        {"position": 2, "qtype": "multi", "response": None},
        {"position": 3, "qtype": "shortanswer", "response": None},
        {"position": 4, "qtype": "multi", "response": {"choices": ["a"]}},
    ]
    post = QueryDict(
        "q1-seq=1&q2-seq=1&q3-seq=1&q3-text=&q4-seq=2&q9-seq=1&q9-choice=a&q1-choice=&q5-text=x"
    )
    answers = responses_from_post(post, questions)
    # only question 4 changes: its boxes were all unticked
    assert [(a.position, a.response) for a in answers] == [(4, {"choices": []})]
    assert responses_from_post(QueryDict("q1-seq=x&q1-choice=a"), questions[:1]) == []


# --- weight ----------------------------------------------------------------------------


def test_the_attempt_page_weighs_under_30_kb_before_the_first_question(quiz_world):
    # given an attempt of the quiz of every type, as the member's phone gets it
    client = enrolled(quiz_world)
    attempt_id = start(client, quiz_world.quiz)
    html = client.get(f"/quizzes/attempts/{attempt_id}/").content

    # then the HTML, the styles and the script, each gzip-compressed, are under 30 KB
    assets = [re.search(rb'href="/static/([^"]+\.css)"', html)]
    linked = re.findall(rb'(?:href|src)="/static/([^"]+)"', html)
    assert {b"css/site.css", b"css/quiz.css", b"js/quiz.js"} <= set(linked), linked
    assert not any(b"hls" in name for name in linked)
    assert assets
    sizes = {"html": len(gzip.compress(html, 9))}
    for name in linked:
        sizes[name.decode()] = len(gzip.compress((STATIC / name.decode()).read_bytes(), 9))
    assert sum(sizes.values()) < 30 * 1024, sizes


def test_the_lesson_page_does_not_load_the_quiz_script(quiz_world):
    html = enrolled(quiz_world).get(quiz_world.quiz.url).content.decode()
    assert "quiz.js" not in html and "hls" not in html
    assert "quiz.css" in html


def test_result_rows_match_the_graded_attempts(quiz_world):
    client = enrolled(quiz_world)
    attempt_id = start(client, quiz_world.quiz)
    client.post(
        f"/quizzes/attempts/{attempt_id}/",
        {**page_form(attempt_id, right=False), "action": "submit"},
    )
    result = QuizResult.objects.get(user=quiz_world.alice, quiz=quiz_world.quiz)
    assert result.passed is False and result.attempts == 1
